//! Secret. k8s-openapi holds `data` decoded (`ByteString`), we hold the base64 text of the
//! manifest: writing decodes it and merges `stringData` in over it, as the API server does when
//! it stores a Secret (so k8s-openapi's `string_data` is never set); reading encodes the bytes
//! and copies `stringData` (set only on objects that never went through an API server).

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1 as core;

use super::convert::{Convert, FieldError, TryConvert, owned_and_borrowed};
use super::meta::{check_type_meta, type_meta};

owned_and_borrowed! {
    impl TryConvert<crate::Secret> for core::Secret {
        fn try_convert(secret) {
            let core::Secret { metadata, data, immutable, string_data, type_ } = secret;
            let (api_version, kind) = type_meta::<core::Secret>();
            Ok(crate::Secret {
                api_version,
                kind,
                metadata: metadata.try_convert()?,
                type_: type_.convert(),
                immutable: immutable.convert(),
                data: data
                    .iter()
                    .flat_map(|data| data.iter())
                    .map(|(key, value)| (key.clone(), crate::secret::encode(&value.0)))
                    .collect(),
                string_data: string_data.convert(),
            })
        }
    }
}

owned_and_borrowed! {
    impl TryConvert<core::Secret> for crate::Secret {
        fn try_convert(secret) {
            let crate::Secret {
                api_version,
                kind,
                metadata,
                type_,
                immutable,
                data,
                string_data,
            } = secret;
            check_type_meta::<core::Secret>(api_version.as_str(), kind.as_str())?;
            let mut stored = std::collections::BTreeMap::new();
            for (key, value) in data.iter() {
                let bytes = crate::secret::decode(key, value).map_err(|e| FieldError {
                    field: "data",
                    reason: format!("key {:?}: invalid base64: {}", e.key, e.reason),
                })?;
                stored.insert(key.clone(), ByteString(bytes));
            }
            for (key, value) in string_data.iter() {
                stored.insert(key.clone(), ByteString(value.as_bytes().to_vec()));
            }
            Ok(core::Secret {
                metadata: metadata.try_convert()?,
                data: (!stored.is_empty()).then_some(stored),
                immutable: immutable.convert(),
                string_data: None,
                type_: type_.convert(),
            })
        }
    }
}

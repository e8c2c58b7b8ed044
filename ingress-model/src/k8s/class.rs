//! IngressClass.

use k8s_openapi::api::networking::v1 as networking;

use super::convert::{Convert, TryConvert, fields, owned_and_borrowed};
use super::meta::{check_type_meta, type_meta};

owned_and_borrowed! {
    impl TryConvert<crate::IngressClass> for networking::IngressClass {
        fn try_convert(class) {
            let networking::IngressClass { metadata, spec } = class;
            let (api_version, kind) = type_meta::<networking::IngressClass>();
            Ok(crate::IngressClass {
                api_version,
                kind,
                metadata: metadata.try_convert()?,
                spec: Option::unwrap_or_default(spec.convert()),
            })
        }
    }
}

owned_and_borrowed! {
    impl TryConvert<networking::IngressClass> for crate::IngressClass {
        fn try_convert(class) {
            let crate::IngressClass { api_version, kind, metadata, spec } = class;
            check_type_meta::<networking::IngressClass>(api_version.as_str(), kind.as_str())?;
            Ok(networking::IngressClass {
                metadata: metadata.try_convert()?,
                spec: Some(spec.convert()),
            })
        }
    }
}

fields! {
    crate::IngressClassSpec = networking::IngressClassSpec { controller, parameters };
    crate::IngressClassParametersReference = networking::IngressClassParametersReference {
        api_group, kind, name, scope, namespace
    };
}

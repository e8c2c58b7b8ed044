//! core/v1 Secret: the kind an Ingress's `spec.tls[].secretName` names, whose
//! `type: kubernetes.io/tls` form holds the certificate chain and private key a gateway
//! terminates TLS with.
//!
//! `data` is kept as it is written in manifests and sent over the API: base64 text. The loader
//! checks that every value decodes (a Secret with a value that does not is a load error naming
//! `data.<key>`, as the API server rejects it while decoding, before validation), so a loaded
//! Secret's [`Secret::decoded`] never fails. `stringData` is kept apart, as written; the API
//! server merges it into `data` (its values winning) when it stores the object, and so do
//! [`Secret::decoded`] and the conversion to k8s-openapi.
//!
//! Decoding is Go's `base64.StdEncoding`, what `encoding/json` uses for `[]byte`: the standard
//! alphabet, padding required, line breaks ignored, non-zero trailing bits accepted.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::meta::ObjectMeta;

/// The Secret type of TLS certificates (`core.SecretTypeTLS`).
pub const SECRET_TYPE_TLS: &str = "kubernetes.io/tls";
/// The key of a TLS Secret's PEM certificate chain (`core.TLSCertKey`).
pub const TLS_CERT_KEY: &str = "tls.crt";
/// The key of a TLS Secret's PEM private key (`core.TLSPrivateKeyKey`).
pub const TLS_PRIVATE_KEY_KEY: &str = "tls.key";

/// A core/v1 Secret.
///
/// `Debug` lists the keys of `data` and `stringData`, never their values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Always `v1`.
    #[serde(default = "core_v1")]
    pub api_version: String,
    /// Always `Secret`.
    #[serde(default = "secret_kind")]
    pub kind: String,
    /// Name and namespace.
    #[serde(default, deserialize_with = "crate::null::or_default")]
    pub metadata: ObjectMeta,
    /// `Opaque` when absent (the API server's default), `kubernetes.io/tls`, ...
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Whether the data may never change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// The values, base64 as written (a `null` value reads as `""`, no bytes).
    #[serde(
        default,
        deserialize_with = "base64_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub data: BTreeMap<String, String>,
    /// Values given as plain text, merged into `data` by the API server (they win).
    #[serde(
        default,
        deserialize_with = "crate::null::string_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub string_data: BTreeMap<String, String>,
}

fn core_v1() -> String {
    "v1".to_owned()
}

fn secret_kind() -> String {
    "Secret".to_owned()
}

impl Default for Secret {
    fn default() -> Self {
        Secret {
            api_version: core_v1(),
            kind: secret_kind(),
            metadata: ObjectMeta::default(),
            type_: None,
            immutable: None,
            data: BTreeMap::new(),
            string_data: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("metadata", &self.metadata)
            .field("type_", &self.type_)
            .field("immutable", &self.immutable)
            .field("data_keys", &self.data.keys().collect::<Vec<_>>())
            .field(
                "string_data_keys",
                &self.string_data.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A `data` value that is not base64.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("data.{key}: invalid base64: {reason}")]
pub struct InvalidBase64 {
    /// The key of the value.
    pub key: String,
    /// What the decoder said.
    pub reason: String,
}

impl Secret {
    /// A `kubernetes.io/tls` Secret from PEM text, as `kubectl create secret tls` writes it.
    pub fn tls(namespace: &str, name: &str, certificate_pem: &[u8], key_pem: &[u8]) -> Secret {
        let mut secret = Secret::default();
        secret.metadata.name = Some(name.to_owned());
        secret.metadata.namespace = Some(namespace.to_owned());
        secret.type_ = Some(SECRET_TYPE_TLS.to_owned());
        for (key, value) in [
            (TLS_CERT_KEY, certificate_pem),
            (TLS_PRIVATE_KEY_KEY, key_pem),
        ] {
            secret.data.insert(key.to_owned(), encode(value));
        }
        secret
    }

    /// The type, `Opaque` when unset (the API server's default).
    pub fn type_or_default(&self) -> &str {
        self.type_
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or("Opaque")
    }

    /// The stored data, as the API server stores it: `data` decoded, then `stringData` merged
    /// in over it.
    pub fn decoded(&self) -> Result<BTreeMap<String, Vec<u8>>, InvalidBase64> {
        let mut out = BTreeMap::new();
        for (key, value) in &self.data {
            out.insert(key.clone(), decode(key, value)?);
        }
        for (key, value) in &self.string_data {
            out.insert(key.clone(), value.as_bytes().to_vec());
        }
        Ok(out)
    }
}

/// Go's `base64.StdEncoding` (see the module docs).
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Base64 as the API server writes `[]byte`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    GO_STD.encode(bytes)
}

/// `value` decoded as the API server decodes a `data` value.
pub(crate) fn decode(key: &str, value: &str) -> Result<Vec<u8>, InvalidBase64> {
    let decoded = if value.contains(['\r', '\n']) {
        let joined: String = value
            .chars()
            .filter(|c| !matches!(c, '\r' | '\n'))
            .collect();
        GO_STD.decode(joined)
    } else {
        GO_STD.decode(value)
    };
    decoded.map_err(|e| InvalidBase64 {
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

/// `data`: a string map whose values must be base64. Each value is read through a seed so
/// that a bad one fails at its own path (`data.tls.crt`), not at `data`.
fn base64_map<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    struct MapVisitor;
    struct Value;

    impl<'de> DeserializeSeed<'de> for Value {
        type Value = String;
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
            let value = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
            match decode("", &value) {
                Ok(_) => Ok(value),
                Err(e) => Err(serde::de::Error::custom(format!(
                    "invalid base64: {}",
                    e.reason
                ))),
            }
        }
    }

    impl<'de> Visitor<'de> for MapVisitor {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of base64 strings")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let value = map.next_value_seed(Value)?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_option(MapVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_checked_at_its_key_and_merged_with_string_data() {
        let secret: Secret = serde_json::from_str(
            r#"{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                "data": {"a": "aGVsbG8=", "b": "b2xk", "n": null}, "stringData": {"b": "new"}}"#,
        )
        .unwrap();
        let decoded = secret.decoded().unwrap();
        assert_eq!(decoded["a"], b"hello");
        assert_eq!(decoded["b"], b"new");
        assert_eq!(decoded["n"], b"");
        // Line breaks inside a value are ignored, as Go's decoder does.
        assert_eq!(decode("k", "aGVs\nbG8=").unwrap(), b"hello");

        let json = r#"{"kind": "Secret", "data": {"tls.crt": "not base64!"}}"#;
        let mut de = serde_json::Deserializer::from_str(json);
        let e = serde_path_to_error::deserialize::<_, Secret>(&mut de).unwrap_err();
        assert_eq!(e.path().to_string(), "data.tls.crt");
        assert!(e.inner().to_string().starts_with("invalid base64"), "{e}");
    }

    #[test]
    fn debug_never_shows_values() {
        let secret = Secret::tls("ns", "s", b"CERT", b"PRIVATE KEY TEXT");
        let debug = format!("{secret:?}");
        assert!(debug.contains("tls.key"), "{debug}");
        assert!(!debug.contains(&encode(b"PRIVATE KEY TEXT")), "{debug}");
        assert_eq!(secret.decoded().unwrap()["tls.key"], b"PRIVATE KEY TEXT");
    }
}

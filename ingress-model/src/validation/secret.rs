//! Secret checks: `ValidateSecret` (`kubernetes/kubernetes` `pkg/apis/core/validation`), on
//! the Secret as the API server stores it (`stringData` merged into `data`).

use super::field::Path;
use super::meta::validate_object_meta;
use super::names::{self, regex_error};
use super::{FieldError, Validation};
use crate::secret::{SECRET_TYPE_TLS, Secret, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY};

/// `core.MaxSecretSize`: 1 MiB of decoded data.
const MAX_SECRET_SIZE: usize = 1024 * 1024;
/// `configMapKeyFmt`.
const CONFIG_MAP_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
/// `configMapKeyErrMsg`.
const CONFIG_MAP_KEY_ERR: &str =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

/// `ValidateSecret`: metadata (namespaced, name a DNS-1123 subdomain), every key a config
/// key, the total size, then the rules of the type this crate models (`kubernetes.io/tls`).
pub(crate) fn validate_create(secret: &Secret) -> Validation {
    let mut errors = Vec::new();
    validate_object_meta(
        &secret.metadata,
        true,
        names::is_dns1123_subdomain,
        &mut errors,
    );
    let data_path = Path::new("data");
    let key_path = |key: &str| format!("{data_path}[{key}]");
    // The stored data: invalid base64 never gets this far on the API server (decoding fails
    // first); here it counts as no bytes, the loader having reported it already.
    let mut stored: Vec<(&str, usize)> = secret
        .data
        .iter()
        .filter(|(key, _)| !secret.string_data.contains_key(*key))
        .map(|(key, value)| {
            let len = crate::secret::decode(key, value).map_or(0, |bytes| bytes.len());
            (key.as_str(), len)
        })
        .chain(
            secret
                .string_data
                .iter()
                .map(|(k, v)| (k.as_str(), v.len())),
        )
        .collect();
    stored.sort_unstable();
    let mut total = 0usize;
    for (key, len) in &stored {
        for message in is_config_map_key(key) {
            errors.push(FieldError::invalid(key_path(key), key, message));
        }
        total = total.saturating_add(*len);
    }
    if total > MAX_SECRET_SIZE {
        errors.push(FieldError::too_long(data_path.to_string(), MAX_SECRET_SIZE));
    }
    if secret.type_.as_deref() == Some(SECRET_TYPE_TLS) {
        for required in [TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY] {
            if !stored.iter().any(|(key, _)| *key == required) {
                errors.push(FieldError::required(key_path(required), ""));
            }
        }
    }
    Validation {
        errors,
        warnings: Vec::new(),
    }
}

/// `IsConfigMapKey`: at most 253 characters of `[-._a-zA-Z0-9]`, not `.`, `..` or `..`-prefixed.
fn is_config_map_key(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > names::DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(format!(
            "must be no more than {} characters",
            names::DNS1123_SUBDOMAIN_MAX_LENGTH
        ));
    }
    let matches = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !matches {
        errs.push(regex_error(
            CONFIG_MAP_KEY_ERR,
            CONFIG_MAP_KEY_FMT,
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    // hasChDirPrefix
    if key == "." {
        errs.push("must not be '.'".to_owned());
    } else if key == ".." {
        errs.push("must not be '..'".to_owned());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_owned());
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls() -> Secret {
        Secret::tls("default", "web-tls", b"CERT", b"KEY")
    }

    #[test]
    fn a_tls_secret_needs_both_keys() {
        assert_eq!(validate_create(&tls()).errors, []);
        let mut secret = tls();
        secret.data.remove(TLS_PRIVATE_KEY_KEY);
        let errors: Vec<String> = validate_create(&secret)
            .errors
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors, ["data[tls.key]: Required value"]);
        // stringData counts, as it is merged into data before validation.
        secret
            .string_data
            .insert(TLS_PRIVATE_KEY_KEY.to_owned(), "KEY".to_owned());
        assert!(validate_create(&secret).is_valid());
        // Other types need neither.
        let mut opaque = Secret::default();
        opaque.metadata.name = Some("plain".into());
        assert!(validate_create(&opaque).is_valid());
    }

    #[test]
    fn keys_names_and_size_are_checked() {
        let mut secret = tls();
        secret.metadata.name = Some("Web_TLS".into());
        secret.data.insert("bad key".into(), String::new());
        secret.data.insert("..x".into(), String::new());
        secret
            .string_data
            .insert("big".into(), "x".repeat(MAX_SECRET_SIZE));
        let errors: Vec<String> = validate_create(&secret)
            .errors
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            errors[0].starts_with("metadata.name: Invalid value: \"Web_TLS\""),
            "{errors:?}"
        );
        assert!(
            errors.contains(
                &"data[..x]: Invalid value: \"..x\": must not start with '..'".to_owned()
            ),
            "{errors:?}"
        );
        assert!(
            errors.contains(&"data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')".to_owned()),
            "{errors:?}"
        );
        assert_eq!(
            errors.last().unwrap(),
            "data: Too long: may not be more than 1048576 bytes",
            "{errors:?}"
        );
    }
}

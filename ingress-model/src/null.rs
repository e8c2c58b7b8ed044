//! `null` read as the API server reads it.
//!
//! The API server decodes JSON (and YAML, through JSON) with Go's decoder, for which a `null`
//! leaves a field at its zero value: `annotations:` with nothing after it, `labels: null`,
//! `rules: null` or `http: null` are the field unset, not a type error. A `null` value inside
//! a string map (`annotations: {a: null}`) becomes the empty string. A `null` where a value is
//! required (`backend: null`) is the zero value too, which validation then reports with its
//! field path, as the API server does.
//!
//! serde already reads `null` as `None` for `Option` fields; these helpers do the same for the
//! fields that default to empty instead.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// A `#[serde(default)]` field that also reads `null` as its default.
pub(crate) fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A string map that reads `null` as empty and a `null` value as `""`.
pub(crate) fn string_map<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    let map: Option<BTreeMap<String, Option<String>>> = Option::deserialize(deserializer)?;
    Ok(map
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

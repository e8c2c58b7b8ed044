//! Reading objects from manifest text: multi-document YAML, JSON (one value or a stream of
//! values), and `kind: List` (or `…List`) wrappers, which are flattened to their items.

use serde_json::Value;

use crate::error::ApiError;

/// Parse manifest text into objects, in document order; empty documents are skipped.
///
/// ```
/// let docs = ingress_apiserver::parse_documents(
///     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\n\
///      {\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\
///        {\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"b\"}}]}\n").unwrap();
/// assert_eq!(docs.len(), 2);
/// assert_eq!(docs[1]["kind"], "Secret");
/// ```
pub fn parse_documents(text: &str) -> Result<Vec<Value>, ApiError> {
    let trimmed = text.trim_start();
    let docs: Vec<Value> = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::bad_request(format!("invalid JSON manifest: {e}")))?
    } else {
        serde_saphyr::from_multiple::<Value>(text)
            .map_err(|e| ApiError::bad_request(format!("invalid YAML manifest: {e}")))?
    };
    let mut out = Vec::new();
    for (index, doc) in docs.into_iter().enumerate() {
        flatten(doc, index, &mut out)?;
    }
    Ok(out)
}

fn flatten(doc: Value, index: usize, out: &mut Vec<Value>) -> Result<(), ApiError> {
    match doc {
        Value::Null => Ok(()),
        Value::Array(items) => items.into_iter().try_for_each(|i| flatten(i, index, out)),
        Value::Object(ref map) => {
            let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
            if kind.ends_with("List") && map.get("items").is_some_and(Value::is_array) {
                let Value::Object(mut map) = doc else {
                    return Ok(());
                };
                let Some(Value::Array(items)) = map.remove("items") else {
                    return Ok(());
                };
                return items.into_iter().try_for_each(|i| flatten(i, index, out));
            }
            if kind.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "manifest document {}: object has no \"kind\"",
                    index + 1
                )));
            }
            out.push(doc);
            Ok(())
        }
        other => Err(ApiError::bad_request(format!(
            "manifest document {}: expected an object, found {other}",
            index + 1
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_json_and_lists() {
        let docs = parse_documents(
            "kind: A\n---\n# only a comment\n---\nkind: BList\nitems: [{kind: B}, {kind: C}]\n",
        )
        .unwrap();
        let kinds: Vec<_> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["A", "B", "C"]);
        let docs = parse_documents("{\"kind\": \"A\"} {\"kind\": \"B\"}").unwrap();
        assert_eq!(docs.len(), 2);
        assert!(
            parse_documents("metadata: {name: x}\n")
                .unwrap_err()
                .message
                .contains("no \"kind\"")
        );
        assert!(parse_documents("{").is_err());
        assert!(parse_documents("- 1\n").is_err());
    }
}

//! The three patch formats of `PATCH` requests.
//!
//! * [`merge_patch`]: JSON Merge Patch (RFC 7386), `application/merge-patch+json`.
//! * [`strategic_merge_patch`]: `application/strategic-merge-patch+json`, as `kubectl apply`
//!   and `kubectl patch` send. **Simplified:** a merge patch, plus the directives
//!   (`$patch: replace|delete`, `$retainKeys`, `$setElementOrder/…` (dropped),
//!   `$deleteFromPrimitiveList/…`), plus merging by key for the lists the Kubernetes API marks
//!   with a merge key that matter here (see [`merge_key`]); every other list is replaced
//!   whole, which is what the real server does for the atomic lists of Ingress,
//!   IngressClass, EndpointSlice and most fields of Service and Deployment.
//! * [`json_patch`]: JSON Patch (RFC 6902), `application/json-patch+json`.

use serde_json::{Map, Value};

/// A patch could not be applied; the text says why (it ends up in a 422 `Status`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatchError(pub String);

/// Apply an RFC 7386 merge patch: objects merge key by key, `null` removes, anything else
/// (arrays included) replaces.
///
/// ```
/// use serde_json::json;
/// let mut doc = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
/// ingress_apiserver::patch::merge_patch(&mut doc, &json!({"a": {"b": null, "d": 3}, "l": [3]}));
/// assert_eq!(doc, json!({"a": {"c": 2, "d": 3}, "l": [3]}));
/// ```
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// The merge key of a list field, as the Kubernetes API declares it
/// (`patchMergeKey`), for the fields of pods, services, deployments and object metadata.
/// `ports` is keyed by `containerPort` in containers and by `port` in services: the key
/// present in the patch's elements is used.
pub fn merge_key(field: &str, elements: &[Value]) -> Option<&'static str> {
    let has = |key: &str| elements.iter().all(|e| e.get(key).is_some());
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "ports" if has("containerPort") => Some("containerPort"),
        "ports" if has("port") => Some("port"),
        _ => None,
    }
}

/// Lists of scalars the API merges (`patchStrategy: merge`) rather than replaces.
fn is_merged_primitive_list(field: &str) -> bool {
    field == "finalizers"
}

/// Apply a strategic merge patch, simplified as the module docs describe.
///
/// ```
/// use serde_json::json;
/// let mut deploy = json!({"spec": {"template": {"spec": {"containers": [
///     {"name": "app", "image": "app:1"}, {"name": "sidecar", "image": "proxy:1"}]}}}});
/// let patch = json!({"spec": {"template": {"spec": {
///     "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
///     "containers": [{"name": "app", "image": "app:2"}]}}}});
/// ingress_apiserver::patch::strategic_merge_patch(&mut deploy, &patch).unwrap();
/// assert_eq!(deploy["spec"]["template"]["spec"]["containers"][0]["image"], "app:2");
/// assert_eq!(deploy["spec"]["template"]["spec"]["containers"][1]["image"], "proxy:1");
/// ```
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) -> Result<(), PatchError> {
    let Value::Object(patch_map) = patch else {
        return Err(PatchError(
            "a strategic merge patch must be a JSON object".into(),
        ));
    };
    match patch_map.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            *target = strip_directives(patch);
            return Ok(());
        }
        Some("delete") => {
            *target = Value::Object(Map::new());
            return Ok(());
        }
        Some(other) => return Err(PatchError(format!("unknown $patch directive {other:?}"))),
        None => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target_map) = target else {
        return Ok(());
    };
    for (key, value) in patch_map {
        if key == "$retainKeys" || key.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Value::Array(remove)) =
                (target_map.get_mut(field), value)
            {
                list.retain(|v| !remove.contains(v));
            }
            continue;
        }
        match value {
            Value::Null => {
                target_map.remove(key);
            }
            Value::Object(child)
                if child.get("$patch").and_then(Value::as_str) == Some("delete") =>
            {
                target_map.remove(key);
            }
            Value::Object(_) => {
                strategic_merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value)?;
            }
            Value::Array(elements) => {
                let slot = target_map.entry(key.clone()).or_insert(Value::Null);
                merge_list(slot, key, elements)?;
            }
            scalar => {
                target_map.insert(key.clone(), scalar.clone());
            }
        }
    }
    if let Some(Value::Array(retain)) = patch_map.get("$retainKeys") {
        let keep: Vec<&str> = retain.iter().filter_map(Value::as_str).collect();
        target_map.retain(|k, _| keep.contains(&k.as_str()));
    }
    Ok(())
}

fn merge_list(slot: &mut Value, field: &str, elements: &[Value]) -> Result<(), PatchError> {
    let replace_whole = elements
        .iter()
        .any(|e| e.get("$patch").and_then(Value::as_str) == Some("replace"));
    let kept: Vec<Value> = elements
        .iter()
        .filter(|e| e.get("$patch").and_then(Value::as_str) != Some("replace"))
        .cloned()
        .collect();
    let Value::Array(current) = slot else {
        *slot = Value::Array(
            kept.iter()
                .filter(|e| !is_delete(e))
                .map(strip_directives)
                .collect(),
        );
        return Ok(());
    };
    if replace_whole {
        *current = kept.iter().map(strip_directives).collect();
        return Ok(());
    }
    if is_merged_primitive_list(field) {
        for v in kept {
            if !current.contains(&v) {
                current.push(v);
            }
        }
        return Ok(());
    }
    let Some(key) = merge_key(field, &kept) else {
        *current = kept.iter().map(strip_directives).collect();
        return Ok(());
    };
    for element in &kept {
        let id = element.get(key);
        let position = current.iter().position(|c| c.get(key) == id);
        match (is_delete(element), position) {
            (true, Some(i)) => {
                current.remove(i);
            }
            (true, None) => {}
            (false, Some(i)) => strategic_merge_patch(&mut current[i], element)?,
            (false, None) => current.push(strip_directives(element)),
        }
    }
    Ok(())
}

fn is_delete(element: &Value) -> bool {
    element.get("$patch").and_then(Value::as_str) == Some("delete")
}

/// A copy without `$`-directives, for values stored as they are.
fn strip_directives(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// Apply an RFC 6902 JSON Patch (`add`, `remove`, `replace`, `move`, `copy`, `test`). The
/// document is left unchanged when any operation fails.
///
/// ```
/// use serde_json::json;
/// let mut doc = json!({"spec": {"rules": [{"host": "a"}]}});
/// ingress_apiserver::patch::json_patch(&mut doc, &json!([
///     {"op": "add", "path": "/spec/rules/-", "value": {"host": "b"}},
///     {"op": "test", "path": "/spec/rules/0/host", "value": "a"},
///     {"op": "remove", "path": "/spec/rules/0"}])).unwrap();
/// assert_eq!(doc, json!({"spec": {"rules": [{"host": "b"}]}}));
/// ```
pub fn json_patch(target: &mut Value, operations: &Value) -> Result<(), PatchError> {
    let Value::Array(ops) = operations else {
        return Err(PatchError(
            "a JSON patch must be an array of operations".into(),
        ));
    };
    let mut doc = target.clone();
    for (i, op) in ops.iter().enumerate() {
        apply_operation(&mut doc, op).map_err(|e| PatchError(format!("operation {i}: {}", e.0)))?;
    }
    *target = doc;
    Ok(())
}

fn apply_operation(doc: &mut Value, op: &Value) -> Result<(), PatchError> {
    let field = |name: &str| {
        op.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| PatchError(format!("missing string field {name:?}")))
    };
    let value = || {
        op.get("value")
            .cloned()
            .ok_or_else(|| PatchError("missing field \"value\"".into()))
    };
    let path = field("path")?;
    match field("op")? {
        "add" => add(doc, path, value()?),
        "remove" => remove(doc, path).map(drop),
        "replace" => {
            remove(doc, path)?;
            add(doc, path, value()?)
        }
        "move" => {
            let moved = remove(doc, field("from")?)?;
            add(doc, path, moved)
        }
        "copy" => {
            let copied = doc
                .pointer(&pointer(field("from")?)?)
                .cloned()
                .ok_or_else(|| {
                    PatchError(format!("no value at {:?}", field("from").unwrap_or("")))
                })?;
            add(doc, path, copied)
        }
        "test" => {
            if doc.pointer(&pointer(path)?) == Some(&value()?) {
                Ok(())
            } else {
                Err(PatchError(format!("test failed at {path:?}")))
            }
        }
        other => Err(PatchError(format!("unknown op {other:?}"))),
    }
}

/// Validate a JSON pointer (`""` or `/…`) and return it for [`Value::pointer`].
fn pointer(path: &str) -> Result<String, PatchError> {
    if path.is_empty() || path.starts_with('/') {
        Ok(path.to_owned())
    } else {
        Err(PatchError(format!("invalid JSON pointer {path:?}")))
    }
}

/// Split a pointer into its parent pointer and its unescaped last token.
fn split_last(path: &str) -> Result<(&str, String), PatchError> {
    pointer(path)?;
    let at = path
        .rfind('/')
        .ok_or_else(|| PatchError("the whole document cannot be the target".into()))?;
    Ok((
        &path[..at],
        path[at + 1..].replace("~1", "/").replace("~0", "~"),
    ))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), PatchError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, token) = split_last(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(token, value);
            Ok(())
        }
        Some(Value::Array(items)) => {
            let index = if token == "-" {
                items.len()
            } else {
                array_index(&token, items.len() + 1)?
            };
            items.insert(index, value);
            Ok(())
        }
        _ => Err(PatchError(format!("no container at {parent:?}"))),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, PatchError> {
    let (parent, token) = split_last(path)?;
    let missing = || PatchError(format!("no value at {path:?}"));
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => map.remove(&token).ok_or_else(missing),
        Some(Value::Array(items)) => {
            let index = array_index(&token, items.len())?;
            Ok(items.remove(index))
        }
        _ => Err(missing()),
    }
}

fn array_index(token: &str, bound: usize) -> Result<usize, PatchError> {
    match token.parse::<usize>() {
        Ok(i) if i < bound && (token == "0" || !token.starts_with('0')) => Ok(i),
        _ => Err(PatchError(format!("invalid array index {token:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut target, patch, expected) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, expected, "patch {patch}");
        }
    }

    #[test]
    fn strategic_directives() {
        let mut doc = json!({"metadata": {"finalizers": ["a"], "labels": {"x": "1", "y": "2"}},
            "spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443}], "keep": 1, "drop": 2}});
        let patch = json!({"metadata": {"finalizers": ["b"], "labels": {"$patch": "replace", "z": "3"}},
            "spec": {"ports": [{"port": 443, "$patch": "delete"}, {"port": 80, "name": "web"}],
                     "$retainKeys": ["ports", "keep"]}});
        strategic_merge_patch(&mut doc, &patch).unwrap();
        assert_eq!(
            doc,
            json!({"metadata": {"finalizers": ["a", "b"], "labels": {"z": "3"}},
            "spec": {"ports": [{"port": 80, "name": "web"}], "keep": 1}})
        );
        let mut doc = json!({"spec": {"rules": [{"host": "a"}, {"host": "b"}]}});
        strategic_merge_patch(&mut doc, &json!({"spec": {"rules": [{"host": "c"}]}})).unwrap();
        assert_eq!(doc, json!({"spec": {"rules": [{"host": "c"}]}}));
        assert!(strategic_merge_patch(&mut doc, &json!([1])).is_err());
    }

    #[test]
    fn json_patch_failures_leave_document_unchanged() {
        let mut doc = json!({"a": {"b": [1, 2]}, "x/y": 1});
        json_patch(
            &mut doc,
            &json!([{"op": "move", "from": "/x~1y", "path": "/a/c"},
            {"op": "copy", "from": "/a/b/0", "path": "/a/b/2"},
            {"op": "replace", "path": "/a/b/0", "value": 9}]),
        )
        .unwrap();
        assert_eq!(doc, json!({"a": {"b": [9, 2, 1], "c": 1}}));
        let before = doc.clone();
        for bad in [
            json!([{"op": "add", "path": "/a/b/7", "value": 1}]),
            json!([{"op": "remove", "path": "/nope"}]),
            json!([{"op": "test", "path": "/a/c", "value": 2}]),
            json!([{"op": "add", "path": "/a/c", "value": 1}, {"op": "bogus", "path": ""}]),
            json!({"op": "add"}),
        ] {
            assert!(json_patch(&mut doc, &bad).is_err(), "{bad}");
            assert_eq!(doc, before);
        }
    }
}

//! Label and field selectors, as in `?labelSelector=app=web,tier!=db` and
//! `?fieldSelector=metadata.name=web`.
//!
//! Label selectors support `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`,
//! `k>n` and `k<n`. Field selectors support `=`, `==` and `!=` on any dotted path; the real
//! server accepts only a per-kind set of fields (always `metadata.name` and
//! `metadata.namespace`), this one compares the string form of whatever the path holds, with a
//! missing field reading as the empty string.

use serde_json::Value;

use crate::error::ApiError;

/// A parsed label selector; the empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelSelector {
    requirements: Vec<(String, LabelOp)>,
}

#[derive(Clone, Debug, PartialEq)]
enum LabelOp {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    NotExists,
    Gt(i64),
    Lt(i64),
}

impl LabelSelector {
    /// Parse the `labelSelector` query parameter.
    ///
    /// ```
    /// use ingress_apiserver::LabelSelector;
    /// let s = LabelSelector::parse("app in (web, api),!canary").unwrap();
    /// assert!(s.matches(&serde_json::json!({"metadata": {"labels": {"app": "web"}}})));
    /// assert!(!s.matches(&serde_json::json!({"metadata": {"labels": {"app": "web", "canary": "1"}}})));
    /// assert!(LabelSelector::parse("app in (web").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part).map_err(|why| {
                ApiError::bad_request(format!(
                    "unable to parse requirement: labelSelector {part:?}: {why}"
                ))
            })?);
        }
        Ok(LabelSelector { requirements })
    }

    /// Whether the object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let get = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.requirements.iter().all(|(key, op)| {
            let value = get(key);
            match op {
                LabelOp::Eq(v) => value == Some(v.as_str()),
                LabelOp::Ne(v) => value != Some(v.as_str()),
                LabelOp::In(vs) => value.is_some_and(|x| vs.iter().any(|v| v == x)),
                LabelOp::NotIn(vs) => !value.is_some_and(|x| vs.iter().any(|v| v == x)),
                LabelOp::Exists => value.is_some(),
                LabelOp::NotExists => value.is_none(),
                LabelOp::Gt(n) => value
                    .and_then(|x| x.parse::<i64>().ok())
                    .is_some_and(|x| x > *n),
                LabelOp::Lt(n) => value
                    .and_then(|x| x.parse::<i64>().ok())
                    .is_some_and(|x| x < *n),
            }
        })
    }
}

/// Split at commas outside parentheses (`a in (x,y),b` is two requirements).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_requirement(part: &str) -> Result<(String, LabelOp), String> {
    if let Some(key) = part.strip_prefix('!') {
        return Ok((valid_key(key.trim())?, LabelOp::NotExists));
    }
    for (token, is_in) in [(" notin ", false), (" in ", true)] {
        if let Some(at) = part.find(token) {
            let key = valid_key(part[..at].trim())?;
            let set = part[at + token.len()..].trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| "a set must be enclosed in parentheses".to_owned())?;
            let values: Vec<String> = inner
                .split(',')
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect();
            return Ok((
                key,
                if is_in {
                    LabelOp::In(values)
                } else {
                    LabelOp::NotIn(values)
                },
            ));
        }
    }
    for (token, make) in [
        ("!=", LabelOp::Ne as fn(String) -> LabelOp),
        ("==", LabelOp::Eq),
        ("=", LabelOp::Eq),
    ] {
        if let Some((key, value)) = part.split_once(token) {
            return Ok((valid_key(key.trim())?, make(valid_value(value.trim())?)));
        }
    }
    for (token, gt) in [(">", true), ("<", false)] {
        if let Some((key, value)) = part.split_once(token) {
            let n: i64 = value
                .trim()
                .parse()
                .map_err(|_| format!("{value:?} is not an integer"))?;
            return Ok((
                valid_key(key.trim())?,
                if gt { LabelOp::Gt(n) } else { LabelOp::Lt(n) },
            ));
        }
    }
    Ok((valid_key(part)?, LabelOp::Exists))
}

fn valid_key(key: &str) -> Result<String, String> {
    let ok = !key.is_empty()
        && key.len() <= 317
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(key.to_owned())
    } else {
        Err(format!("invalid label key {key:?}"))
    }
}

fn valid_value(value: &str) -> Result<String, String> {
    let ok = value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!("invalid label value {value:?}"))
    }
}

/// A parsed field selector; the empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldSelector {
    requirements: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// Parse the `fieldSelector` query parameter.
    ///
    /// ```
    /// use ingress_apiserver::FieldSelector;
    /// let s = FieldSelector::parse("metadata.name=web,metadata.namespace!=kube-system").unwrap();
    /// assert!(s.matches(&serde_json::json!({"metadata": {"name": "web", "namespace": "default"}})));
    /// assert!(FieldSelector::parse("metadata.name").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut requirements = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, equal, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid field selector: {part:?}: expected an operator (=, == or !=)"
                )));
            };
            requirements.push((field.trim().to_owned(), equal, value.trim().to_owned()));
        }
        Ok(FieldSelector { requirements })
    }

    /// Whether the object's fields satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        self.requirements.iter().all(|(field, equal, value)| {
            let pointer = format!("/{}", field.replace('.', "/"));
            let actual = match object.pointer(&pointer) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            (actual == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns", "labels": labels}})
    }

    #[test]
    fn label_operators() {
        let o = obj(json!({"app": "web", "n": "5"}));
        let m = |s: &str| LabelSelector::parse(s).unwrap().matches(&o);
        assert!(m("app=web") && m("app==web") && m("app!=db") && m("app") && m("!tier"));
        assert!(!m("app=db") && !m("app!=web") && !m("tier") && !m("!app"));
        assert!(m("app in (db, web)") && !m("app notin (web)") && m("tier notin (x)"));
        assert!(m("n>4") && !m("n<5") && m("app=web,n<6") && !m("app=web,n>6"));
        assert!(m("") && m(" , "));
        assert!(LabelSelector::parse("app=we b").is_err());
        assert!(LabelSelector::parse("a in x").is_err());
    }

    #[test]
    fn field_operators() {
        let o = obj(json!({}));
        let m = |s: &str| FieldSelector::parse(s).unwrap().matches(&o);
        assert!(m("metadata.name=a") && m("metadata.name==a") && m("metadata.namespace!=b"));
        assert!(!m("metadata.name=b") && m("spec.missing=") && !m("metadata.name!=a"));
    }
}

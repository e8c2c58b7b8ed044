//! A manifest file rewritten with its beta Ingresses and IngressClasses in v1: what
//! `ingress-route convert` writes.
//!
//! Only the documents that change are written anew; every other document, and the text
//! between documents, is kept byte for byte. A converted document keeps its keys in the order
//! they were written and every field the conversion does not rename, but it is written back by
//! a YAML serializer: the comment lines above it are kept, its other comments, anchors and
//! quoting style are not ([`RewrittenDocument::had_comments`] says where that loses something). A `kind: List` with a
//! beta item is rewritten whole. JSON files stay JSON (pretty-printed where converted).
//!
//! ```
//! use ingress_model::beta::rewrite::rewrite;
//!
//! let written = "\
//! apiVersion: v1  # the shop
//! kind: Service
//! metadata: {name: web}
//! ---
//! apiVersion: extensions/v1beta1
//! kind: Ingress
//! metadata: {name: web}
//! spec:
//!   backend: {serviceName: web, servicePort: 80}
//! ";
//! let out = rewrite(written);
//! assert_eq!(out.converted.len(), 1);
//! assert_eq!(out.converted[0].document, 2);
//! // The Service, its comment included, is as it was written.
//! assert!(out.text.starts_with("apiVersion: v1  # the shop\nkind: Service\nmetadata: {name: web}\n---\n"));
//! assert!(out.text.contains("apiVersion: networking.k8s.io/v1\n"));
//! assert!(out.text.contains("  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n"));
//! ```

use serde_json::Value;

use super::{Removed, to_v1};
use crate::load::split::split_documents;
use crate::load::{looks_like_json, yaml_options};

/// A file's text with its beta documents converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The new text of the file.
    pub text: String,
    /// The documents that were converted, in file order.
    pub converted: Vec<RewrittenDocument>,
}

/// One converted document (or `List` item) of a [`Rewritten`] file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrittenDocument {
    /// 1-based document index, counting non-empty documents as the loader does.
    pub document: usize,
    /// 1-based line of the document in the original file.
    pub line: usize,
    /// 0-based index in `items` when the object is an item of a `kind: List`.
    pub item: Option<usize>,
    /// What it was.
    pub removed: Removed,
    /// Whether the original document had comments (other than the lines heading it), which the
    /// rewritten one does not keep.
    pub had_comments: bool,
}

/// Rewrites `text` (a YAML stream or JSON) with every beta Ingress and IngressClass in v1.
///
/// A document that does not parse is kept as written: loading reports it.
pub fn rewrite(text: &str) -> Rewritten {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let mut out = Rewritten {
        text: String::with_capacity(text.len()),
        converted: Vec::new(),
    };
    out.text.push_str(bom);
    if looks_like_json(body) {
        rewrite_json(body, &mut out);
    } else {
        rewrite_yaml(body, &mut out);
    }
    out
}

fn rewrite_yaml(text: &str, out: &mut Rewritten) {
    let mut kept = 0;
    for (index, chunk) in split_documents(text).into_iter().enumerate() {
        let Ok(mut value) =
            serde_saphyr::from_str_with_options::<Value>(&chunk.text, yaml_options())
        else {
            continue;
        };
        let found = convert_document(&mut value, index + 1, chunk.first_line);
        if found.is_empty() {
            continue;
        }
        let Ok(yaml) = serde_saphyr::to_string(&value) else {
            continue;
        };
        // Comment lines heading the document (a file's header, a note above an object) stay.
        let head = leading_comments(&text[chunk.span.clone()]);
        let had_comments = has_comments(&text[chunk.span.start + head.len()..chunk.span.end]);
        out.text.push_str(&text[kept..chunk.span.start]);
        out.text.push_str(head);
        // A document that started on its `---` line (`--- {a: 1}`) now starts on the next.
        if text[..chunk.span.start].ends_with("---") {
            out.text.push('\n');
        }
        out.text.push_str(&yaml);
        if !yaml.ends_with('\n') {
            out.text.push('\n');
        }
        kept = chunk.span.end;
        out.converted.extend(found.into_iter().map(|mut d| {
            d.had_comments = had_comments;
            d
        }));
    }
    out.text.push_str(&text[kept..]);
}

fn rewrite_json(text: &str, out: &mut Rewritten) {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let (mut kept, mut document) = (0, 0);
    loop {
        let start = stream.byte_offset();
        let Some(Ok(mut value)) = stream.next() else {
            break;
        };
        let end = stream.byte_offset();
        document += 1;
        // The value starts after the white space that precedes it.
        let start = start + text[start..end].len() - text[start..end].trim_start().len();
        let line = 1 + text[..start].matches('\n').count();
        let found = convert_document(&mut value, document, line);
        if found.is_empty() {
            continue;
        }
        let Ok(json) = serde_json::to_string_pretty(&value) else {
            continue;
        };
        out.text.push_str(&text[kept..start]);
        out.text.push_str(&json);
        kept = end;
        out.converted.extend(found);
    }
    out.text.push_str(&text[kept..]);
}

/// Converts a document, or the beta items of a `List`, in place.
fn convert_document(value: &mut Value, document: usize, line: usize) -> Vec<RewrittenDocument> {
    let converted = |removed, item| RewrittenDocument {
        document,
        line,
        item,
        removed,
        had_comments: false,
    };
    if let Some(removed) = to_v1(value) {
        return vec![converted(removed, None)];
    }
    let is_list = value.get("kind").and_then(Value::as_str) == Some("List");
    match value.get_mut("items") {
        Some(Value::Array(items)) if is_list => items
            .iter_mut()
            .enumerate()
            .filter_map(|(i, item)| to_v1(item).map(|removed| converted(removed, Some(i))))
            .collect(),
        _ => Vec::new(),
    }
}

/// The blank and comment lines a document starts with.
fn leading_comments(text: &str) -> &str {
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !(trimmed.is_empty() || trimmed.starts_with('#')) || !line.ends_with('\n') {
            break;
        }
        end += line.len();
    }
    &text[..end]
}

/// Whether a YAML document has a comment: a `#` at the start of a line or after white space
/// (inside a quoted string that is a false alarm, which only makes the warning cautious).
fn has_comments(text: &str) -> bool {
    text.lines().any(|line| {
        let trimmed = line.trim_start();
        trimmed.starts_with('#') || line.contains(" #") || line.contains("\t#")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_without_beta_objects_are_kept_byte_for_byte() {
        let text = "# c\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a}  # x\n...\n---\nkind: Foo\n";
        let out = rewrite(text);
        assert_eq!(out.text, text);
        assert!(out.converted.is_empty());
    }

    #[test]
    fn a_document_on_its_marker_line_and_list_items_are_converted() {
        let text = "--- {apiVersion: networking.k8s.io/v1beta1, kind: IngressClass, metadata: {name: c}, spec: {controller: x/y}}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}}\n- {apiVersion: extensions/v1beta1, kind: Ingress, metadata: {name: i}, spec: {backend: {serviceName: s, servicePort: http}}}\n";
        let out = rewrite(text);
        let found: Vec<_> = out
            .converted
            .iter()
            .map(|d| (d.document, d.item, d.removed.kind))
            .collect();
        assert_eq!(found, [(1, None, "IngressClass"), (2, Some(1), "Ingress")]);
        assert!(
            out.text
                .starts_with("---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\n"),
            "{}",
            out.text
        );
        assert!(out.text.contains("\n---\n"), "{}", out.text);
        assert!(!out.text.contains("v1beta1"), "{}", out.text);
        assert!(out.text.contains("port:\n"), "{}", out.text);
    }

    #[test]
    fn json_stays_json_and_comments_are_flagged() {
        let text = "{\"apiVersion\": \"networking.k8s.io/v1beta1\", \"kind\": \"Ingress\", \"metadata\": {\"name\": \"a\"}}\n";
        let out = rewrite(text);
        let value: Value = serde_json::from_str(&out.text).unwrap();
        assert_eq!(value["apiVersion"], "networking.k8s.io/v1");
        assert!(!out.converted[0].had_comments);
        let yaml =
            rewrite("apiVersion: extensions/v1beta1 # old\nkind: Ingress\nmetadata: {name: a}\n");
        assert!(yaml.converted[0].had_comments);
    }
}

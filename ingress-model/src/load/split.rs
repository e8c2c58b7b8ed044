//! Splitting a YAML stream into documents before parsing, so that one broken document does not
//! hide the ones after it.
//!
//! In YAML 1.2 a line that starts with `---` (followed by white space or the end of the line) or
//! is `...` is always a document boundary: block scalars end there and quoted scalars may not
//! contain one (YAML 1.2.2 section 9.1). Splitting on such lines is therefore exact, and lets us
//! parse each document on its own, with its own parser budget.

/// One document of a YAML stream: its text and the 1-based line it starts on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Chunk<'a> {
    pub(crate) text: std::borrow::Cow<'a, str>,
    pub(crate) first_line: usize,
    /// The bytes of the stream the document covers: from the line after its `---` (or, for
    /// `--- {a: 1}`, from just after the marker) to the next marker line.
    pub(crate) span: std::ops::Range<usize>,
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
}

/// Whether a chunk holds nothing but blank lines, comments and directives.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

/// Splits `text` at document markers. Empty documents (only blanks and comments) are dropped.
pub(crate) fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize; // byte offset of the current chunk
    let mut start_line = 1usize;
    let mut offset = 0usize;
    // Text that followed a `---` on its line (`--- {a: 1}`), padded to keep its column.
    let mut carried: Option<String> = None;
    let mut push = |from: usize, to: usize, first_line: usize, carried: Option<String>| {
        let body = &text[from..to];
        // A carried head is the marker line with `---` blanked: the span starts after the `---`.
        let span_start = match &carried {
            Some(head) => from + 3 - head.len(),
            None => from,
        };
        let text = match carried {
            Some(mut head) => {
                head.push_str(body);
                std::borrow::Cow::Owned(head)
            }
            None => std::borrow::Cow::Borrowed(body),
        };
        if !is_blank(&text) {
            chunks.push(Chunk {
                text,
                first_line,
                span: span_start..to,
            });
        }
    };
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let line_no = index + 1;
        let bare = line.trim_end_matches(['\n', '\r']);
        if is_marker(bare, "---") {
            push(start, offset, start_line, carried.take());
            let rest = &line[3..];
            if !rest.trim().is_empty() {
                carried = Some(format!("   {rest}"));
            }
            start = offset + line.len();
            start_line = if carried.is_some() {
                line_no
            } else {
                line_no + 1
            };
        } else if is_marker(bare, "...") {
            push(start, offset, start_line, carried.take());
            start = offset + line.len();
            start_line = line_no + 1;
        }
        offset += line.len();
    }
    push(start, text.len(), start_line, carried.take());
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_each_document_in_the_stream() {
        let text = "a: 1\n---\nb: 2\n--- {c: 3}\n...\nd: 4";
        let spans: Vec<&str> = split_documents(text)
            .iter()
            .map(|c| &text[c.span.clone()])
            .collect();
        assert_eq!(spans, ["a: 1\n", "b: 2\n", " {c: 3}\n", "d: 4"]);
    }

    fn parts(text: &str) -> Vec<(String, usize)> {
        split_documents(text)
            .into_iter()
            .map(|c| (c.text.into_owned(), c.first_line))
            .collect()
    }

    #[test]
    fn splits_on_markers_and_drops_empty_documents() {
        let text = "---\na: 1\n---\n# only a comment\n---\nb: 2\n...\nc: 3\n";
        assert_eq!(
            parts(text),
            vec![
                ("a: 1\n".to_owned(), 2),
                ("b: 2\n".to_owned(), 6),
                ("c: 3\n".to_owned(), 8)
            ]
        );
    }

    #[test]
    fn keeps_content_after_marker_and_ignores_indented_dashes() {
        let text = "--- {a: 1}\nb: |\n  ---\n  text\n----\n";
        let p = parts(text);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0, "    {a: 1}\nb: |\n  ---\n  text\n----\n");
        assert_eq!(p[0].1, 1);
    }

    #[test]
    fn crlf_markers() {
        assert_eq!(parts("a: 1\r\n---\r\nb: 2\r\n").len(), 2);
    }
}

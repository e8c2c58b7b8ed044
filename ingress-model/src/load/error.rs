//! What went wrong loading one document, and where.

use std::fmt;

/// Where an object (or an error) came from: file, document, and list item.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file name as given to the loader (or the name passed with in-memory input).
    pub file: String,
    /// 1-based index of the document in the file, counting non-empty documents only.
    pub document: usize,
    /// 1-based line where the document starts.
    pub line: usize,
    /// 0-based index in `items` when the object came from a `kind: List` wrapper.
    pub item: Option<usize>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: document {}", self.file, self.document)?;
        if let Some(i) = self.item {
            write!(f, ", items[{i}]")?;
        }
        Ok(())
    }
}

/// A document (or list item) that could not be loaded. Loading goes on with the next one.
#[derive(Debug, thiserror::Error)]
pub struct LoadError {
    /// File and document. For whole-file errors (unreadable, too large) `document` is 0.
    pub origin: Origin,
    /// 1-based line and column in the file, where the YAML or JSON parser reports one.
    pub position: Option<(usize, usize)>,
    /// The field path inside the object, in the API server's form (`spec.rules[0].host`).
    pub field: Option<String>,
    /// What is wrong.
    pub kind: LoadErrorKind,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin.file)?;
        if self.origin.document > 0 {
            write!(f, ": document {}", self.origin.document)?;
        }
        if let Some(i) = self.origin.item {
            write!(f, ", items[{i}]")?;
        }
        if let Some((line, column)) = self.position {
            write!(f, " (line {line}, column {column})")?;
        }
        f.write_str(": ")?;
        if let Some(field) = self.field.as_deref().filter(|p| !p.is_empty() && *p != ".") {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// The kinds of load failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The file or directory could not be read.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The input is larger than [`LoadOptions::max_input_bytes`](crate::LoadOptions).
    #[error("input is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The input is not UTF-8.
    #[error("not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// A YAML or JSON syntax error, or a parser limit (depth, aliases, size) was hit.
    #[error("{0}")]
    Syntax(String),
    /// The document parsed but a field has the wrong type or shape.
    #[error("{0}")]
    Field(String),
    /// The document is not a mapping with `apiVersion` and `kind`.
    #[error("{0}")]
    NotAnObject(String),
    /// A kind we model, in an API version we do not.
    #[error("unsupported apiVersion {api_version:?} for kind {kind}{hint}")]
    UnsupportedVersion {
        /// The kind.
        kind: String,
        /// The apiVersion found.
        api_version: String,
        /// Extra advice, starting with `: ` when present.
        hint: &'static str,
    },
}

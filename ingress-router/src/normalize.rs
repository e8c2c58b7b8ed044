//! Request path normalisation: the configurable pre-step of matching (crate docs, section 6).
//!
//! The Ingress API does not say how a request path is normalised before matching. Validation
//! forbids `//`, `/./`, `/../`, `%2f` and the suffixes `/.` and `/..` in Exact and Prefix paths,
//! which only makes sense if requests are compared in a normalised form, so the default removes
//! dot segments (RFC 3986 section 5.2.4). `%2F` is never decoded into a separator: that would let
//! `/a%2F..%2Fb` escape a Prefix rule's subtree.

/// How the request path is normalised before matching (crate docs, section 6).
///
/// Whatever the mode, only the path is matched: the query and fragment are cut off by
/// [`RequestView::new`](crate::RequestView::new).
///
/// # Examples
///
/// ```
/// use ingress_router::PathNormalization;
///
/// let n = PathNormalization::RemoveDotSegments;
/// assert_eq!(n.normalize("/a/b/../c/./d"), "/a/c/d");
/// assert_eq!(n.normalize("/a%2F..%2Fb"), "/a%2F..%2Fb"); // %2F is not a separator
/// assert_eq!(PathNormalization::None.normalize("/a/../b"), "/a/../b");
/// assert_eq!(PathNormalization::NginxLike.normalize("//a/%7Euser/%2E%2E/b"), "/a/b");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathNormalization {
    /// Match the path exactly as sent.
    None,
    /// Remove `.` and `..` segments (RFC 3986 section 5.2.4). The default.
    #[default]
    RemoveDotSegments,
    /// What nginx does before choosing a location: decode percent-encoded unreserved characters
    /// (`A-Z a-z 0-9 - . _ ~`), merge repeated slashes, then remove dot segments. `%2F` stays
    /// encoded.
    NginxLike,
    /// Exactly what nginx does to the URI before it chooses a location (its `$uri`): every
    /// `%XX` that stands for an ASCII byte is decoded, `%2F` included, which then acts as a
    /// separator; repeated slashes are merged; dot segments are removed. What the ingress-nginx
    /// profile matches. Two differences, both for requests nginx refuses: a `..` above the
    /// root is dropped (nginx answers 400), and so are no bytes of `%00` (nginx answers 400);
    /// escapes of non-ASCII bytes stay encoded (a `&str` cannot hold a lone byte).
    Nginx,
}

/// Paths longer than this that need normalising are normalised on the heap; shorter ones use a
/// stack buffer of this size, so `find` does not allocate for them.
pub(crate) const STACK_PATH_LEN: usize = 4096;

// === impl PathNormalization ===

impl PathNormalization {
    /// The normalised form of `path` (allocates; the table's hot path uses a stack buffer).
    pub fn normalize(self, path: &str) -> String {
        if !self.needs(path) {
            return path.to_owned();
        }
        let mut buf = path.as_bytes().to_vec();
        let len = self.apply(&mut buf);
        buf.truncate(len);
        String::from_utf8(buf).unwrap_or_else(|_| path.to_owned())
    }

    /// Whether a request path would change, using what [`RequestView::new`] already saw:
    /// the common case costs no further scan and no copy.
    ///
    /// [`RequestView::new`]: crate::RequestView::new
    #[inline]
    pub(crate) fn needs_hinted(self, path: &str, hints: crate::request::Hints) -> bool {
        match self {
            PathNormalization::None => false,
            PathNormalization::RemoveDotSegments => hints.dot && has_dot_segment(path.as_bytes()),
            PathNormalization::NginxLike | PathNormalization::Nginx => {
                hints.escapes_or_slashes || hints.dot
            }
        }
    }

    /// Whether `path` would change.
    pub(crate) fn needs(self, path: &str) -> bool {
        match self {
            PathNormalization::None => false,
            PathNormalization::RemoveDotSegments => has_dot_segment(path.as_bytes()),
            PathNormalization::NginxLike | PathNormalization::Nginx => {
                let b = path.as_bytes();
                b.contains(&b'%') || b.windows(2).any(|w| w == b"//") || has_dot_segment(b)
            }
        }
    }

    /// Normalises `path` into `buf`; `None` when `buf` is too small.
    pub(crate) fn normalize_into<'b>(self, path: &str, buf: &'b mut [u8]) -> Option<&'b str> {
        let out = buf.get_mut(..path.len())?;
        out.copy_from_slice(path.as_bytes());
        let len = self.apply(out);
        // Every step removes or decodes ASCII only, so the result is still UTF-8.
        std::str::from_utf8(&buf[..len]).ok()
    }

    /// Normalises in place and returns the new length (never longer than the input).
    fn apply(self, buf: &mut [u8]) -> usize {
        match self {
            PathNormalization::None => buf.len(),
            PathNormalization::RemoveDotSegments => remove_dot_segments(buf),
            PathNormalization::NginxLike => {
                let len = decode_and_merge_slashes(buf, is_unreserved);
                remove_dot_segments(&mut buf[..len])
            }
            PathNormalization::Nginx => {
                let len = decode_and_merge_slashes(buf, |b| b.is_ascii());
                remove_dot_segments(&mut buf[..len])
            }
        }
    }
}

/// Whether a path has a `.` or `..` segment (between slashes, or at either end).
fn has_dot_segment(b: &[u8]) -> bool {
    // `contains` on bytes is a memchr: most paths have no dot at all.
    if !b.contains(&b'.') {
        return false;
    }
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'.') {
        let dot = i + off;
        let starts_segment = dot == 0 || b[dot - 1] == b'/';
        if starts_segment {
            let rest = &b[dot + 1..];
            let rest = rest.strip_prefix(b".").unwrap_or(rest);
            if rest.is_empty() || rest[0] == b'/' {
                return true;
            }
        }
        i = dot + 1;
    }
    false
}

/// RFC 3986 section 5.2.4, in place. The output never grows past the input consumed so far,
/// so writing into the same buffer is safe.
fn remove_dot_segments(buf: &mut [u8]) -> usize {
    let len = buf.len();
    let (mut r, mut w) = (0, 0);
    while r < len {
        let rest = &buf[r..len];
        if rest.starts_with(b"../") {
            r += 3; // A
        } else if rest.starts_with(b"./") {
            r += 2; // A
        } else if rest.starts_with(b"/./") {
            r += 2; // B: "/./" -> "/"
        } else if rest == b"/." {
            buf[w] = b'/'; // B: "/." -> "/"
            w += 1;
            r = len;
        } else if rest.starts_with(b"/../") {
            r += 3; // C: "/../" -> "/" and drop the last output segment
            w = pop_segment(buf, w);
        } else if rest == b"/.." {
            w = pop_segment(buf, w); // C: "/.." -> "/"
            buf[w] = b'/';
            w += 1;
            r = len;
        } else if rest == b"." || rest == b".." {
            r = len; // D
        } else {
            // E: move the first segment (with its leading slash) to the output.
            let start = r;
            r += 1;
            while r < len && buf[r] != b'/' {
                r += 1;
            }
            buf.copy_within(start..r, w);
            w += r - start;
        }
    }
    w
}

/// Drops the last segment and its preceding `/` from `buf[..w]`.
fn pop_segment(buf: &[u8], w: usize) -> usize {
    buf[..w].iter().rposition(|&c| c == b'/').unwrap_or(0)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Decodes `%XX` when it stands for a byte `decode` accepts, and merges runs of `/` (decoded
/// ones too), in place. A decoded byte is never decoded again (`%2541` is `%41`).
fn decode_and_merge_slashes(buf: &mut [u8], decode: impl Fn(u8) -> bool) -> usize {
    let len = buf.len();
    let (mut r, mut w) = (0, 0);
    while r < len {
        let mut c = buf[r];
        let mut step = 1;
        if c == b'%'
            && r + 2 < len
            && let (Some(h), Some(l)) = (hex(buf[r + 1]), hex(buf[r + 2]))
            && decode(h * 16 + l)
        {
            c = h * 16 + l;
            step = 3;
        }
        if !(c == b'/' && w > 0 && buf[w - 1] == b'/') {
            buf[w] = c;
            w += 1;
        }
        r += step;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rds(s: &str) -> String {
        PathNormalization::RemoveDotSegments.normalize(s)
    }

    #[test]
    fn rfc3986_examples() {
        // RFC 3986 section 5.2.4 worked examples.
        assert_eq!(rds("/a/b/c/./../../g"), "/a/g");
        assert_eq!(rds("mid/content=5/../6"), "mid/6");
        assert_eq!(rds("/.."), "/");
        assert_eq!(rds("/."), "/");
        assert_eq!(rds("/a/.."), "/");
        assert_eq!(rds("/a/."), "/a/");
        assert_eq!(rds("/a/../../b"), "/b");
        assert_eq!(rds("/a/b/.."), "/a/");
        assert_eq!(rds("/a/.b/..c/"), "/a/.b/..c/");
        assert_eq!(rds("/ip/abc/../../uuid"), "/uuid");
    }

    #[test]
    fn detection() {
        let n = PathNormalization::RemoveDotSegments;
        assert!(!n.needs("/static/app.js"));
        assert!(!n.needs("/a/.hidden"));
        assert!(!n.needs("/a/..b"));
        assert!(n.needs("/a/./b"));
        assert!(n.needs("/a/.."));
        assert!(n.needs("./a"));
        assert!(!PathNormalization::NginxLike.needs("/a/b"));
        assert!(PathNormalization::NginxLike.needs("/a//b"));
    }

    #[test]
    fn nginx_like() {
        let n = PathNormalization::NginxLike;
        assert_eq!(n.normalize("////uuid"), "/uuid");
        assert_eq!(n.normalize("/%61%62c"), "/abc");
        assert_eq!(n.normalize("/a%2Fb"), "/a%2Fb");
        assert_eq!(n.normalize("/a/%2e%2e/b"), "/b");
        assert_eq!(n.normalize("/a%"), "/a%");
        assert_eq!(n.normalize("/a%4"), "/a%4");
        assert_eq!(n.normalize("/a%41"), "/aA");
    }

    #[test]
    fn nginx() {
        let n = PathNormalization::Nginx;
        assert_eq!(n.normalize("////uuid"), "/uuid");
        assert_eq!(n.normalize("/a%2Fb"), "/a/b");
        assert_eq!(n.normalize("/a%2F%2Fb"), "/a/b");
        assert_eq!(n.normalize("/a/b%2F..%2Fc"), "/a/c");
        assert_eq!(n.normalize("/%2541"), "/%41");
        assert_eq!(n.normalize("/a%20b%3F"), "/a b?");
        assert_eq!(n.normalize("/caf%C3%A9"), "/caf%C3%A9");
        assert_eq!(n.normalize("/ip/abc/../../uuid"), "/uuid");
    }

    #[test]
    fn into_stack_buffer() {
        let mut buf = [0u8; 16];
        let n = PathNormalization::RemoveDotSegments;
        assert_eq!(n.normalize_into("/a/../b", &mut buf), Some("/b"));
        assert_eq!(
            n.normalize_into("/aaaaaaaaaaaaaaaaaaaaa/../b", &mut buf),
            None
        );
    }
}

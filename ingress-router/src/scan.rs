//! Word-at-a-time byte scans for the request view (SWAR: eight bytes per step, no `unsafe`).
//!
//! Every request is scanned once, for the end of its path (`?` or `#`), for bytes that mean
//! normalisation could change it, for the port separator, for upper-case host letters and for
//! bytes a host name cannot have. A byte loop costs about a cycle per byte; these check eight at
//! a time and fall back to the byte loop only around the rare interesting bytes.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

#[inline]
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_le_bytes(w)
}

/// High bit of each byte set exactly where the byte is zero.
#[inline]
fn zero_bytes(v: u64) -> u64 {
    !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7)
}

/// High bit of each byte set exactly where the byte equals `b`.
#[inline]
fn equal_bytes(v: u64, b: u8) -> u64 {
    zero_bytes(v ^ (LO * u64::from(b)))
}

/// High bit of each byte set exactly where the byte is in `lo..=hi`, for a word whose bytes
/// are all below 128 (so no addition carries into the next byte).
#[inline]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x.wrapping_add(LO * u64::from(0x80 - lo));
    let above_hi = x.wrapping_add(LO * u64::from(0x7f - hi));
    at_least_lo & !above_hi & HI
}

/// High bit of each byte set exactly where the byte is an ASCII upper-case letter.
#[inline]
fn upper_bytes(v: u64) -> u64 {
    in_range(v & LOW7, b'A', b'Z') & !v
}

/// High bit of each byte set exactly where the byte is a name byte ([`is_name_byte`]).
#[inline]
fn name_bytes(v: u64) -> u64 {
    let x = v & LOW7;
    // Setting bit 5 folds `A..=Z` onto `a..=z` and moves no other byte into that range.
    let letters = in_range(x | (LO * 0x20), b'a', b'z');
    let others = in_range(x, b'-', b'.')
        | in_range(x, b'0', b'9')
        | equal_bytes(x, b'_')
        | equal_bytes(x, b'~');
    // Bytes of 128 and more are never name bytes.
    (letters | others) & !v
}

/// Whether `b` may appear in a host name that can match a rule host: an ASCII letter, a digit,
/// `-`, `.`, `_` or `~` (RFC 3986's unreserved characters).
#[inline]
pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Index of the first `b` in `bytes` (the tests' cross-check of the word masks).
#[cfg(test)]
fn find_byte(bytes: &[u8], b: u8) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let m = equal_bytes(word(c), b);
        if m != 0 {
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&x| x == b)
        .map(|i| base + i)
}

/// What one pass over a `Host` value found before its first `:` (or in all of it, when it has
/// none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HostScan {
    /// The first `:`.
    pub(crate) colon: Option<usize>,
    /// An ASCII upper-case letter.
    pub(crate) upper: bool,
    /// A byte that is not a name byte ([`is_name_byte`]).
    pub(crate) other: bool,
}

/// Scans a host for its port separator, its case and bytes a name cannot have: one pass for
/// the port, the case and the shape of a `Host` header.
#[inline]
pub(crate) fn scan_host(bytes: &[u8]) -> HostScan {
    let mut out = HostScan::default();
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let v = word(c);
        // Only the bytes before the first colon count; `before` masks them.
        let colons = equal_bytes(v, b':');
        let at = (colons.trailing_zeros() / 8) as usize;
        let before = if colons == 0 {
            u64::MAX
        } else {
            (1u64 << (at * 8)) - 1
        };
        out.upper |= upper_bytes(v) & before != 0;
        out.other |= !name_bytes(v) & HI & before != 0;
        if colons != 0 {
            out.colon = Some(base + at);
            return out;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b':' {
            out.colon = Some(base + i);
            return out;
        }
        out.upper |= b.is_ascii_uppercase();
        out.other |= !is_name_byte(b);
    }
    out
}

/// What a scan of a request target's path found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PathScan {
    /// Where the path ends: the first `?` or `#`, else the length.
    pub(crate) end: usize,
    /// A `.` right after a `/` (or first): there may be dot segments.
    pub(crate) dot: bool,
    /// A `%` or `//`.
    pub(crate) escapes_or_slashes: bool,
}

/// Scans a path (see [`PathScan`]).
#[inline]
pub(crate) fn scan_path(bytes: &[u8]) -> PathScan {
    let mut out = PathScan {
        end: bytes.len(),
        ..PathScan::default()
    };
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let v = word(&bytes[i..i + 8]);
        let slashes = equal_bytes(v, b'/');
        let boring = (equal_bytes(v, b'?')
            | equal_bytes(v, b'#')
            | equal_bytes(v, b'.')
            | equal_bytes(v, b'%')
            | (slashes & (slashes >> 8)))
            == 0
            // `//` across the previous word and this one.
            && !(i > 0 && bytes[i - 1] == b'/' && bytes[i] == b'/');
        if !boring && scan_bytes(bytes, i, i + 8, &mut out) {
            return out;
        }
        i += 8;
    }
    scan_bytes(bytes, i, bytes.len(), &mut out);
    out
}

/// The byte loop over `bytes[from..to]`; `true` when the path ended there.
fn scan_bytes(bytes: &[u8], from: usize, to: usize, out: &mut PathScan) -> bool {
    for i in from..to {
        let prev = if i == 0 { b'/' } else { bytes[i - 1] };
        match bytes[i] {
            b'?' | b'#' => {
                out.end = i;
                return true;
            }
            b'.' if prev == b'/' => out.dot = true,
            b'%' => out.escapes_or_slashes = true,
            b'/' if prev == b'/' && i > 0 => out.escapes_or_slashes = true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8]) -> PathScan {
        let mut out = PathScan {
            end: bytes.len(),
            ..PathScan::default()
        };
        scan_bytes(bytes, 0, bytes.len(), &mut out);
        out
    }

    fn naive_host(bytes: &[u8]) -> HostScan {
        let colon = bytes.iter().position(|&b| b == b':');
        let before = &bytes[..colon.unwrap_or(bytes.len())];
        HostScan {
            colon,
            upper: before.iter().any(u8::is_ascii_uppercase),
            other: !before.iter().all(|&b| is_name_byte(b)),
        }
    }

    #[test]
    fn word_scans_agree_with_byte_loops() {
        let samples: &[&[u8]] = &[
            b"",
            b"/",
            b"/api/users/42",
            b"/static/app.js?v=3",
            b"/a/b/c/d/e/f/g/h/../i",
            b"/aaaaaaa/./b",
            b"/aaaaaaa//b",
            b"/aaaaaa//b",
            b"/aaaaaaaa#frag/..",
            b"/%2F%2e%2E/xxxxxxxxxxxxxxxxxxxxx",
            b".hidden/xxxxxxxxxxxxxx",
            "/ünïcödé/ÄBC/path?q".as_bytes(),
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`{",
            b"abcdefghijklmnopqrstuvwxyz:host",
            b"0123456789:80",
            b"h0.example.com",
            b"H0.example.com",
            b"h0.example.coM",
            b"user@h0.example.com",
            b"[::1]:8080",
            b"x_y~z-0.example.com.",
            b"h0.example.com:80",
            "\u{fc}.example.com".as_bytes(),
        ];
        for s in samples {
            assert_eq!(scan_path(s), naive(s), "{:?}", String::from_utf8_lossy(s));
            assert_eq!(find_byte(s, b':'), s.iter().position(|&b| b == b':'));
            assert_eq!(
                scan_host(s),
                naive_host(s),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
        // Every byte value in every position of a word, before and after a colon.
        for b in 0..=255u8 {
            for at in 0..16 {
                let mut s = vec![b'x'; 16];
                s[at] = b;
                assert_eq!(find_byte(&s, b'?'), (b == b'?').then_some(at));
                assert_eq!(scan_host(&s), naive_host(&s), "{b} at {at}");
                assert_eq!(scan_path(&s), naive(&s), "{b} at {at}");
                for colon in [0, 3, 7, 8, 12] {
                    let mut s = s.clone();
                    s[colon] = b':';
                    assert_eq!(
                        scan_host(&s),
                        naive_host(&s),
                        "{b} at {at}, colon at {colon}"
                    );
                }
            }
        }
    }
}

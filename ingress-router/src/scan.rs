//! Word-at-a-time byte scans for the request view (SWAR: eight bytes per step, no `unsafe`).
//!
//! Every request is scanned once, for the end of its path (`?` or `#`), for bytes that mean
//! normalisation could change it, for the port separator and for upper-case host letters. A
//! byte loop costs about a cycle per byte; these check eight at a time and fall back to the
//! byte loop only around the rare interesting bytes.

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

/// Whether some byte is an ASCII upper-case letter ("hasbetween" of Bit Twiddling Hacks,
/// exact for every byte: bytes of 128 and more are never counted).
#[inline]
fn has_upper(v: u64) -> bool {
    let (m, n) = (u64::from(b'A') - 1, u64::from(b'Z') + 1);
    let x = v & (LO * 127);
    ((LO * (127 + n)).wrapping_sub(x) & !v & x.wrapping_add(LO * (127 - m)) & HI) != 0
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

/// The first `:` of a host, and whether an ASCII upper-case letter comes before it (or
/// anywhere, when there is no colon): one pass for the port and the case of a `Host` header.
#[inline]
pub(crate) fn scan_host(bytes: &[u8]) -> (Option<usize>, bool) {
    let mut upper = false;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let v = word(c);
        let colons = equal_bytes(v, b':');
        if colons != 0 {
            let at = (colons.trailing_zeros() / 8) as usize;
            upper |= c[..at].iter().any(u8::is_ascii_uppercase);
            return (Some(base + at), upper);
        }
        upper |= has_upper(v);
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b':' {
            return (Some(base + i), upper);
        }
        upper |= b.is_ascii_uppercase();
    }
    (None, upper)
}

/// Whether some byte is an ASCII upper-case letter.
#[inline]
pub(crate) fn any_upper(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        if has_upper(word(c)) {
            return true;
        }
    }
    chunks.remainder().iter().any(u8::is_ascii_uppercase)
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
        ];
        for s in samples {
            assert_eq!(scan_path(s), naive(s), "{:?}", String::from_utf8_lossy(s));
            assert_eq!(
                any_upper(s),
                s.iter().any(u8::is_ascii_uppercase),
                "{:?}",
                String::from_utf8_lossy(s)
            );
            assert_eq!(find_byte(s, b':'), s.iter().position(|&b| b == b':'));
            let colon = s.iter().position(|&b| b == b':');
            let before = &s[..colon.unwrap_or(s.len())];
            assert_eq!(
                scan_host(s),
                (colon, before.iter().any(u8::is_ascii_uppercase)),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
        // Every byte value in every position of a word.
        for b in 0..=255u8 {
            for at in 0..16 {
                let mut s = vec![b'x'; 16];
                s[at] = b;
                assert_eq!(any_upper(&s), b.is_ascii_uppercase(), "{b} at {at}");
                assert_eq!(find_byte(&s, b'?'), (b == b'?').then_some(at));
                let colon = s.iter().position(|&x| x == b':');
                let before = &s[..colon.unwrap_or(s.len())];
                assert_eq!(
                    scan_host(&s),
                    (colon, before.iter().any(u8::is_ascii_uppercase))
                );
                assert_eq!(scan_path(&s), naive(&s), "{b} at {at}");
            }
        }
    }
}

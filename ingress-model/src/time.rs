//! `metav1.Time`: an RFC 3339 timestamp kept as written, parsed on demand.
//!
//! The API server writes creation timestamps with second precision and a `Z` offset
//! (`2008-01-01T01:01:01Z`). We keep the original text so objects round-trip byte for byte,
//! and parse it into seconds since the Unix epoch when an ordering is needed. No date crate is
//! pulled in for this: the grammar is small and fixed (RFC 3339 section 5.6).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A `metav1.Time` value as it appeared in the manifest.
///
/// # Examples
///
/// ```
/// use ingress_model::Timestamp;
///
/// let t = Timestamp::new("2008-01-01T01:01:01Z");
/// assert_eq!(t.unix_seconds(), Some(1_199_149_261));
/// // Offsets are applied, fractions are dropped (the API server has second precision).
/// assert_eq!(Timestamp::new("2008-01-01T02:01:01.5+01:00").unix_seconds(), Some(1_199_149_261));
/// assert_eq!(Timestamp::new("yesterday").unix_seconds(), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl Timestamp {
    /// Wraps a timestamp string; it is parsed only when [`Timestamp::unix_seconds`] is called.
    pub fn new(text: impl Into<String>) -> Self {
        Timestamp(text.into())
    }

    /// The timestamp formatted by the API server for `seconds` since the Unix epoch (UTC).
    ///
    /// ```
    /// use ingress_model::Timestamp;
    /// assert_eq!(Timestamp::from_unix_seconds(1_199_149_261).as_str(), "2008-01-01T01:01:01Z");
    /// ```
    pub fn from_unix_seconds(seconds: i64) -> Self {
        let days = seconds.div_euclid(86_400);
        let secs = seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        Timestamp(format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        ))
    }

    /// The text as written in the manifest.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Seconds since the Unix epoch, or `None` when the text is not RFC 3339.
    pub fn unix_seconds(&self) -> Option<i64> {
        parse_rfc3339(self.0.as_bytes())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`, `t`/`z`/space accepted as RFC 3339 allows.
fn parse_rfc3339(s: &[u8]) -> Option<i64> {
    if s.len() < 20 || s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    if !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?);
    let (hour, min, sec) = (
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    );
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + min * 60 + sec - offset)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_round_trip() {
        assert_eq!(
            Timestamp::new("1970-01-01T00:00:00Z").unix_seconds(),
            Some(0)
        );
        for s in [0, 1, 86_399, 951_782_400, 1_700_000_000, -86_400] {
            assert_eq!(Timestamp::from_unix_seconds(s).unix_seconds(), Some(s));
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2008-13-01T00:00:00Z",
            "2008-02-30T00:00:00Z",
            "2008-01-01T00:00:00",
            "2008-01-01T00:00:00.Z",
            "2008-01-01T24:00:00Z",
            "２００８-01-01T00:00:00Z",
        ] {
            assert_eq!(Timestamp::new(bad).unix_seconds(), None, "{bad}");
        }
    }
}

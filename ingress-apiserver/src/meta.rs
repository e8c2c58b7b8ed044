//! Server-set metadata: uids, timestamps, generated names, and the name checks.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as RFC 3339 in UTC to the second (`2025-01-31T12:00:00Z`), as `creationTimestamp` is.
pub(crate) fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// Seconds since the Unix epoch as RFC 3339 (UTC).
pub(crate) fn rfc3339(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// 64 random bits from the standard library's randomly keyed hasher, mixed with a counter so
/// that two calls never agree.
fn random_u64(counter: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(counter);
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// A version-4-shaped UUID, as `metadata.uid`.
pub(crate) fn new_uid(counter: u64) -> String {
    let a = random_u64(counter);
    let b = random_u64(counter.wrapping_add(0x9e37_79b9_7f4a_7c15));
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        ["8", "9", "a", "b"][(b & 3) as usize],
        &hex[17..20],
        &hex[20..32]
    )
}

/// `generateName` plus five characters from the alphabet the real server uses.
pub(crate) fn generated_name(prefix: &str, counter: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut bits = random_u64(counter);
    let mut name = prefix.to_owned();
    for _ in 0..5 {
        name.push(char::from(
            ALPHABET[(bits % ALPHABET.len() as u64) as usize],
        ));
        bits /= ALPHABET.len() as u64;
    }
    name
}

/// Why `name` cannot be an object name, if it cannot. Names go in URL path segments, so the
/// real server's path-segment rule applies to every kind; namespaces must be DNS labels.
pub(crate) fn name_problem(name: &str, dns_label: bool) -> Option<String> {
    if name.is_empty() {
        return Some("Required value: name or generateName is required".into());
    }
    if dns_label {
        let ok = name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !ok {
            return Some(format!(
                "Invalid value: {name:?}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
            ));
        }
        return None;
    }
    if name.len() > 253 {
        return Some(format!(
            "Invalid value: {name:?}: must be no more than 253 characters"
        ));
    }
    if name == "." || name == ".." || name.contains('/') || name.contains('%') {
        return Some(format!(
            "Invalid value: {name:?}: may not be '.' or '..' and may not contain '/' or '%'"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_735_689_599), "2024-12-31T23:59:59Z");
        assert!(now_rfc3339().starts_with("20"));
    }

    #[test]
    fn uids_and_generated_names() {
        let (a, b) = (new_uid(1), new_uid(2));
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        let n = generated_name("web-", 3);
        assert!(n.starts_with("web-") && n.len() == 9);
    }

    #[test]
    fn name_rules() {
        assert!(name_problem("web.example", false).is_none());
        assert!(name_problem("", false).unwrap().contains("Required"));
        assert!(name_problem("a/b", false).is_some());
        assert!(name_problem("Team-A", true).is_some());
        assert!(name_problem("team-a", true).is_none());
    }
}

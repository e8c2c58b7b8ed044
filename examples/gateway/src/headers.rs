//! The header rules of a reverse proxy: hop-by-hop headers stay on their hop, and the upstream
//! learns who asked (`X-Forwarded-*`, `X-Real-IP`) and which request this is (`X-Request-ID`).

use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// How many [`HOP_BY_HOP`] names there are.
const HOPS: usize = 7;

/// The hop-by-hop headers of RFC 9110 section 7.6.1 and the ones older software sends
/// (`Keep-Alive`, `Proxy-Connection`): they describe one connection, never the next.
const HOP_BY_HOP: [HeaderName; HOPS] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Host`.
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Forwarded-Proto`.
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Real-IP`.
pub const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
/// `X-Request-ID`.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Removes the hop-by-hop headers: every header `Connection` names, then the fixed list.
///
/// Most messages have none, or only `Connection: keep-alive` (which many upstreams send), so
/// one look at each name comes first and says which of the fixed list are there: removing
/// names that are not there would hash and probe for each of them, twice per request. The
/// names `Connection` lists are removed as text (no `HeaderName` is made for them), those of
/// the fixed list with it.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let mut present = [false; HOPS];
    for name in headers.keys() {
        if let Some(i) = HOP_BY_HOP.iter().position(|hop| hop == name) {
            present[i] = true;
        }
    }
    if present[0] {
        // `HOP_BY_HOP[0]` is `Connection`. Its values are copied (shared bytes) so that the
        // map can change while they are read; there is seldom more than one.
        let first = headers.get(header::CONNECTION).cloned();
        let more: Vec<HeaderValue> = headers
            .get_all(header::CONNECTION)
            .iter()
            .skip(1)
            .cloned()
            .collect();
        for value in first.iter().chain(&more) {
            let Ok(value) = value.to_str() else { continue };
            for name in value.split(',').map(str::trim) {
                let fixed = HOP_BY_HOP
                    .iter()
                    .any(|hop| hop.as_str().eq_ignore_ascii_case(name));
                if !name.is_empty() && !fixed {
                    // Text that is no header name names no header: nothing is removed.
                    headers.remove(name);
                }
            }
        }
    }
    for (name, present) in HOP_BY_HOP.iter().zip(present) {
        if present {
            headers.remove(name);
        }
    }
}

/// Tells the upstream who asked: the client's address (`client`, as a header value) appended
/// to `X-Forwarded-For` (after any the client or a proxy before us sent, joined into one
/// field), `X-Real-IP` the client's address, `X-Forwarded-Host` the host the client asked for,
/// `X-Forwarded-Proto` the scheme it used. The last three are set, replacing what the client
/// sent: only the hop that saw the connection can say. An `X-Request-ID` the client (or a
/// proxy before us) sent is kept, as ingress-nginx keeps it; a request without one gets a new
/// one ([`new_request_id`]).
///
/// The values are shared, not copied, where they can be: `client` is made once per
/// connection, and the host is the request's own `Host` value.
pub fn set_forwarded(
    headers: &mut HeaderMap,
    client: &HeaderValue,
    host: Option<&HeaderValue>,
    proto: &'static str,
) {
    headers.entry(X_REQUEST_ID).or_insert_with(new_request_id);
    let mut prior = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .peekable();
    let forwarded_for = if prior.peek().is_none() {
        Some(client.clone())
    } else {
        let mut joined = String::new();
        for prior in prior {
            joined.push_str(prior.trim());
            joined.push_str(", ");
        }
        joined.push_str(client.to_str().unwrap_or_default());
        HeaderValue::try_from(joined).ok()
    };
    if let Some(value) = forwarded_for {
        headers.insert(X_FORWARDED_FOR, value);
    }
    headers.insert(X_REAL_IP, client.clone());
    match host {
        Some(host) if !host.is_empty() && host.to_str().is_ok() => {
            headers.insert(X_FORWARDED_HOST, host.clone());
        }
        _ => {
            headers.remove(X_FORWARDED_HOST);
        }
    }
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(proto));
}

/// A request id as nginx's `$request_id` looks: 32 lowercase hex digits. Unique within the
/// process (a counter) and, with a random per-process key, across replicas; not a secret.
pub fn new_request_id() -> HeaderValue {
    static KEY: OnceLock<std::hash::RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let key = KEY.get_or_init(std::hash::RandomState::new);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let id = (u128::from(key.hash_one(n)) << 64) | u128::from(key.hash_one(!n) ^ n);
    let mut text = [0u8; 32];
    for (i, digit) in text.iter_mut().enumerate() {
        *digit = HEX[((id >> (124 - 4 * i)) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&text).expect("hex digits are a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_go() {
        let mut headers = map(&[
            ("connection", "keep-alive, X-Secret"),
            ("connection", "x-other"),
            ("keep-alive", "timeout=5"),
            ("x-secret", "1"),
            ("x-other", "2"),
            ("te", "trailers"),
            ("trailer", "x-sum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("proxy-connection", "keep-alive"),
            ("x-kept", "3"),
            ("accept", "*/*"),
        ]);
        remove_hop_by_hop(&mut headers);
        let left: Vec<_> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["x-kept", "accept"]);
    }

    #[test]
    fn forwarded_for_is_appended_and_the_rest_set() {
        let mut headers = map(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-for", "198.51.100.2"),
            ("x-forwarded-host", "spoofed"),
            ("x-real-ip", "spoofed"),
        ]);
        set_forwarded(
            &mut headers,
            &HeaderValue::from_static("10.1.2.3"),
            Some(&HeaderValue::from_static("shop.example.com")),
            "http",
        );
        assert_eq!(
            headers["x-forwarded-for"],
            "203.0.113.7, 198.51.100.2, 10.1.2.3"
        );
        assert_eq!(headers.get_all("x-forwarded-for").iter().count(), 1);
        assert_eq!(headers["x-real-ip"], "10.1.2.3");
        assert_eq!(headers["x-forwarded-host"], "shop.example.com");
        assert_eq!(headers["x-forwarded-proto"], "http");

        let mut fresh = HeaderMap::new();
        set_forwarded(&mut fresh, &HeaderValue::from_static("::1"), None, "http");
        assert_eq!(fresh["x-real-ip"], "::1");
        assert_eq!(fresh["x-forwarded-for"], "::1");
        assert!(fresh.get("x-forwarded-host").is_none());
    }

    #[test]
    fn a_request_id_is_kept_or_made() {
        let (client, host) = (
            HeaderValue::from_static("10.1.2.3"),
            HeaderValue::from_static("h"),
        );
        let mut sent = map(&[("x-request-id", "abc-123")]);
        set_forwarded(&mut sent, &client, Some(&host), "http");
        assert_eq!(sent["x-request-id"], "abc-123");

        let ids: std::collections::BTreeSet<String> = (0..1000)
            .map(|_| {
                let mut headers = HeaderMap::new();
                set_forwarded(&mut headers, &client, Some(&host), "http");
                headers["x-request-id"].to_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 1000, "every request gets its own id");
        assert!(ids.iter().all(|id| {
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }));
    }
}

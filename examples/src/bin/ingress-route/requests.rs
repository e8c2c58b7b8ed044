//! The requests to route: positional URLs or JSON lines, each kept as given for the output.

use std::collections::BTreeMap;
use std::io::BufRead;

use ingress_router::nginx::{CanaryRequest, same_header_name};
use ingress_router::{RequestView, Scheme};
use serde::Deserialize;

/// One request to route, and its original form for the `request` field of the JSON output.
#[derive(Debug, Clone)]
pub(crate) struct RequestSpec {
    /// The request exactly as given (a JSON line, or `{"url": ...}` plus what we read from it).
    pub(crate) given: serde_json::Value,
    /// `Host` header; `None` means the request had none.
    pub(crate) host: Option<String>,
    /// Request target: path and optional query.
    pub(crate) path: String,
    /// `http` or `https`.
    pub(crate) scheme: String,
    /// TLS server name; defaults to the host for `https`.
    pub(crate) sni: Option<String>,
    /// Request headers, in the order given (a `Cookie` header carries the cookies): the
    /// ingress-nginx profile's canaries read them.
    pub(crate) headers: Vec<(String, String)>,
    /// The random draw in `[0, 1)` a weighted canary is decided with; without one, a weighted
    /// canary takes only what its whole weight gives it (the output shows its share).
    pub(crate) draw: Option<f64>,
}

impl RequestSpec {
    /// What the table looks at: the host, the target and the scheme.
    pub(crate) fn view(&self) -> RequestView<'_> {
        let scheme = if self.scheme == "https" {
            Scheme::Https
        } else {
            Scheme::Http
        };
        RequestView::new(self.host.as_deref().unwrap_or(""), &self.path).with_scheme(scheme)
    }
}

/// The canary step reads the request's headers and draw.
impl CanaryRequest for RequestSpec {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| same_header_name(n, name))
            .map(|(_, v)| v.as_str())
    }

    fn draw(&self) -> f64 {
        // Just below 1: only a weight of the whole total takes the request.
        self.draw.unwrap_or(1.0 - f64::EPSILON)
    }
}

/// A JSON-lines request (`--requests`). Only `path` is required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRequest {
    #[serde(default)]
    host: Option<String>,
    path: String,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    sni: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    draw: Option<f64>,
}

/// Parses `http://host[:port]/path?query` or `https://...`.
pub(crate) fn from_url(url: &str) -> Result<RequestSpec, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    let scheme = match uri.scheme_str() {
        Some(s @ ("http" | "https")) => s.to_owned(),
        Some(other) => {
            return Err(format!(
                "invalid URL {url:?}: scheme {other:?} is not http or https"
            ));
        }
        None => {
            return Err(format!(
                "invalid URL {url:?}: expected http://host/path or https://host/path"
            ));
        }
    };
    let authority = uri
        .authority()
        .ok_or_else(|| format!("invalid URL {url:?}: no host"))?;
    // The Host header carries the authority without userinfo, port included.
    let host = authority
        .as_str()
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_owned();
    let path = uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/".to_owned());
    let sni = (scheme == "https").then(|| {
        authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned()
    });
    let mut given = serde_json::json!({ "url": url, "host": host, "path": path, "scheme": scheme });
    if let Some(sni) = &sni {
        given["sni"] = serde_json::Value::String(sni.clone());
    }
    Ok(RequestSpec {
        given,
        host: Some(host),
        path,
        scheme,
        sni,
        headers: Vec::new(),
        draw: None,
    })
}

/// Parses one `--requests` line.
pub(crate) fn from_json_line(line: &str) -> Result<RequestSpec, String> {
    let given: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let req: JsonRequest = serde_json::from_value(given.clone()).map_err(|e| e.to_string())?;
    let scheme = req.scheme.unwrap_or_else(|| "http".to_owned());
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "scheme must be \"http\" or \"https\", not {scheme:?}"
        ));
    }
    if !req.path.starts_with('/') {
        return Err(format!("path must start with '/': {:?}", req.path));
    }
    let sni = match req.sni {
        Some(sni) => Some(sni),
        None if scheme == "https" => req.host.as_deref().map(host_without_port),
        None => None,
    };
    if let Some(draw) = req.draw
        && !(0.0..1.0).contains(&draw)
    {
        return Err(format!("draw must be in [0, 1), not {draw}"));
    }
    Ok(RequestSpec {
        given,
        host: req.host,
        path: req.path,
        scheme,
        sni,
        headers: req.headers.into_iter().collect(),
        draw: req.draw,
    })
}

/// Reads JSON-lines requests; blank lines are skipped. Errors name the source and line.
pub(crate) fn read_json_lines(
    name: &str,
    reader: impl BufRead,
) -> Result<Vec<RequestSpec>, String> {
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{name}: cannot read: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(from_json_line(&line).map_err(|e| format!("{name}: line {}: {e}", i + 1))?);
    }
    Ok(out)
}

/// `host[:port]` → `host`, keeping IPv6 literals whole (`[::1]:443` → `::1`).
fn host_without_port(host: &str) -> String {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_owned(),
        _ => host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let r = from_url("http://v1.echo.example:8080/a/b?x=1").unwrap();
        assert_eq!(r.host.as_deref(), Some("v1.echo.example:8080"));
        assert_eq!(r.path, "/a/b?x=1");
        assert_eq!(r.sni, None);
        let r = from_url("https://user@Foo.example").unwrap();
        assert_eq!(
            (r.host.as_deref(), r.path.as_str()),
            (Some("Foo.example"), "/")
        );
        assert_eq!(r.sni.as_deref(), Some("Foo.example"));
        assert!(from_url("ftp://x/").is_err());
        assert!(from_url("/just/a/path").is_err());
    }

    #[test]
    fn json_lines() {
        let r = from_json_line(r#"{"host": null, "path": "/x?y=1"}"#).unwrap();
        assert_eq!(
            (r.host, r.path.as_str(), r.scheme.as_str()),
            (None, "/x?y=1", "http")
        );
        let r =
            from_json_line(r#"{"host": "a.example:443", "path": "/", "scheme": "https"}"#).unwrap();
        assert_eq!(r.sni.as_deref(), Some("a.example"));
        assert!(
            from_json_line(r#"{"host": "a"}"#)
                .unwrap_err()
                .contains("path")
        );
        assert!(from_json_line(r#"{"path": "/", "scheme": "gopher"}"#).is_err());
        assert!(from_json_line("not json").is_err());
    }
}

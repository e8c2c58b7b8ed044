//! The admin listener and the access log: the binary in static mode with `--admin-listen`,
//! `--access-log` and `--log-format json`, driven over loopback; and the listener's readiness
//! before a gateway serves.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Request;
use http_body_util::{BodyExt, Empty};
use ingress_gateway::admin::{Admin, AdminState};
use ingress_gateway::echo::Echo;
use ingress_gateway::metrics::Metrics;
use serde_json::Value;

use crate::support::{self, Binary, HttpClient, MANIFESTS, V1, V2, WAIT, client};

/// A GET of `url` (with `Host: host`, if given): status and body.
async fn get(client: &HttpClient, url: &str, host: Option<&str>) -> (u16, String) {
    let mut request = Request::get(url);
    if let Some(host) = host {
        request = request.header("host", host);
    }
    let reply = support::send(client, request.body(Empty::new()).unwrap()).await;
    (reply.status.as_u16(), reply.body)
}

/// The samples of a text exposition, by `name{labels}`.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_the_access_log_count_what_was_served() {
    let echo = Echo::start("echo-v1-1", "default/echo-v1").await.unwrap();
    let mut binary = Binary::spawn(
        &[
            "-f".into(),
            MANIFESTS.into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--admin-listen".into(),
            "127.0.0.1:0".into(),
            "--access-log".into(),
            "--log-format".into(),
            "json".into(),
            format!("--endpoints=default/echo-v1:3000={}", echo.local_addr()),
        ],
        &[("RUST_LOG", "info")],
    );
    // Every log line is a JSON object.
    let mut next_json = async || -> Value {
        let line = binary.next_line().await.expect("the gateway runs");
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"))
    };
    let address_in = |line: &Value, prefix: &str| -> Option<SocketAddr> {
        let message = line["fields"]["message"].as_str()?;
        message
            .strip_prefix(prefix)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let (mut admin, mut gateway) = (None, None);
    while admin.is_none() || gateway.is_none() {
        let line = next_json().await;
        admin = admin.or_else(|| address_in(&line, "admin listener on http://"));
        let message = line["fields"]["message"].as_str().unwrap_or("");
        if message.starts_with("serving ") {
            gateway = message
                .rsplit_once("http://")
                .and_then(|(_, a)| a.parse::<SocketAddr>().ok());
        }
    }
    let (admin, gateway) = (admin.unwrap(), gateway.unwrap());

    let http = client();
    assert_eq!(
        get(&http, &format!("http://{admin}/healthz"), None).await.0,
        200
    );
    assert_eq!(
        get(&http, &format!("http://{admin}/readyz"), None).await.0,
        200
    );
    assert_eq!(
        get(&http, &format!("http://{admin}/nothing"), None).await.0,
        404
    );
    let url = format!("http://{gateway}/a/b");
    for _ in 0..3 {
        assert_eq!(get(&http, &url, Some(V1)).await.0, 200);
    }
    assert_eq!(
        get(&http, &url, Some(V2)).await.0,
        503,
        "echo-v2 has no endpoints"
    );
    assert_eq!(get(&http, &url, Some("unknown.invalid")).await.0, 404);

    let (status, text) = get(&http, &format!("http://{admin}/metrics"), None).await;
    assert_eq!(status, 200);
    let s = samples(&text);
    let count = |key: &str| {
        s.get(key)
            .copied()
            .unwrap_or_else(|| panic!("no {key} in\n{text}"))
    };
    assert_eq!(
        count(
            r#"ingress_gateway_requests_total{ingress="default/echo-v1",service="default/echo-v1",status="2xx"}"#
        ),
        3.0
    );
    assert_eq!(
        count(
            r#"ingress_gateway_requests_total{ingress="default/echo-v2",service="default/echo-v2",status="5xx"}"#
        ),
        1.0
    );
    assert_eq!(
        count(r#"ingress_gateway_requests_total{ingress="",service="",status="4xx"}"#),
        1.0
    );
    assert_eq!(
        count(r#"ingress_gateway_request_duration_seconds_count{status="2xx"}"#),
        3.0
    );
    assert_eq!(count("ingress_gateway_table_ingresses"), 2.0);
    assert_eq!(count("ingress_gateway_table_swaps_total"), 0.0);
    // The client keeps its connection to the gateway open in its pool.
    assert!(count("ingress_gateway_open_connections") >= 1.0, "{text}");
    drop(http);
    let http = client();
    let deadline = Instant::now() + WAIT;
    loop {
        // A fresh client, no keep-alive: only the scrape's own connection is open.
        let mut request = Request::get(format!("http://{admin}/metrics"));
        request = request.header("connection", "close");
        let response = http
            .request(request.body(Empty::new()).unwrap())
            .await
            .unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let open = samples(&String::from_utf8_lossy(&body))["ingress_gateway_open_connections"];
        if open == 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "connections still counted open: {open}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // One access-log object per request through the gateway, none for the admin paths.
    let mut access = Vec::new();
    while access.len() < 5 {
        let line = next_json().await;
        if line["target"] == "ingress_gateway::access" {
            access.push(line["fields"].clone());
        }
    }
    let first = &access[0];
    assert_eq!(
        (
            first["method"].as_str(),
            first["host"].as_str(),
            first["path"].as_str(),
            first["status"].as_u64(),
            first["ingress"].as_str(),
            first["rule"].as_str(),
            first["backend"].as_str(),
        ),
        (
            Some("GET"),
            Some(V1),
            Some("/a/b"),
            Some(200),
            Some("default/echo-v1"),
            Some("spec.rules[0].http.paths[0]"),
            Some("default/echo-v1"),
        )
    );
    assert!(first["duration_ms"].as_f64().is_some_and(|d| d >= 0.0));
    let statuses: Vec<_> = access
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 200, 503, 404]);

    let _ = binary.child.kill().await;
    echo.stop().await;
}

#[tokio::test]
async fn the_admin_listener_is_not_ready_before_a_gateway_serves() {
    let state = Arc::new(AdminState::default());
    let admin = Admin::bind("127.0.0.1:0".parse().unwrap(), state.clone())
        .await
        .unwrap();
    let http = client();
    let url = |path: &str| format!("http://{}{path}", admin.local_addr());
    assert_eq!(get(&http, &url("/healthz"), None).await.0, 200);
    assert_eq!(get(&http, &url("/readyz"), None).await.0, 503);
    assert_eq!(get(&http, &url("/metrics"), None).await.0, 503);

    let snapshot = ingress_kube::index::Index::new(ingress_kube::index::IndexConfig::new("x"))
        .snapshot()
        .snapshot;
    let routes = Arc::new(ingress_gateway::routes::Routes::new(snapshot));
    state.serving(Arc::new(Metrics::new(routes)));
    assert_eq!(get(&http, &url("/readyz"), None).await.0, 200);
    let (status, text) = get(&http, &url("/metrics"), None).await;
    assert_eq!(status, 200);
    // Families without samples yet (requests) are left out; the gauges are there.
    let s = samples(&text);
    assert_eq!(s["ingress_gateway_open_connections"], 0.0, "{text}");
    assert_eq!(s["ingress_gateway_table_ingresses"], 0.0, "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
    admin.stop().await;
}

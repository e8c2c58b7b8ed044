//! The driver at scale: the first sync of 10 000 Ingresses, Services and EndpointSlices from
//! the in-process server, then one Ingress edit and one EndpointSlice edit with the quiet
//! delay at 0. Ignored by default (seconds of work); run with
//! `cargo test -p ingress-kube --release --test live driver_scale -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use crate::support::{client, until};
use ingress_apiserver::{ApiServer, ServerConfig};
use ingress_kube::driver::{Driver, DriverConfig};
use ingress_kube::index::{IndexConfig, Snapshot};
use ingress_router::RequestView;
use serde_json::json;

const N: usize = 10_000;
/// Edits of each kind timed after the first sync: enough for a p99.
const ROUNDS: usize = 200;
const WAIT: Duration = Duration::from_secs(120);

fn first_endpoint(snapshot: &Snapshot, host: &str) -> Option<String> {
    let routed = snapshot.route(&RequestView::new(host, "/"));
    let endpoints = routed.resolved?.endpoints()?.to_vec();
    endpoints.first().map(ToString::to_string)
}

/// The process's peak resident set (Linux `VmHWM`), in MiB: the server's store included.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "seconds of work; run with --ignored (and --release for figures)"]
async fn initial_sync_of_ten_thousand_and_single_edits() {
    let config = ServerConfig {
        history_limit: 4 * N,
        ..ServerConfig::default()
    };
    let server = ApiServer::start_with("127.0.0.1:0".parse().expect("addr"), config)
        .await
        .expect("API server");
    let store = server.store();
    store
        .apply(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "gateway"}, "spec": {"controller": "example.com/gw"}}),
        )
        .expect("class");
    let slice = |i: usize, last: u8| {
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": format!("svc-{i}-a"), "namespace": format!("ns-{}", i % 100),
                "labels": {"kubernetes.io/service-name": format!("svc-{i}")}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [format!("10.{}.{}.{last}", i / 256 % 256, i % 256)],
                "conditions": {"ready": true}}]})
    };
    let ingress = |i: usize, path: &str| {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": format!("ing-{i}"), "namespace": format!("ns-{}", i % 100)},
            "spec": {"ingressClassName": "gateway", "rules": [{"host": format!("h{i}.example"),
                "http": {"paths": [{"path": path, "pathType": "Prefix",
                    "backend": {"service": {"name": format!("svc-{i}"),
                        "port": {"name": "http"}}}}]}}]}})
    };
    for i in 0..N {
        let namespace = format!("ns-{}", i % 100);
        store.apply(ingress(i, "/")).expect("ingress");
        store
            .apply(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{i}"), "namespace": namespace},
                "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}))
            .expect("service");
        store.apply(slice(i, 1)).expect("slice");
    }

    let config = DriverConfig::new(IndexConfig::new("example.com/gw")).quiet_delay(Duration::ZERO);
    let started = Instant::now();
    let driver = Driver::start(client(&server), config);
    let first = tokio::time::timeout(WAIT, driver.ready())
        .await
        .expect("first snapshot in time")
        .expect("running");
    let sync = started.elapsed();
    for i in [0, N / 2, N - 1] {
        assert_eq!(
            first_endpoint(&first, &format!("h{i}.example")),
            Some(format!("10.{}.{}.1:8080", i / 256 % 256, i % 256))
        );
    }

    // One Ingress edit, then one EndpointSlice edit: time to publication.
    let mut ingress_ms = Vec::new();
    let mut slice_ms = Vec::new();
    for round in 0..ROUNDS {
        let i = round * 47 % N;
        let edited = Instant::now();
        store
            .apply(ingress(i, &format!("/r{round}")))
            .expect("edit ingress");
        until(&driver, "the edited Ingress", |s| {
            first_endpoint(s, &format!("h{i}.example")).is_none()
                && s.route(&RequestView::new(
                    &format!("h{i}.example"),
                    &format!("/r{round}"),
                ))
                .error_status()
                .is_none()
        })
        .await;
        ingress_ms.push(edited.elapsed().as_secs_f64() * 1e3);

        let edited = Instant::now();
        let last = u8::try_from(2 + round % 250).expect("an address byte");
        store.apply(slice(i, last)).expect("edit slice");
        until(&driver, "the edited slice", |s| {
            let routed = s.route(&RequestView::new(
                &format!("h{i}.example"),
                &format!("/r{round}"),
            ));
            routed
                .resolved
                .and_then(|r| r.endpoints().map(|e| e[0].to_string()))
                == Some(format!("10.{}.{}.{last}:8080", i / 256 % 256, i % 256))
        })
        .await;
        slice_ms.push(edited.elapsed().as_secs_f64() * 1e3);
    }
    ingress_ms.sort_by(f64::total_cmp);
    slice_ms.sort_by(f64::total_cmp);
    eprintln!(
        "{N} Ingresses, Services, EndpointSlices: first snapshot after {sync:?}; peak RSS {:?} MiB (server included)",
        peak_rss_mib()
    );
    let at = |sorted: &[f64], q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    eprintln!(
        "edit -> published ({ROUNDS} each, quiet delay 0): Ingress p50 {:.2} ms p99 {:.2} ms max {:.2} ms; EndpointSlice p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
        at(&ingress_ms, 0.5),
        at(&ingress_ms, 0.99),
        at(&ingress_ms, 1.0),
        at(&slice_ms, 0.5),
        at(&slice_ms, 0.99),
        at(&slice_ms, 1.0)
    );
    driver.shutdown().await;
    server.shutdown().await;
}

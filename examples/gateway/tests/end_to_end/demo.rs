//! `--demo` in-process on 127.0.0.1:0 against the founding example: the replicas it starts,
//! the checks it derives from the manifests, and the answers they get through the gateway.

use std::collections::BTreeSet;
use std::time::Duration;

use clap::Parser;
use ingress_gateway::cli::Args;
use ingress_gateway::demo::{Demo, Expect, UNKNOWN_HOST};

use crate::support::{MANIFESTS, V1, V2};

/// The longest the demo's start, its checks or its stop may take.
const DEMO_WAIT: Duration = Duration::from_secs(30);

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_the_founding_example() {
    let args = Args::try_parse_from([
        "ingress-gateway",
        "--demo",
        "--check",
        "-f",
        MANIFESTS,
        "--listen",
        "127.0.0.1:0",
    ])
    .unwrap();
    let demo = tokio::time::timeout(DEMO_WAIT, Demo::start(&args))
        .await
        .expect("the demo starts in time")
        .expect("the demo starts");
    let replicas = demo.replicas();
    assert_eq!(
        replicas,
        [
            "echo-v1-1",
            "echo-v1-2",
            "echo-v1-3",
            "echo-v2-1",
            "echo-v2-2",
            "echo-v2-3"
        ]
    );

    // The checks, as derived from the manifests.
    let v1_expect = Expect::Replica {
        service: "default/echo-v1".into(),
        replicas: set(&["echo-v1-1", "echo-v1-2", "echo-v1-3"]),
    };
    let of_host = |host: &str| demo.checks().iter().filter(|c| c.host == host).count();
    assert_eq!((of_host(V1), of_host(V2), of_host(UNKNOWN_HOST)), (3, 3, 1));
    assert!(
        demo.checks()
            .iter()
            .filter(|c| c.host == V1)
            .all(|c| c.expect == v1_expect)
    );
    let healthz = demo.checks().last().unwrap();
    assert_eq!(
        (healthz.host.clone(), healthz.path.as_str(), &healthz.expect),
        (
            demo.local_addr().to_string(),
            "/healthz",
            &Expect::Status(200)
        )
    );

    // The answers through the gateway.
    let outcomes = tokio::time::timeout(DEMO_WAIT, demo.run_checks())
        .await
        .unwrap();
    for outcome in &outcomes {
        assert!(outcome.ok(), "{outcome}");
    }
    let answered = |host: &str| -> BTreeSet<String> {
        outcomes
            .iter()
            .filter(|o| o.check.host == host)
            .filter_map(|o| o.replica.clone())
            .collect()
    };
    assert_eq!(answered(V1), set(&["echo-v1-1", "echo-v1-2", "echo-v1-3"]));
    assert_eq!(answered(V2), set(&["echo-v2-1", "echo-v2-2", "echo-v2-3"]));
    let status_of = |host: &str| {
        outcomes
            .iter()
            .find(|o| o.check.host == host)
            .map(|o| o.status.clone())
    };
    assert_eq!(status_of(UNKNOWN_HOST), Some(Ok(404)));
    assert_eq!(status_of(&demo.local_addr().to_string()), Some(Ok(200)));

    let curl = demo.curl_commands();
    let addr = demo.local_addr();
    assert!(
        curl.contains(&format!("curl -H 'Host: {V1}' http://{addr}/")),
        "{curl:?}"
    );
    assert!(
        curl.contains(&format!("curl -I http://{addr}/healthz")),
        "{curl:?}"
    );

    tokio::time::timeout(DEMO_WAIT, demo.stop()).await.unwrap();
}

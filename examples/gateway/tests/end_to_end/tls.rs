//! The TLS listener end to end, on loopback: certificates made here with rcgen, put in
//! `kubernetes.io/tls` Secrets that two Ingresses' `spec.tls` name, echo backends, and a
//! tokio-rustls client that trusts exactly those certificates; in static mode, and in live mode
//! against the in-process API server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http::{Request, StatusCode, Version};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use ingress_gateway::cli::Args;
use ingress_gateway::echo::{Echo, EchoReply};
use ingress_gateway::server::Gateway;
use ingress_gateway::tls::TlsOptions;
use ingress_kube::index::Index;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use crate::support::{self, LIMIT, Reply, Scratch, bounded, client};

/// A self-signed certificate for `names`, as PEM (certificate, key) and DER.
struct Cert {
    pem: String,
    key: String,
    der: CertificateDer<'static>,
}

fn cert(names: &[&str]) -> Cert {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let made = rcgen::generate_simple_self_signed(names).unwrap();
    Cert {
        pem: made.cert.pem(),
        key: made.signing_key.serialize_pem(),
        der: made.cert.der().clone(),
    }
}

/// A `kubernetes.io/tls` Secret manifest holding `cert`.
fn secret_yaml(name: &str, cert: &Cert) -> String {
    let secret =
        ingress_model::Secret::tls("default", name, cert.pem.as_bytes(), cert.key.as_bytes());
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}}}\ntype: kubernetes.io/tls\n\
         data:\n  tls.crt: {}\n  tls.key: {}\n",
        secret.data["tls.crt"], secret.data["tls.key"]
    )
}

fn ingress_yaml(host: &str, service: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {service}}}\nspec:\n  \
         tls: [{{hosts: [{host}], secretName: {service}-tls}}]\n  rules:\n  - host: {host}\n    \
         http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: {service}, port: {{number: 80}}}}}}}}]}}\n"
    )
}

/// The two Ingresses and the three Secrets, in one file of `dir`.
fn write_manifests(dir: &std::path::Path, a: &Cert, b: &Cert, fallback: &Cert) {
    let manifests = [
        ingress_yaml("a.example", "svc-a"),
        ingress_yaml("b.example", "svc-b"),
        secret_yaml("svc-a-tls", a),
        secret_yaml("svc-b-tls", b),
        secret_yaml("fallback", fallback),
    ]
    .join("---\n");
    std::fs::write(dir.join("tls.yaml"), manifests).unwrap();
}

/// The flag that serves `default/fallback` to names no Secret covers.
const DEFAULT_CERTIFICATE: &str = "--default-certificate=default/fallback";

struct World {
    gateway: Gateway,
    args: Args,
    index: Index,
    echoes: Vec<Echo>,
    dir: Scratch,
    a: Cert,
    b: Cert,
    fallback: Cert,
    /// A second certificate for `a.example`, for the swap.
    a2: Cert,
}

impl World {
    /// The gateway with two Ingresses (a.example, b.example) and their Secrets, plus the
    /// Secret `default/fallback` for `unknown.example` (`DEFAULT_CERTIFICATE` among `flags`
    /// serves it as the default certificate), and more command-line `flags`.
    async fn start(flags: &[&str], handshake_timeout: Option<Duration>) -> World {
        let dir = Scratch::new("tls");
        let (a, b) = (cert(&["a.example"]), cert(&["b.example"]));
        let (fallback, a2) = (cert(&["unknown.example"]), cert(&["a.example"]));
        write_manifests(dir.dir(), &a, &b, &fallback);
        let echoes = vec![
            Echo::start("a-1", "default/svc-a").await.unwrap(),
            Echo::start("b-1", "default/svc-b").await.unwrap(),
        ];
        let mut argv = vec![
            "-f".to_owned(),
            dir.dir().display().to_string(),
            "--listen=127.0.0.1:0".into(),
            "--tls-listen=127.0.0.1:0".into(),
            format!("--endpoints=default/svc-a:80={}", echoes[0].local_addr()),
            format!("--endpoints=default/svc-b:80={}", echoes[1].local_addr()),
        ];
        argv.extend(flags.iter().map(|f| (*f).to_owned()));
        let (args, mut index) = support::build(&argv);
        let mut gateway = support::serve(&args, &mut index).await;
        let mut options = TlsOptions::from_args(&args);
        if let Some(timeout) = handshake_timeout {
            options.handshake_timeout = timeout;
        }
        gateway
            .bind_tls(args.tls_listen.unwrap(), &options)
            .await
            .unwrap();
        World {
            gateway,
            args,
            index,
            echoes,
            dir,
            a,
            b,
            fallback,
            a2,
        }
    }

    async fn stop(self) {
        bounded("gateway stop", self.gateway.stop()).await;
        for echo in self.echoes {
            bounded("echo stop", echo.stop()).await;
        }
        drop(self.dir);
    }

    fn tls_addr(&self) -> SocketAddr {
        self.gateway.tls_local_addr().unwrap()
    }

    /// A client trusting the four certificates, offering `alpn`.
    fn connector(&self, alpn: &[&[u8]]) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        for cert in [&self.a, &self.b, &self.fallback, &self.a2] {
            roots.add(cert.der.clone()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }

    /// A TLS connection to the gateway with SNI `sni`, verified against the trusted certificates.
    async fn connect(&self, sni: &str, alpn: &[&[u8]]) -> std::io::Result<TlsStream<TcpStream>> {
        let tcp = bounded("connect", TcpStream::connect(self.tls_addr()))
            .await
            .unwrap();
        let name = ServerName::try_from(sni.to_owned()).unwrap();
        bounded("handshake", self.connector(alpn).connect(name, tcp)).await
    }
}

/// The certificate the server presented.
fn served(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().unwrap()[0].clone()
}

/// One GET over HTTP/1.1 on `stream`: status and the echo reply.
async fn get_h1(stream: TlsStream<TcpStream>, host: &str) -> (StatusCode, EchoReply) {
    let (mut sender, connection) = bounded(
        "h1 handshake",
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .unwrap();
    let driver = tokio::spawn(connection);
    let request = Request::get("/")
        .header(http::header::HOST, host)
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = bounded("h1 request", sender.send_request(request))
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
    let answer = bounded("body", Reply::read(response)).await;
    drop(sender);
    let _ = bounded("h1 close", driver).await;
    (answer.status, answer.echo())
}

#[tokio::test]
async fn each_host_gets_its_own_certificate_and_backend_over_https() {
    let world = World::start(&[], None).await;
    for (host, cert, replica) in [
        ("a.example", &world.a, "a-1"),
        ("b.example", &world.b, "b-1"),
    ] {
        let stream = world.connect(host, &[b"http/1.1"]).await.unwrap();
        assert_eq!(served(&stream), cert.der, "{host}");
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        let (status, reply) = get_h1(stream, host).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reply.replica, replica);
        assert_eq!(reply.host, host);
        assert_eq!(reply.header("x-forwarded-proto"), ["https"], "{reply:?}");
    }
    // The plain listener still says http.
    let plain = world.gateway.local_addr();
    let reply = support::get_within(&client(), plain, Some("a.example"), "/", &[], LIMIT).await;
    assert_eq!(reply.echo().header("x-forwarded-proto"), ["http"]);
    world.stop().await;
}

#[tokio::test]
async fn the_ingress_nginx_profile_redirects_plain_http_of_tls_hosts_and_serves_https() {
    // ingress-nginx's `ssl-redirect` (on by default): a host with TLS answers plain HTTP with a
    // 308 to HTTPS, and serves requests that came over the TLS listener.
    let world = World::start(&["--profile=ingress-nginx"], None).await;
    let plain = world.gateway.local_addr();
    let reply =
        support::get_within(&client(), plain, Some("a.example"), "/x?y=1", &[], LIMIT).await;
    assert_eq!(
        reply.status,
        StatusCode::PERMANENT_REDIRECT,
        "{}",
        reply.body
    );
    assert_eq!(reply.body.trim(), "https://a.example/x?y=1");
    let stream = world.connect("a.example", &[b"http/1.1"]).await.unwrap();
    let (status, reply) = get_h1(stream, "a.example").await;
    assert_eq!((status, reply.replica.as_str()), (StatusCode::OK, "a-1"));
    assert_eq!(reply.header("x-forwarded-proto"), ["https"]);
    world.stop().await;
}

#[tokio::test]
async fn alpn_h2_serves_http2() {
    let world = World::start(&[], None).await;
    let stream = world
        .connect("b.example", &[b"h2", b"http/1.1"])
        .await
        .unwrap();
    assert_eq!(served(&stream), world.b.der);
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let answer = support::h2_get(stream, "https://b.example/").await;
    let reply = answer.echo();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(reply.replica, "b-1");
    assert_eq!(reply.header("x-forwarded-proto"), ["https"]);
    // A client offering only protocols the gateway does not speak is refused.
    let refused = world.connect("b.example", &[b"spdy/3"]).await;
    assert!(
        refused.is_err(),
        "a handshake without a shared ALPN protocol succeeded"
    );
    // One offering none gets HTTP/1.1.
    let stream = world.connect("b.example", &[]).await.unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), None);
    let (status, reply) = get_h1(stream, "b.example").await;
    assert_eq!((status, reply.replica.as_str()), (StatusCode::OK, "b-1"));
    world.stop().await;
}

#[tokio::test]
async fn an_unknown_name_fails_without_a_default_certificate_and_gets_it_with_one() {
    let world = World::start(&[], None).await;
    let refused = world.connect("unknown.example", &[b"http/1.1"]).await;
    assert!(refused.is_err(), "handshake for an unknown name succeeded");
    // The known names are still served.
    assert!(world.connect("a.example", &[b"http/1.1"]).await.is_ok());
    world.stop().await;

    let world = World::start(&[DEFAULT_CERTIFICATE], None).await;
    let stream = world
        .connect("unknown.example", &[b"http/1.1"])
        .await
        .unwrap();
    assert_eq!(served(&stream), world.fallback.der);
    // A covered name still gets its own.
    let stream = world.connect("a.example", &[b"http/1.1"]).await.unwrap();
    assert_eq!(served(&stream), world.a.der);
    world.stop().await;
}

#[tokio::test]
async fn a_snapshot_swap_changes_the_next_handshakes_certificate() {
    let mut world = World::start(&[], None).await;
    let before = world.connect("a.example", &[b"http/1.1"]).await.unwrap();
    assert_eq!(served(&before), world.a.der);

    let secret = ingress_model::Secret::tls(
        "default",
        "svc-a-tls",
        world.a2.pem.as_bytes(),
        world.a2.key.as_bytes(),
    );
    let secret = k8s_openapi::api::core::v1::Secret::try_from(&secret).unwrap();
    let change = world.index.apply(secret);
    assert!(change.errors.is_empty(), "{:?}", change.errors);
    world
        .gateway
        .routes()
        .store(world.index.snapshot().snapshot);

    let after = world.connect("a.example", &[b"http/1.1"]).await.unwrap();
    assert_eq!(served(&after), world.a2.der);
    // The connection made before keeps working with its certificate.
    let (status, reply) = get_h1(before, "a.example").await;
    assert_eq!((status, reply.replica.as_str()), (StatusCode::OK, "a-1"));
    let (status, _) = get_h1(after, "a.example").await;
    assert_eq!(status, StatusCode::OK);
    world.stop().await;
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_handshake_timeout() {
    let world = World::start(&[], Some(Duration::from_millis(200))).await;
    let mut tcp = TcpStream::connect(world.tls_addr()).await.unwrap();
    let mut buf = [0u8; 16];
    // The server closes the connection: end of stream (or a reset), within the bound.
    let read = bounded("server closing a silent connection", tcp.read(&mut buf)).await;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    world.stop().await;
}

/// Live mode: the Secrets come from the cluster (the in-process API server), and a Secret
/// replaced there is served from a later handshake on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_mode_serves_the_clusters_secrets_and_follows_their_changes() {
    use ingress_gateway::live::Live;
    const WAIT: Duration = Duration::from_secs(30);

    let server = ingress_apiserver::ApiServer::start()
        .await
        .expect("API server");
    let echo = Echo::start("a-1", "default/svc-a").await.unwrap();
    let (a, a2) = (cert(&["a.example"]), cert(&["a.example"]));
    let store = server.store();
    store
        .load(&ingress_yaml("a.example", "svc-a"))
        .expect("ingress");
    store.load(&secret_yaml("svc-a-tls", &a)).expect("secret");

    let args = Args::try_parse_from([
        "ingress-gateway",
        "--kube",
        "--listen=127.0.0.1:0",
        "--tls-listen=127.0.0.1:0",
        "--watch-ingress-without-class",
    ])
    .unwrap();
    let client = kube::Client::try_from(kube::Config::new(server.url().parse().unwrap())).unwrap();
    let live = tokio::time::timeout(WAIT, Live::start(client, &args, std::future::pending()))
        .await
        .expect("the first snapshot in time")
        .expect("live mode starts")
        .expect("not cancelled");
    let tls_addr = live.tls_local_addr().expect("a TLS listener");

    let mut roots = rustls::RootCertStore::empty();
    roots.add(a.der.clone()).unwrap();
    roots.add(a2.der.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    let handshake = || async {
        let tcp = bounded("connect", TcpStream::connect(tls_addr))
            .await
            .unwrap();
        let name = ServerName::try_from("a.example").unwrap();
        bounded("handshake", connector.connect(name, tcp))
            .await
            .unwrap()
    };
    assert_eq!(served(&handshake().await), a.der);

    store.load(&secret_yaml("svc-a-tls", &a2)).expect("secret");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if served(&handshake().await) == a2.der {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replaced Secret was not served within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    tokio::time::timeout(WAIT, live.stop())
        .await
        .expect("stops in time");
    echo.stop().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_reload_of_the_files_serves_the_changed_secret() {
    use ingress_gateway::reload::{Outcome, Reloader};
    let world = World::start(&[], None).await;
    let reloader = Reloader::new(world.args.clone(), world.gateway.routes().clone(), &[]);
    assert_eq!(
        served(&world.connect("a.example", &[b"http/1.1"]).await.unwrap()),
        world.a.der
    );
    write_manifests(world.dir.dir(), &world.a2, &world.b, &world.fallback);
    let outcome = reloader.reload();
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    assert_eq!(
        served(&world.connect("a.example", &[b"http/1.1"]).await.unwrap()),
        world.a2.der
    );
    world.stop().await;
}

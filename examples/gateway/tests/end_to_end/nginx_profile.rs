//! `--profile ingress-nginx` end to end, on loopback: Ingresses with ingress-nginx's
//! annotations, echo backends, the gateway in-process, and a hyper client. The gateway answers
//! the redirects itself, sends upstreams the rewritten target, and hands a canary the requests
//! its header takes; the same files under the default profile route as the spec says.

use http::{HeaderMap, StatusCode, header};
use ingress_gateway::echo::Echo;
use ingress_gateway::server::Gateway;

use crate::support::{self, HttpClient, Reply, Scratch, WAIT, client};

/// Ingresses an ingress-nginx user has: a regex path rewritten to its second group, a
/// directory-like Prefix path with an `app-root`, a canary by header on it, and a host with TLS
/// (`ssl-redirect` is on by default).
const MANIFESTS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  annotations:
    nginx.ingress.kubernetes.io/use-regex: "true"
    nginx.ingress.kubernetes.io/rewrite-target: /$2
spec:
  rules:
  - host: app.example
    http: {paths: [{path: "/api(/|$)(.*)", pathType: ImplementationSpecific, backend: {service: {name: api, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    nginx.ingress.kubernetes.io/app-root: /home
spec:
  rules:
  - host: web.example
    http: {paths: [{path: /guide/, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web-canary
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
spec:
  rules:
  - host: web.example
    http: {paths: [{path: /guide/, pathType: Prefix, backend: {service: {name: web-canary, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
spec:
  tls: [{hosts: [secure.example], secretName: secure-tls}]
  rules:
  - host: secure.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}], selector: {app: api}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}], selector: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec: {ports: [{port: 80}], selector: {app: web-canary}}
"#;

/// The manifests, an echo replica per Service, and the gateway with `profile`.
struct World {
    gateway: Gateway,
    echoes: Vec<Echo>,
    client: HttpClient,
    _dir: Scratch,
}

impl World {
    async fn start(profile: &str) -> World {
        let dir = Scratch::new("nginx-profile");
        std::fs::write(dir.path("ingresses.yaml"), MANIFESTS).unwrap();
        let mut echoes = Vec::new();
        let mut args = vec![
            "-f".to_owned(),
            dir.dir().display().to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            format!("--profile={profile}"),
        ];
        for service in ["api", "web", "web-canary"] {
            let echo = Echo::start(&format!("{service}-1"), &format!("default/{service}"))
                .await
                .unwrap();
            args.push(format!(
                "--endpoints=default/{service}:80={}",
                echo.local_addr()
            ));
            echoes.push(echo);
        }
        World {
            gateway: support::gateway(&args).await,
            echoes,
            client: client(),
            _dir: dir,
        }
    }

    /// `GET path` on `host` with `headers`.
    async fn get(&self, host: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        let addr = self.gateway.local_addr();
        support::get_within(&self.client, addr, Some(host), path, headers, WAIT).await
    }

    /// The Service and the target an echo got for `GET path` on `host`; panics on any other
    /// answer.
    async fn upstream(&self, host: &str, path: &str, headers: &[(&str, &str)]) -> (String, String) {
        let reply = self.get(host, path, headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{host}{path}: {}", reply.body);
        let echo = reply.echo();
        (echo.service, echo.path)
    }

    /// The status and `Location` of a redirect the gateway answers for `GET path` on `host`.
    async fn redirect(&self, host: &str, path: &str) -> (StatusCode, String) {
        let mut request = http::Request::get(format!("http://{}{path}", self.gateway.local_addr()));
        request = request.header(header::HOST, host);
        let request = request.body(http_body_util::Empty::new()).unwrap();
        let response = tokio::time::timeout(WAIT, self.client.request(request))
            .await
            .expect("an answer in time")
            .expect("an answer");
        let location = location(response.headers());
        (response.status(), location)
    }

    async fn stop(self) {
        self.gateway.stop().await;
        for echo in self.echoes {
            echo.stop().await;
        }
    }
}

fn location(headers: &HeaderMap) -> String {
    headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn pair(service: &str, target: &str) -> (String, String) {
    (format!("default/{service}"), target.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ingress_nginx_profile_redirects_rewrites_and_takes_canaries() {
    let world = World::start("ingress-nginx").await;

    // rewrite-target /$2 of `/api(/|$)(.*)`: case-insensitive, the query kept.
    assert_eq!(
        world
            .upstream("app.example", "/api/users?page=2", &[])
            .await,
        pair("api", "/users?page=2")
    );
    assert_eq!(
        world.upstream("app.example", "/API", &[]).await,
        pair("api", "/")
    );

    // nginx's own 301 for a directory-like location asked without its slash; app-root's 302.
    assert_eq!(
        world.redirect("web.example", "/guide?x=1").await,
        (
            StatusCode::MOVED_PERMANENTLY,
            "http://web.example/guide/?x=1".to_owned()
        )
    );
    assert_eq!(
        world.redirect("web.example", "/").await,
        (StatusCode::FOUND, "http://web.example/home".to_owned())
    );
    // A host with TLS sends plain HTTP to HTTPS with 308.
    assert_eq!(
        world.redirect("secure.example", "/account?id=7").await,
        (
            StatusCode::PERMANENT_REDIRECT,
            "https://secure.example/account?id=7".to_owned()
        )
    );

    // The canary by header: `always` takes the request, `never` and no header leave it.
    assert_eq!(
        world.upstream("web.example", "/guide/intro", &[]).await,
        pair("web", "/guide/intro")
    );
    assert_eq!(
        world
            .upstream("web.example", "/guide/intro", &[("X-Canary", "always")])
            .await,
        pair("web-canary", "/guide/intro")
    );
    assert_eq!(
        world
            .upstream("web.example", "/guide/intro", &[("X-Canary", "never")])
            .await,
        pair("web", "/guide/intro")
    );

    // The metrics count the canary's requests under its own Ingress and Service.
    let metrics = world.gateway.metrics().encode();
    let canary = metrics
        .lines()
        .find(|l| {
            l.starts_with("ingress_gateway_requests_total{")
                && l.contains(r#"ingress="default/web-canary""#)
        })
        .unwrap_or_else(|| panic!("no counter of the canary:\n{metrics}"));
    assert!(
        canary.contains(r#"service="default/web-canary""#) && canary.ends_with(" 1"),
        "{canary}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_files_under_the_spec_profile_neither_redirect_nor_rewrite() {
    let world = World::start("spec").await;
    // `/api(/|$)(.*)` is a literal path: nothing matches it.
    let reply = world.get("app.example", "/api/users", &[]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    // Prefix /guide/ matches /guide; the canary annotation means nothing, so its Ingress
    // conflicts with the primary on the same path and the older (here the first) one wins.
    assert_eq!(
        world.upstream("web.example", "/guide?x=1", &[]).await,
        pair("web", "/guide?x=1")
    );
    assert_eq!(
        world
            .upstream("web.example", "/guide/a", &[("X-Canary", "always")])
            .await,
        pair("web", "/guide/a")
    );
    assert_eq!(
        world.upstream("secure.example", "/account", &[]).await,
        pair("web", "/account")
    );
    world.stop().await;
}

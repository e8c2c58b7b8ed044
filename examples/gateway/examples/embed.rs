//! The router's tower layer in a plain hyper server: every handler finds the request's route
//! in its extensions. Run: `cargo run -p ingress-gateway --example embed`; it serves on a
//! loopback port, sends itself two requests, prints the answers and exits.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::{Request, Response, body::Incoming};
use hyper_util::service::TowerToHyperService;
use hyper_util::{client::legacy::Client, rt::TokioExecutor, rt::TokioIo, server::conn::auto};
use ingress_router::tower::{RouteLayer, Routing};
use ingress_router::{IngressBackend, RouteTable, SharedTable};
use tower_layer::Layer;

/// The application: it never looks a route up, the layer did.
async fn app(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let text = match request.extensions().get::<Routing<IngressBackend>>() {
        Some(Ok(decision)) => match decision.backend() {
            Some(backend) => format!(
                "200 {backend} (Ingress {})",
                decision.source().map_or(String::new(), ToString::to_string)
            ),
            None => "404 no route".to_owned(),
        },
        Some(Err(bad_host)) => format!("400 {bad_host}"),
        None => "500 not routed".to_owned(),
    };
    Ok(Response::new(Full::new(Bytes::from(text))))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ingress = serde_json::from_str(
        r#"{"metadata": {"name": "shop", "namespace": "web"},
        "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/api",
        "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 8080}}}}]}}]}}"#,
    )?;
    let table = Arc::new(SharedTable::new(
        RouteTable::builder().add(&ingress).build().table,
    ));
    let layer = RouteLayer::new(table.clone()); // `table.store(..)` swaps it under the server

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = layer.layer(tower::service_fn(app));
            tokio::spawn(
                auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .into_owned(),
            );
        }
    });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    for host in ["shop.example.com", "other.example.com"] {
        let request = Request::get(format!("http://{addr}/api/items"))
            .header("host", host)
            .body(Empty::new())?;
        let body = client
            .request(request)
            .await?
            .into_body()
            .collect()
            .await?
            .to_bytes();
        println!("{host}: {}", String::from_utf8_lossy(&body));
    }
    Ok(())
}

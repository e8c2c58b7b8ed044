//! Run the API server on loopback until Ctrl-C, loading manifests given as arguments.
//!
//! ```text
//! cargo run -p ingress-apiserver --example serve -- [--port N] [MANIFEST...]
//! kubectl --server http://127.0.0.1:N get ingress -A
//! ```

use std::net::{Ipv4Addr, SocketAddr};

use ingress_apiserver::ApiServer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    let mut manifests = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--port" {
            port = args.next().ok_or("--port needs a value")?.parse()?;
        } else {
            manifests.push(arg);
        }
    }
    let server = ApiServer::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    for path in &manifests {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let loaded = server
            .store()
            .load(&text)
            .map_err(|e| format!("{path}: {e}"))?;
        eprintln!("{path}: loaded {} objects", loaded.len());
    }
    println!("{}", server.url());
    eprintln!(
        "serving; try: kubectl --server {} get ingress -A",
        server.url()
    );
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}

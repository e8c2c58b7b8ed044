//! `ingress-gateway`: see the crate documentation of `ingress_gateway`.

use std::process::ExitCode;

use clap::Parser;
use ingress_gateway::cli::LogFormat;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system's allocator: a proxied request makes dozens of small,
/// short-lived allocations (headers, bodies' buffers, futures) on one serving thread, which
/// mimalloc's per-thread free lists serve without the locking and consolidation glibc's
/// malloc spends time in under load (see the README's figures against nginx).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = ingress_gateway::cli::Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Text => log
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => log.json().with_ansi(false).init(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ingress-gateway: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(ingress_gateway::run(args))
}

//! The command line: static mode (`-f FILE|DIR... --listen ADDR`) and the demo (`--demo`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::config::EndpointsArg;

/// The controller name the gateway's IngressClasses name in `spec.controller`.
pub const DEFAULT_CONTROLLER: &str = "example.com/ingress-gateway";

/// `ingress-gateway`: a reverse proxy routing by Ingress manifests.
///
/// Static mode serves the Ingresses of the given files; backends come from the Services and
/// EndpointSlices in them and from `--endpoints`. `--demo` also starts an echo backend for every
/// replica of every Deployment in the files and wires the Services to them.
#[derive(Clone, Debug, Parser)]
#[command(name = "ingress-gateway", version, about, long_about = None)]
pub struct Args {
    /// Manifest files or directories (YAML or JSON; directories are read recursively).
    #[arg(short = 'f', long = "file", value_name = "FILE|DIR", required = true)]
    pub files: Vec<PathBuf>,

    /// Address to serve HTTP/1.1 and HTTP/2 (prior knowledge) on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Endpoints of a Service port: `NS/SERVICE:PORT=ADDR[,ADDR...]` (`PORT` the Service port's
    /// number or name, `ADDR` an `IP:PORT` to connect to). Repeatable.
    #[arg(long = "endpoints", value_name = "NS/SERVICE:PORT=ADDR[,ADDR...]")]
    pub endpoints: Vec<EndpointsArg>,

    /// The controller name this gateway answers to in IngressClasses' `spec.controller`.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_CONTROLLER)]
    pub controller: String,

    /// Ignore Ingresses that name no class. By default static mode serves them: files handed
    /// to the gateway are meant for it.
    #[arg(long)]
    pub ignore_classless: bool,

    /// Give up on an upstream that has not connected after this long (504).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Give up on an upstream whose response head has not arrived after this long (504).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub response_timeout: Duration,

    /// Idle upstream connections kept per endpoint.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_idle_per_endpoint: usize,

    /// Start an echo backend on loopback for every replica of every Deployment in the files,
    /// send the example requests, print the answers and curl commands, and serve until Ctrl-C.
    #[arg(long)]
    pub demo: bool,

    /// With `--demo`: exit after the printed checks, non-zero if an answer is not as expected.
    #[arg(long, requires = "demo")]
    pub check: bool,
}

/// `250ms`, `5s`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}`: expected a number and a unit (ms, s, m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        other => Err(format!("`{text}`: unknown unit `{other}` (ms, s, m)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("5h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn the_demo_needs_only_files() {
        let args = Args::try_parse_from(["ingress-gateway", "--demo", "-f", "x.yaml"]).unwrap();
        assert!(args.demo && !args.check);
        assert_eq!(args.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.controller, DEFAULT_CONTROLLER);
        assert!(Args::try_parse_from(["ingress-gateway", "--check", "-f", "x"]).is_err());
    }
}

//! `ingress-gen`: write a seeded, realistic set of Ingresses as multi-document YAML, to try
//! `ingress-route` (or your own gateway) at scale.
//!
//! ```sh
//! cargo run --release --bin ingress-gen -- 10000 1000 42 > /tmp/scale.yaml
//! cargo run --release --bin ingress-route -- route -f /tmp/scale.yaml http://app-0.team-0000.example.com/api/v1/x
//! ```

use std::io::Write;
use std::process::ExitCode;

use ingress_examples::generate::{Scale, ingresses};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: ingress-gen INGRESSES NAMESPACES [SEED]   (writes YAML to stdout)";
    let number = |i: usize, default: Option<u64>| -> Option<u64> {
        match args.get(i) {
            Some(s) => s.parse().ok(),
            None => default,
        }
    };
    let (Some(n), Some(ns), Some(seed)) = (number(0, None), number(1, None), number(2, Some(42)))
    else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    if n == 0 || ns == 0 || args.len() > 3 {
        eprintln!("{usage}");
        return ExitCode::from(2);
    }
    let set = ingresses(Scale {
        ingresses: n as usize,
        namespaces: ns as usize,
        seed,
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for ing in &set {
        // JSON is YAML: one flow-style document per Ingress.
        let Ok(json) = serde_json::to_string(ing) else {
            return ExitCode::FAILURE;
        };
        if writeln!(out, "---\n{json}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

//! `ingress-route`: where would this request go, and what is wrong with these Ingresses?
//!
//! An offline tool for platform engineers, built on `ingress-model` and `ingress-router`: it reads
//! manifests (files or directories of YAML or JSON), builds the same routing table a gateway
//! embedding `ingress-router` would build, and answers for each request. Nothing talks to a
//! cluster.
//!
//! ```sh
//! cargo run --release --bin ingress-route -- route -f examples/manifests/echo.yaml http://v1.echo.192.168.49.5.sslip.io/
//! cargo run --release --bin ingress-route -- route -f manifests/ --json --requests requests.jsonl
//! cargo run --release --bin ingress-route -- route -f manifests/ --explain https://shop.example.com/cart
//! cargo run --release --bin ingress-route -- lint -f manifests/ --json
//! cargo run --release --bin ingress-route -- lint -f manifests/ --format sarif > lint.sarif
//! cargo run --release --bin ingress-route -- convert -f old-manifests/ -o converted/
//! ```
//!
//! Exit codes: `route` exits 0 whatever the outcomes; `lint` exits 1 when it finds an error.
//! Both exit 2 when the input cannot be read or parsed (the message on stderr names the file and
//! the document) or the command line is wrong. Results go to stdout, everything else to stderr.

mod convert;
mod diff;
mod explain;
mod lint;
mod output;
mod report;
mod requests;

use std::io::{BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ingress_model::validation::ValidationOptions;
use ingress_model::{LoadOptions, Manifests};
use ingress_router::{ClassFilter, Config, RouteTable, Severity};

use crate::requests::RequestSpec;

/// Where would this request go, and what is wrong with these Ingresses? Offline, from manifests.
#[derive(Debug, Parser)]
#[command(name = "ingress-route", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Which backend gets each request, and why.
    #[command(after_help = "\
Examples:
  ingress-route route -f examples/manifests/echo.yaml http://v1.echo.192.168.49.5.sslip.io/
  ingress-route route -f k8s/ --class nginx --json https://shop.example.com/cart?id=1
  ingress-route route -f k8s/ --explain http://shop.example.com/api/v2
  echo '{\"host\": null, \"path\": \"/healthz\"}' | ingress-route route -f k8s/ --json --requests -
  ingress-route route -f k8s/ --profile ingress-nginx http://shop.example.com/cart
  echo '{\"host\": \"a.example\", \"path\": \"/\", \"headers\": {\"Cookie\": \"canary=always\"}}' \\
    | ingress-route route -f k8s/ --profile ingress-nginx --json --requests -

JSON output (--json), one object per request, one per line, in input order:
  {\"request\": {...as given...}, \"outcome\": \"route\"|\"default-backend\"|\"redirect\"|\"not-found\",
   \"backend\": <IngressBackend as in the spec>|null, \"ingress\": \"namespace/name\"|null,
   \"host\": <rule host>|null, \"path\": <rule path>|null, \"pathType\": ...|null,
   \"tls\": {\"secretName\": ...}|null,
   \"redirect\": {\"status\": N, \"location\": ..., \"reason\": ...}|null,
   \"rewrite\": <request target the upstream gets>|null,
   \"canary\": {\"ingress\": ..., \"backend\": ..., \"taken\": true|false, \"reason\": ...}|null}
\"backend\" and \"ingress\" are what serves: the canary's when it takes the request; \"host\",
\"path\" and \"pathType\" are the matched rule's. The `spec` profile never redirects, rewrites or
has canaries: \"redirect\", \"rewrite\" and \"canary\" are always null there.
Request lines may carry \"headers\": {\"Name\": \"value\"} (a Cookie header carries cookies) and
\"draw\": a number in [0, 1), the random draw of a weighted canary (without one, a weighted
canary takes a request only when its weight is the whole total).")]
    Route(RouteArgs),
    /// Validation errors, conflicts and likely mistakes in the manifests.
    #[command(after_help = "\
Examples:
  ingress-route lint -f examples/manifests/echo.yaml
  ingress-route lint -f k8s/ -f extra.yaml --json

  ingress-route lint -f k8s/ --format sarif > ingress-lint.sarif
  ingress-route lint -f k8s/ --format junit > ingress-lint.xml
  ingress-route lint -f k8s/ --profile ingress-nginx

JSON output (--format json, or --json), one object per finding, one per line:
  {\"severity\": \"error\"|\"warning\", \"rule\": \"invalid\"|\"duplicate-path\"|..., \"object\": \"Ingress namespace/name\",
   \"file\": ..., \"line\": <line of the object's document>|null, \"field\": \"spec.rules[0].host\"|null, \"message\": ...}
--format sarif: one SARIF 2.1.0 log (for code-scanning annotations); --format junit: JUnit XML,
one test case per Ingress and IngressClass (for CI test reports).
A removed beta apiVersion (extensions/v1beta1, networking.k8s.io/v1beta1) is an error
(rule removed-api-version): convert the files with `ingress-route convert`.
Exit status: 1 if any finding is an error, 0 otherwise, 2 if the input cannot be read.")]
    Lint(LintArgs),
    /// Which requests change fate between two profiles (ingress-nginx and the spec), or
    /// between two manifest sets, and why: a migration report.
    #[command(after_help = "\
Examples:
  ingress-route diff -f k8s/                                  # ingress-nginx -> spec
  ingress-route diff -f k8s/ --from ingress-nginx --to spec --json
  ingress-route diff -f k8s/ --to ingress-nginx --to-file k8s-rewritten/

The requests are generated from the rules to tell them apart: each rule path with and without
its trailing slash, with a suffix, a sibling and in upper case; each host and a host one label
deeper (two names of a wildcard), an unlisted host; http and https; the headers, cookies and
draws of canary Ingresses. A request differs when the outcome, the backend that serves it (a
canary's when it takes it), a redirect or the target the upstream gets differ. With --to-file
the second side reads those manifests (with the --to profile) instead of the -f ones.

Text output: the differing requests grouped by Ingress, both answers, and why.
JSON output (--json), one object per differing request:
  {\"ingress\": \"namespace/name\"|null, \"request\": {...}, \"from\": <route JSON>, \"to\": <route JSON>,
   \"reason\": ...}
Exit status: 1 if any request differs, 0 if none, 2 if the input cannot be read.")]
    Diff(DiffArgs),
    /// Rewrite the removed beta Ingresses and IngressClasses as networking.k8s.io/v1.
    #[command(after_help = "\
Examples:
  ingress-route convert -f old.yaml > new.yaml
  ingress-route convert -f k8s/ -o k8s-v1/

The conversion is the one the API server did while it served the beta versions:
spec.backend -> spec.defaultBackend, serviceName/servicePort -> service.name and
service.port.number (or port.name for a named port), a missing pathType -> ImplementationSpecific.
Other documents are kept byte for byte. A converted document keeps its fields and their order
but is written anew: its comments are not kept (stderr names each such document).
Without -o the result goes to stdout (several files as one YAML stream); with -o DIR every input
file is written under DIR at its path relative to its -f argument.
Exit status: 0, or 2 if the input cannot be read or parsed (nothing is written then).")]
    Convert(ConvertArgs),
}

/// Where the manifests come from.
#[derive(Debug, Args)]
struct ManifestArgs {
    /// A manifest file, or a directory searched recursively for *.yaml, *.yml and *.json.
    /// Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR",
        required = true
    )]
    files: Vec<PathBuf>,
    /// Namespace for objects that have none.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
}

#[derive(Debug, Args)]
struct RouteArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// Serve only the Ingresses of this IngressClass (spec.ingressClassName, else the
    /// deprecated kubernetes.io/ingress.class annotation). Repeatable. Default: serve all.
    #[arg(long = "class", value_name = "NAME")]
    classes: Vec<String>,
    /// Semantics profile: `spec` (Kubernetes Ingress v1 as written) or `ingress-nginx` (what
    /// ingress-nginx does with the same Ingresses: its locations, annotations, redirects,
    /// rewrites and canaries).
    #[arg(long, value_enum, default_value_t = ProfileArg::Spec)]
    profile: ProfileArg,
    /// One JSON object per request on stdout (the contract above).
    #[arg(long)]
    json: bool,
    /// Explain each decision: host group, every matching rule and its rank, the losers and why,
    /// the default-backend step.
    #[arg(long)]
    explain: bool,
    /// Read requests as JSON lines from FILE (`-` for stdin):
    /// {"host": "a.example.com"|null, "path": "/x?y=1", "scheme": "http"|"https", "sni": "..."}
    #[arg(long, value_name = "FILE|-")]
    requests: Option<String>,
    // Not a doc comment: rustdoc would read `[:port]` as a link.
    #[arg(
        value_name = "URL",
        help = "Requests as URLs: http://host[:port]/path?query or https://... (sets SNI to the host)"
    )]
    urls: Vec<String>,
}

#[derive(Debug, Args)]
struct DiffArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// The profile of the first side.
    #[arg(long, value_enum, default_value_t = ProfileArg::IngressNginx)]
    from: ProfileArg,
    /// The profile of the second side.
    #[arg(long, value_enum, default_value_t = ProfileArg::Spec)]
    to: ProfileArg,
    /// Manifests of the second side (a file or directory; repeatable), instead of -f's.
    #[arg(long = "to-file", value_name = "FILE|DIR")]
    to_files: Vec<PathBuf>,
    /// Serve only the Ingresses of this IngressClass, on both sides. Repeatable.
    #[arg(long = "class", value_name = "NAME")]
    classes: Vec<String>,
    /// One JSON object per differing request (the contract above).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct LintArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// Semantics profile: `ingress-nginx` adds what ingress-nginx refuses or reads otherwise
    /// (its admission webhook's path and overlap checks, annotation values it ignores, Ingresses
    /// it does not serve, locations nginx refuses, canaries that attach to nothing).
    #[arg(long, value_enum, default_value_t = ProfileArg::Spec)]
    profile: ProfileArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The same as --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
}

/// `--profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProfileArg {
    /// Kubernetes Ingress v1 as written.
    Spec,
    /// What ingress-nginx does.
    IngressNginx,
}

impl ProfileArg {
    fn config(self) -> Config {
        match self {
            ProfileArg::Spec => Config::default(),
            ProfileArg::IngressNginx => Config::ingress_nginx(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            ProfileArg::Spec => "spec",
            ProfileArg::IngressNginx => "ingress-nginx",
        }
    }
}

/// `lint --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One line per finding.
    Text,
    /// One JSON object per finding, one per line (the contract in --help).
    Json,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// JUnit XML.
    Junit,
}

#[derive(Debug, Args)]
struct ConvertArgs {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// Write each file under DIR (created if needed) instead of to stdout.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    output: Option<PathBuf>,
}

/// A failure that ends the command with exit status 2, its message already on stderr.
struct InputError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Route(args) => route(&args),
        Command::Lint(args) => lint(&args),
        Command::Diff(args) => diff(&args),
        Command::Convert(args) => load(&args.manifests)
            .and_then(|m| convert::run(&args.manifests.files, args.output.as_deref(), &m)),
    };
    match result {
        Ok(code) => code,
        Err(InputError) => ExitCode::from(2),
    }
}

/// Loads the manifests; any file or document that cannot be read or parsed is an input error.
fn load(args: &ManifestArgs) -> Result<Manifests, InputError> {
    checked(args, load_all(args))
}

/// Loads the manifests, errors included.
fn load_all(args: &ManifestArgs) -> Manifests {
    let options = LoadOptions {
        default_namespace: args.namespace.clone(),
        ..LoadOptions::default()
    };
    Manifests::load_paths(&args.files, &options)
}

/// Reports load errors (and inputs without objects) on stderr as input errors.
fn checked(args: &ManifestArgs, m: Manifests) -> Result<Manifests, InputError> {
    if !m.errors.is_empty() {
        for e in &m.errors {
            eprintln!("error: {e}");
        }
        eprintln!(
            "error: {} document(s) could not be loaded; nothing was routed or linted",
            m.errors.len()
        );
        return Err(InputError);
    }
    let found = m.ingresses.len()
        + m.ingress_classes.len()
        + m.services.len()
        + m.endpoint_slices.len()
        + m.secrets.len()
        + m.skipped.len();
    if found == 0 {
        let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
        eprintln!("error: no Kubernetes objects found in {}", names.join(", "));
        return Err(InputError);
    }
    Ok(m)
}

fn read_requests(args: &RouteArgs) -> Result<Vec<RequestSpec>, InputError> {
    let mut out = Vec::new();
    for url in &args.urls {
        out.push(requests::from_url(url).map_err(|e| {
            eprintln!("error: {e}");
            InputError
        })?);
    }
    if let Some(source) = &args.requests {
        let read = if source == "-" {
            requests::read_json_lines("stdin", std::io::stdin().lock())
        } else {
            match std::fs::File::open(source) {
                Ok(f) => requests::read_json_lines(source, BufReader::new(f)),
                Err(e) => Err(format!("{source}: cannot read: {e}")),
            }
        };
        out.extend(read.map_err(|e| {
            eprintln!("error: {e}");
            InputError
        })?);
    }
    if out.is_empty() {
        eprintln!("error: no requests: give URLs or --requests FILE (see --help)");
        return Err(InputError);
    }
    Ok(out)
}

fn class_filter(classes: &[String]) -> ClassFilter {
    if classes.is_empty() {
        ClassFilter::all()
    } else {
        ClassFilter::classes(classes.iter().cloned())
    }
}

fn diff(args: &DiffArgs) -> Result<ExitCode, InputError> {
    let from_manifests = load(&args.manifests)?;
    let to_manifests = if args.to_files.is_empty() {
        None
    } else {
        let to_args = ManifestArgs {
            files: args.to_files.clone(),
            namespace: args.manifests.namespace.clone(),
        };
        Some(load(&to_args)?)
    };
    let objects = |m: &Manifests| -> Vec<ingress_model::Ingress> {
        m.ingresses.iter().map(|l| l.object.clone()).collect()
    };
    let from_ingresses = objects(&from_manifests);
    let to_ingresses = to_manifests
        .as_ref()
        .map_or_else(|| from_ingresses.clone(), objects);
    let side = |profile: ProfileArg, ingresses: &[ingress_model::Ingress], suffix: &str| {
        let refs: Vec<&ingress_model::Ingress> = ingresses.iter().collect();
        let config = profile.config().classes(class_filter(&args.classes));
        diff::Side::new(format!("{}{suffix}", profile.name()), config, &refs)
    };
    // Two sets under one profile are told apart by where they come from.
    let (from_suffix, to_suffix) = match (&to_manifests, args.from == args.to) {
        (Some(_), true) => (" (-f)", " (--to-file)"),
        _ => ("", ""),
    };
    let from = side(args.from, &from_ingresses, from_suffix);
    let to = side(args.to, &to_ingresses, to_suffix);
    let all: Vec<&ingress_model::Ingress> = from_ingresses.iter().chain(&to_ingresses).collect();
    let prefix = [&from.config, &to.config]
        .into_iter()
        .find(|c| c.profile == ingress_router::Profile::IngressNginx)
        .map_or_else(
            || Config::ingress_nginx().nginx.annotation_prefix,
            |c| c.nginx.annotation_prefix.clone(),
        );
    let probes = diff::probes(&all, &prefix);
    let canaries = diff::canaries(&all, &prefix);
    let diffs = diff::differences(&from, &to, &probes, &canaries);
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (piped into `head`) ends the output.
    let _ = if args.json {
        diffs
            .iter()
            .try_for_each(|d| writeln!(stdout, "{}", diff::json(d)))
    } else {
        write!(stdout, "{}", diff::text(&from, &to, &diffs, probes.len()))
    };
    Ok(if diffs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn route(args: &RouteArgs) -> Result<ExitCode, InputError> {
    let manifests = load(&args.manifests)?;
    // Routed as the API server converted them; no cluster since 1.22 accepts them as written.
    for c in &manifests.converted {
        eprintln!("warning: {}: {}", c.origin, c.message());
    }
    let requests = read_requests(args)?;
    let config = args.profile.config().classes(class_filter(&args.classes));
    let built = RouteTable::builder()
        .config(config)
        .add_all(manifests.ingresses.iter().map(|l| &l.object))
        .build();
    // What the table left out is worth knowing when reading its answers; conflicts and other
    // findings are `lint`'s job.
    for d in built
        .diagnostics
        .iter()
        .filter(|d| d.severity() == Severity::Error)
    {
        eprintln!("skipped: {d}");
    }
    let table = built.table;
    let mut stdout = std::io::stdout().lock();
    for req in &requests {
        let view = req.view();
        let answer = output::Answer::new(table.find(&view), &view, req);
        let tls = req
            .sni
            .as_deref()
            .and_then(|sni| table.certificate_for(sni));
        let explanation = args
            .explain
            .then(|| explain::explain(&table, &view, &answer.decision));
        let written = if args.json {
            let mut line = output::route_json(req, &answer, tls.as_ref());
            if let Some(e) = &explanation {
                line["explanation"] = e.to_json();
            }
            writeln!(stdout, "{line}")
        } else {
            let mut text = output::route_line(req, &answer, tls.as_ref());
            if let Some(e) = &explanation {
                text.push('\n');
                text.push_str(&e.to_text());
            }
            writeln!(stdout, "{text}")
        };
        if written.is_err() {
            // stdout closed (e.g. piped into `head`): nothing more to say.
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn lint(args: &LintArgs) -> Result<ExitCode, InputError> {
    let format = if args.json { Format::Json } else { args.format };
    let all = load_all(&args.manifests);
    if !all.errors.is_empty() && matches!(format, Format::Sarif | Format::Junit) {
        // A pipeline reads only the report: it carries the unreadable documents, with the
        // parser's line and column, and the exit status still says the input was bad.
        let findings = lint::load_error_findings(&all);
        let report = match format {
            Format::Sarif => format!("{:#}\n", report::sarif(&findings)),
            _ => report::junit(&all, &findings),
        };
        let _ = std::io::stdout().lock().write_all(report.as_bytes());
        // `checked` says on stderr what could not be loaded.
        let _ = checked(&args.manifests, all);
        return Err(InputError);
    }
    let manifests = checked(&args.manifests, all)?;
    let findings = lint::findings(
        &manifests,
        &ValidationOptions::default(),
        &args.profile.config(),
    );
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (piped into `head`) ends the output; there is nothing more to say.
    let _ = match format {
        Format::Text | Format::Json => findings.iter().try_for_each(|f| {
            let line = match format {
                Format::Json => serde_json::to_string(f).unwrap_or_default(),
                _ => f.to_string(),
            };
            writeln!(stdout, "{line}")
        }),
        Format::Sarif => writeln!(stdout, "{:#}", report::sarif(&findings)),
        Format::Junit => write!(stdout, "{}", report::junit(&manifests, &findings)),
    };
    let errors = findings
        .iter()
        .filter(|f| f.severity == lint::Severity::Error)
        .count();
    eprintln!(
        "{} Ingress(es), {} IngressClass(es) checked: {errors} error(s), {} warning(s)",
        manifests.ingresses.len(),
        manifests.ingress_classes.len(),
        findings.len() - errors
    );
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

//! Loading manifests: files, directories, multi-document YAML, JSON and `kind: List` wrappers.
//!
//! # Decisions
//!
//! * **YAML crate.** `serde_yaml` is deprecated and unmaintained. We use
//!   [`serde-saphyr`](https://docs.rs/serde-saphyr): maintained, pure Rust, built on a YAML 1.2
//!   parser, panic-free by design, and it enforces a parse *budget* (events, nodes, depth,
//!   aliases, anchor replay) that stops alias bombs ("billion laughs") and deep nesting with an
//!   error instead of exhausting memory. It reports line and column for syntax and type errors.
//! * **One bad document never hides the others.** A YAML stream is split at its document
//!   markers first (exact in YAML 1.2, see `split.rs`), and each document is parsed with its
//!   own budget. An error is reported for that document and loading goes on.
//! * **Other kinds are passed over.** Deployments, ConfigMaps, ... are counted in
//!   [`Manifests::skipped`], not reported as errors. A document without `kind` is an error.
//!   A kind of ours in another API group (Knative's `networking.internal.knative.dev`
//!   `Ingress`, its `serving.knative.dev` `Service`) is another kind too, counted as
//!   `Kind.group` (`Ingress.networking.internal.knative.dev`).
//! * **`null` is absent**, as the API server's decoder reads it: `annotations:` with nothing
//!   after it, `labels: null`, `rules: null`, `http: null` are the field unset; a `null` in a
//!   string map is `""`; a `null` where a value is required (`backend: null`) loads and is then
//!   a validation error with its field path.
//! * **Removed API versions** (`extensions/v1beta1` and `networking.k8s.io/v1beta1` Ingress,
//!   `networking.k8s.io/v1beta1` IngressClass) are read by converting them to v1 as the API
//!   server did (see [`beta`](crate::beta)), and listed in [`Manifests::converted`] so that
//!   tools can warn: no cluster since 1.22 accepts them.
//! * **Limits** (see [`LoadOptions`]): input size (default 64 MiB per file, checked before the
//!   file is read), nesting depth 64 (YAML) / 128 (JSON), at most 100 000 events replayed from aliases
//!   (alias bombs), 10 000 000 parser events and nodes per document. Duplicate keys are an
//!   error, as with `kubectl`.
//! * **Namespaces.** Namespaced kinds without `metadata.namespace` get
//!   [`LoadOptions::default_namespace`] (`default`, as `kubectl apply` would use).

mod error;
pub(crate) mod split;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use error::{LoadError, LoadErrorKind, Origin};

use crate::{EndpointSlice, Ingress, IngressClass, Secret, Service};

/// How to load manifests.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Namespace given to namespaced objects that have none. Default `default`.
    pub default_namespace: String,
    /// Largest input (one file or one in-memory buffer) accepted, in bytes. Default 64 MiB.
    pub max_input_bytes: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            default_namespace: "default".to_owned(),
            max_input_bytes: 64 * 1024 * 1024,
        }
    }
}

/// An object and where it was loaded from.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded<T> {
    /// The object.
    pub object: T,
    /// File, document and list item.
    pub origin: Origin,
}

/// An object written in a removed beta version and loaded converted to v1 (see
/// [`beta`](crate::beta)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted {
    /// Where it was written.
    pub origin: Origin,
    /// `Ingress` or `IngressClass`.
    pub kind: &'static str,
    /// The `apiVersion` it was written in, e.g. `extensions/v1beta1`.
    pub from: String,
}

impl Converted {
    /// What a linter says about it: the version is no longer served, and how to convert.
    pub fn message(&self) -> String {
        format!(
            "{} {} is no longer served since Kubernetes 1.22; convert it with `ingress-route convert`",
            self.from, self.kind
        )
    }
}

/// Everything loaded from one or more inputs: the objects of the kinds we model, what was
/// passed over, and what could not be loaded.
#[derive(Debug, Default)]
pub struct Manifests {
    /// Ingresses, in input order.
    pub ingresses: Vec<Loaded<Ingress>>,
    /// IngressClasses, in input order.
    pub ingress_classes: Vec<Loaded<IngressClass>>,
    /// Services, in input order.
    pub services: Vec<Loaded<Service>>,
    /// EndpointSlices, in input order.
    pub endpoint_slices: Vec<Loaded<EndpointSlice>>,
    /// Secrets, in input order (every `data` value checked to be base64).
    pub secrets: Vec<Loaded<Secret>>,
    /// Objects of other kinds, passed over: `(origin, kind)`.
    pub skipped: Vec<(Origin, String)>,
    /// Objects of a removed beta version, loaded converted to v1 (they are also in
    /// [`Manifests::ingresses`] or [`Manifests::ingress_classes`], at the same origin).
    pub converted: Vec<Converted>,
    /// Documents that could not be loaded.
    pub errors: Vec<LoadError>,
}

impl Manifests {
    /// Loads every path: files as they are, directories recursively (files ending in `.yaml`,
    /// `.yml` or `.json`, in name order).
    ///
    /// A path that cannot be read becomes an entry in [`Manifests::errors`]; the others are still
    /// loaded.
    pub fn load_paths<P: AsRef<Path>>(paths: &[P], options: &LoadOptions) -> Manifests {
        let mut out = Manifests::default();
        for path in paths {
            out.add_path(path.as_ref(), options);
        }
        out
    }

    /// Loads one in-memory input (YAML stream or JSON) named `name` in errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use ingress_model::{LoadOptions, Manifests};
    ///
    /// let yaml = "\
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: web}
    /// spec:
    ///   defaultBackend: {service: {name: web, port: {number: 80}}}
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: broken}
    /// spec: {rules: 42}
    /// ";
    /// let m = Manifests::load_str("web.yaml", yaml, &LoadOptions::default());
    /// assert_eq!(m.ingresses.len(), 1);
    /// assert_eq!(m.ingresses[0].object.metadata.namespace(), "default");
    /// assert_eq!(m.skipped[0].1, "Deployment");
    /// let err = m.errors[0].to_string();
    /// assert!(err.starts_with("web.yaml: document 3 (line 14, column"), "{err}");
    /// assert!(err.contains("spec.rules: "), "{err}");
    /// ```
    pub fn load_str(name: &str, text: &str, options: &LoadOptions) -> Manifests {
        let mut out = Manifests::default();
        out.add_str(name, text, options);
        out
    }

    /// Loads one in-memory input given as bytes (checked for size and UTF-8 first).
    pub fn load_bytes(name: &str, bytes: &[u8], options: &LoadOptions) -> Manifests {
        let mut out = Manifests::default();
        out.add_bytes(name, bytes, options);
        out
    }

    /// Adds everything in `other` to `self`, keeping order.
    pub fn extend(&mut self, other: Manifests) {
        self.ingresses.extend(other.ingresses);
        self.ingress_classes.extend(other.ingress_classes);
        self.services.extend(other.services);
        self.endpoint_slices.extend(other.endpoint_slices);
        self.secrets.extend(other.secrets);
        self.skipped.extend(other.skipped);
        self.errors.extend(other.errors);
    }

    /// Adds a file, or a directory's manifest files, to `self`.
    pub fn add_path(&mut self, path: &Path, options: &LoadOptions) {
        let name = path.display().to_string();
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => match manifest_files(path) {
                Ok(files) => {
                    for file in files {
                        self.add_path(&file, options);
                    }
                }
                Err(e) => self.errors.push(whole_file_error(&name, e.into())),
            },
            Ok(meta) if meta.len() > options.max_input_bytes as u64 => {
                self.errors.push(whole_file_error(
                    &name,
                    LoadErrorKind::TooLarge {
                        limit: options.max_input_bytes,
                    },
                ));
            }
            Ok(_) => match read_bounded(path, options.max_input_bytes) {
                Ok(bytes) => self.add_bytes(&name, &bytes, options),
                Err(kind) => self.errors.push(whole_file_error(&name, kind)),
            },
            Err(e) => self.errors.push(whole_file_error(&name, e.into())),
        }
    }

    /// Adds one in-memory input given as bytes.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8], options: &LoadOptions) {
        if bytes.len() > options.max_input_bytes {
            let kind = LoadErrorKind::TooLarge {
                limit: options.max_input_bytes,
            };
            self.errors.push(whole_file_error(name, kind));
            return;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => self.add_str(name, text, options),
            Err(e) => {
                let kind = LoadErrorKind::NotUtf8 {
                    offset: e.valid_up_to(),
                };
                self.errors.push(whole_file_error(name, kind));
            }
        }
    }

    /// Adds one in-memory input (YAML stream or JSON).
    pub fn add_str(&mut self, name: &str, text: &str, options: &LoadOptions) {
        if text.len() > options.max_input_bytes {
            let kind = LoadErrorKind::TooLarge {
                limit: options.max_input_bytes,
            };
            self.errors.push(whole_file_error(name, kind));
            return;
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ctx = Context {
            out: self,
            options,
            file: name,
        };
        if looks_like_json(text) {
            ctx.add_json_stream(text);
        } else {
            for (index, chunk) in split::split_documents(text).into_iter().enumerate() {
                ctx.add_yaml_document(&chunk.text, index + 1, chunk.first_line);
            }
        }
    }
}

fn whole_file_error(file: &str, kind: LoadErrorKind) -> LoadError {
    LoadError {
        origin: Origin {
            file: file.to_owned(),
            document: 0,
            line: 1,
            item: None,
        },
        position: None,
        field: None,
        kind,
    }
}

/// Reads at most `limit + 1` bytes, so a file that grows (or a FIFO) cannot exhaust memory.
fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, LoadErrorKind> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(LoadErrorKind::TooLarge { limit });
    }
    Ok(bytes)
}

/// The manifest files under `dir` (`*.yaml`, `*.yml`, `*.json`), recursively, sorted by path:
/// the files [`Manifests::add_path`] reads for a directory, in the order it reads them.
pub fn manifest_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

pub(crate) fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

/// `apiVersion` and `kind`, read before the rest of the document.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeMeta {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

/// `items` of a `kind: List` wrapper, kept untyped until each item's kind is known.
#[derive(Deserialize)]
struct ListItems {
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

/// The kinds we load, resolved from `apiVersion` and `kind`.
enum Kind {
    Ingress,
    /// A removed beta version of Ingress, converted to v1.
    IngressBeta,
    IngressClass,
    /// `networking.k8s.io/v1beta1` IngressClass: the v1 shape.
    IngressClassBeta,
    Service,
    EndpointSlice,
    Secret,
    List,
    Other(String),
}

fn resolve_kind(meta: &TypeMeta) -> Result<Kind, LoadErrorKind> {
    let Some(kind) = meta.kind.as_deref().filter(|k| !k.is_empty()) else {
        return Err(LoadErrorKind::NotAnObject(
            "missing field `kind`: not a Kubernetes object".to_owned(),
        ));
    };
    let version = meta.api_version.as_deref().unwrap_or("");
    let unsupported = |hint| {
        Err(LoadErrorKind::UnsupportedVersion {
            kind: kind.to_owned(),
            api_version: version.to_owned(),
            hint,
        })
    };
    // A kind is ours only in its own API group: Knative's `networking.internal.knative.dev`
    // Ingress or `serving.knative.dev` Service are other kinds, passed over like Deployments.
    let group = version.rsplit_once('/').map_or("", |(group, _)| group);
    match (kind, group, version) {
        ("Ingress", _, "networking.k8s.io/v1") => Ok(Kind::Ingress),
        ("Ingress", _, v) if crate::beta::INGRESS_VERSIONS.contains(&v) => Ok(Kind::IngressBeta),
        ("Ingress", "networking.k8s.io" | "extensions", _) => unsupported(""),
        ("IngressClass", _, "networking.k8s.io/v1") => Ok(Kind::IngressClass),
        ("IngressClass", _, crate::beta::INGRESS_CLASS_VERSION) => Ok(Kind::IngressClassBeta),
        ("IngressClass", "networking.k8s.io", _) => unsupported(""),
        ("Service", _, "v1") => Ok(Kind::Service),
        ("Service", "", _) => unsupported(""),
        ("EndpointSlice", _, "discovery.k8s.io/v1") => Ok(Kind::EndpointSlice),
        ("EndpointSlice", "discovery.k8s.io", _) => unsupported(""),
        ("Secret", _, "v1") => Ok(Kind::Secret),
        ("Secret", "", _) => unsupported(""),
        ("Ingress" | "IngressClass" | "Service" | "EndpointSlice" | "Secret", _, _) => {
            Ok(Kind::Other(format!("{kind}.{group}")))
        }
        ("List", _, _) => Ok(Kind::List),
        (k, _, _) if k.ends_with("List") => Ok(Kind::List),
        (other, _, _) => Ok(Kind::Other(other.to_owned())),
    }
}

/// Parser options for one YAML document: strict duplicate keys, no snippets (we format errors
/// ourselves), and a budget that is generous for large `List` documents but still bounded.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = 10_000_000;
    budget.max_nodes = 10_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    // Kubernetes manifests rarely use aliases; replaying more than 100 000 events from them is
    // an alias bomb, not a manifest.
    options.alias_limits.max_total_replayed_events = 100_000;
    options
}

struct Context<'a> {
    out: &'a mut Manifests,
    options: &'a LoadOptions,
    file: &'a str,
}

type Position = Option<(usize, usize)>;

/// Why a document did not deserialize.
struct ParseFailure {
    /// Field path of the failure (`.` for the root).
    path: String,
    position: Position,
    message: String,
}

/// One parsed document (or list item), and the YAML text it came from, if any.
///
/// Each YAML document is parsed once, into a `serde_json::Value` (the same generic tree
/// `kubectl` turns YAML into before it reaches the API server), and typed from there. Only when
/// typing fails is the YAML parsed again, directly into the target type, to find the line and
/// column of the failure: errors are rare, and a single parse on the success path halves the
/// time to load large manifests.
struct Doc<'a> {
    value: &'a serde_json::Value,
    yaml: Option<YamlText<'a>>,
}

#[derive(Clone, Copy)]
struct YamlText<'a> {
    text: &'a str,
    first_line: usize,
}

impl YamlText<'_> {
    fn position(&self, err: &serde_saphyr::Error) -> Position {
        err.location()
            .filter(|l| l.line() > 0)
            .map(|l| (l.line() as usize + self.first_line - 1, l.column() as usize))
    }

    /// Parses the document as a generic tree. Fails on syntax errors and parser limits.
    fn parse_value(&self) -> Result<serde_json::Value, (Position, String)> {
        serde_saphyr::from_str_with_options(self.text, yaml_options()).map_err(|e| {
            (
                self.position(&e),
                strip_location(&e.without_snippet().to_string()),
            )
        })
    }

    /// Where typing the document as `T` fails, according to the YAML parser.
    fn failure_position<T: DeserializeOwned>(&self) -> Position {
        match serde_saphyr::from_str_with_options::<T>(self.text, yaml_options()) {
            Ok(_) => None,
            Err(e) => self.position(&e),
        }
    }
}

impl Doc<'_> {
    /// Deserializes the whole document as `T`, giving the field path of a failure.
    fn parse<T: DeserializeOwned>(&self) -> Result<T, ParseFailure> {
        serde_path_to_error::deserialize::<_, T>(self.value).map_err(|e| ParseFailure {
            path: e.path().to_string(),
            position: self.yaml.and_then(|y| y.failure_position::<T>()),
            message: e.into_inner().to_string(),
        })
    }
}

/// serde-saphyr appends " at line L, column C" to some messages; we report the position apart.
fn strip_location(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}

impl Context<'_> {
    fn origin(&self, document: usize, line: usize, item: Option<usize>) -> Origin {
        Origin {
            file: self.file.to_owned(),
            document,
            line,
            item,
        }
    }

    fn add_yaml_document(&mut self, text: &str, document: usize, first_line: usize) {
        let origin = self.origin(document, first_line, None);
        let yaml = YamlText { text, first_line };
        match yaml.parse_value() {
            Ok(value) => {
                let doc = Doc {
                    value: &value,
                    yaml: Some(yaml),
                };
                self.add_document(&doc, origin);
            }
            Err((position, message)) => {
                self.push_error(origin, None, position, LoadErrorKind::Syntax(message));
            }
        }
    }

    fn add_json_stream(&mut self, text: &str) {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
        let (mut document, mut line, mut counted) = (0, 1, 0);
        loop {
            // Line of the next document, counted incrementally (large streams stay linear).
            let offset = stream.byte_offset();
            line += text[counted..offset].matches('\n').count();
            counted = offset;
            let Some(next) = stream.next() else { break };
            document += 1;
            match next {
                Ok(value) => {
                    let origin = self.origin(document, line, None);
                    self.add_document(
                        &Doc {
                            value: &value,
                            yaml: None,
                        },
                        origin,
                    );
                }
                Err(e) => {
                    let position = Some((e.line(), e.column()));
                    let message = strip_location(&e.to_string());
                    self.push_error(
                        self.origin(document, line, None),
                        None,
                        position,
                        LoadErrorKind::Syntax(message),
                    );
                    // A JSON syntax error leaves the stream position undefined: stop here.
                    break;
                }
            }
        }
    }

    fn push_error(
        &mut self,
        origin: Origin,
        field: Option<String>,
        position: Position,
        kind: LoadErrorKind,
    ) {
        self.out.errors.push(LoadError {
            origin,
            position,
            field,
            kind,
        });
    }

    /// A beta Ingress or IngressClass: converted on its tree (see [`beta`](crate::beta)), then
    /// typed as v1. The YAML positions are those of the written form, so a type error in the
    /// converted tree has its field path and no line.
    fn add_removed_version(&mut self, doc: &Doc<'_>, origin: Origin) {
        let mut value = doc.value.clone();
        let Some(removed) = crate::beta::to_v1(&mut value) else {
            return;
        };
        let converted = Doc {
            value: &value,
            yaml: None,
        };
        let ns = &self.options.default_namespace;
        let loaded = if removed.kind == "Ingress" {
            self.typed::<Ingress>(&converted, &origin)
                .map(|mut object| {
                    object.metadata.namespace.get_or_insert_with(|| ns.clone());
                    self.out.ingresses.push(Loaded {
                        object,
                        origin: origin.clone(),
                    });
                })
        } else {
            self.typed::<IngressClass>(&converted, &origin)
                .map(|object| {
                    self.out.ingress_classes.push(Loaded {
                        object,
                        origin: origin.clone(),
                    });
                })
        };
        if loaded.is_some() {
            self.out.converted.push(Converted {
                origin,
                kind: removed.kind,
                from: removed.from,
            });
        }
    }

    /// Reads the kind of one document (or list item), then the object itself.
    fn add_document(&mut self, doc: &Doc<'_>, origin: Origin) {
        if !doc.value.is_object() {
            let found = match doc.value {
                serde_json::Value::Array(_) => "a list",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "a boolean",
                _ => "null",
            };
            let kind = LoadErrorKind::NotAnObject(format!(
                "not a Kubernetes object: expected a mapping with apiVersion and kind, found {found}"
            ));
            self.push_error(origin, None, None, kind);
            return;
        }
        let meta = match doc.parse::<TypeMeta>() {
            Ok(meta) => meta,
            Err(f) => {
                let kind = LoadErrorKind::Field(f.message);
                self.push_error(origin, Some(f.path), f.position, kind);
                return;
            }
        };
        let kind = match resolve_kind(&meta) {
            Ok(kind) => kind,
            Err(kind) => {
                self.push_error(origin, None, None, kind);
                return;
            }
        };
        let ns = &self.options.default_namespace;
        match kind {
            Kind::Ingress => {
                if let Some(mut obj) = self.typed::<Ingress>(doc, &origin) {
                    obj.metadata.namespace.get_or_insert_with(|| ns.clone());
                    self.out.ingresses.push(Loaded {
                        object: obj,
                        origin,
                    });
                }
            }
            Kind::IngressBeta | Kind::IngressClassBeta => self.add_removed_version(doc, origin),
            Kind::IngressClass => {
                if let Some(obj) = self.typed::<IngressClass>(doc, &origin) {
                    self.out.ingress_classes.push(Loaded {
                        object: obj,
                        origin,
                    });
                }
            }
            Kind::Service => {
                if let Some(mut obj) = self.typed::<Service>(doc, &origin) {
                    obj.metadata.namespace.get_or_insert_with(|| ns.clone());
                    self.out.services.push(Loaded {
                        object: obj,
                        origin,
                    });
                }
            }
            Kind::EndpointSlice => {
                if let Some(mut obj) = self.typed::<EndpointSlice>(doc, &origin) {
                    obj.metadata.namespace.get_or_insert_with(|| ns.clone());
                    self.out.endpoint_slices.push(Loaded {
                        object: obj,
                        origin,
                    });
                }
            }
            Kind::Secret => {
                if let Some(mut obj) = self.typed::<Secret>(doc, &origin) {
                    obj.metadata.namespace.get_or_insert_with(|| ns.clone());
                    self.out.secrets.push(Loaded {
                        object: obj,
                        origin,
                    });
                }
            }
            Kind::List if origin.item.is_some() => {
                self.push_error(
                    origin,
                    None,
                    None,
                    LoadErrorKind::NotAnObject("a List inside a List is not supported".to_owned()),
                );
            }
            Kind::List => {
                if let Some(list) = self.typed::<ListItems>(doc, &origin) {
                    for (i, item) in list.items.iter().enumerate() {
                        let mut item_origin = origin.clone();
                        item_origin.item = Some(i);
                        self.add_document(
                            &Doc {
                                value: item,
                                yaml: None,
                            },
                            item_origin,
                        );
                    }
                }
            }
            Kind::Other(kind) => self.out.skipped.push((origin, kind)),
        }
    }

    fn typed<T: DeserializeOwned>(&mut self, doc: &Doc<'_>, origin: &Origin) -> Option<T> {
        match doc.parse::<T>() {
            Ok(v) => Some(v),
            Err(f) => {
                let field = Some(f.path).filter(|p| p != ".");
                self.push_error(
                    origin.clone(),
                    field,
                    f.position,
                    LoadErrorKind::Field(f.message),
                );
                None
            }
        }
    }
}

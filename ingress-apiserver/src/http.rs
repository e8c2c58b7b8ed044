//! HTTP handling: one request in, one response out. Routing, the fault switches, request
//! logging, body decoding, and the verbs' answers.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::discovery;
use crate::error::ApiError;
use crate::faults::Faults;
use crate::log::{RequestLog, RequestRecord, Verb};
use crate::registry::ResourceType;
use crate::route::{ResourcePath, Route, parse_query, route};
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{Part, PatchKind, Preconditions, Store, WatchFilter, WriteOptions};
use crate::table::{IncludeObject, table, wants_table};
use crate::watch::{WatchRequest, WatchSignals, parse_resource_version, spawn};

/// A response body: all at once, or streamed (watches).
#[derive(Debug)]
pub(crate) enum ResponseBody {
    Full(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Stream(rx) => rx.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ResponseBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ResponseBody::Full(None) => SizeHint::with_exact(0),
            ResponseBody::Stream(_) => SizeHint::default(),
        }
    }
}

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) bookmark_interval: Duration,
    pub(crate) open_watches: Arc<AtomicUsize>,
    pub(crate) max_body_bytes: usize,
    /// `host:port`, for `/api`'s `serverAddressByClientCIDRs`.
    pub(crate) address: String,
}

type Answer = Result<Response<ResponseBody>, ApiError>;

fn json_response(status: u16, value: &impl Serialize) -> Response<ResponseBody> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(ResponseBody::Full(Some(Bytes::from(body))));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

fn error_response(err: &ApiError) -> Response<ResponseBody> {
    json_response(err.code, &err.to_status())
}

/// Handle one request: fault switches first, then the route; every request is logged.
pub(crate) async fn handle(
    state: Arc<AppState>,
    request: Request<Incoming>,
) -> Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let params = parse_query(&query);
    let route = route(&path);
    let mut record = record_for(&parts.method, &path, &query, &route, &params);
    let delay = state.faults.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let path_and_query = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let response = match state.faults.take_failure(&path_and_query) {
        Some(code) => error_response(&ApiError::for_code(
            code,
            format!("injected failure for {} {path_and_query}", parts.method),
        )),
        None => {
            let request = ApiRequest {
                method: &parts.method,
                headers: &parts.headers,
                params: &params,
                body,
            };
            dispatch(&state, route, request)
                .await
                .unwrap_or_else(|e| error_response(&e))
        }
    };
    record.status = response.status().as_u16();
    state.log.push(record);
    response
}

/// The parts of a request the verbs read.
struct ApiRequest<'a> {
    method: &'a Method,
    headers: &'a HeaderMap,
    params: &'a [(String, String)],
    body: Incoming,
}

impl ApiRequest<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `Some` when the client asked for a `Table` (`kubectl get`), with what rows embed.
    fn table(&self) -> Option<IncludeObject> {
        wants_table(self.headers).then(|| IncludeObject::from_param(self.param("includeObject")))
    }

    fn is_watch(&self) -> bool {
        matches!(self.param("watch"), Some("true" | "1"))
    }

    fn dry_run(&self) -> Result<bool, ApiError> {
        match self.param("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "dryRun: Unsupported value: {other:?}: supported values: \"All\""
            ))),
        }
    }

    fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    }

    async fn bytes(self, limit: usize) -> Result<Bytes, ApiError> {
        Limited::new(self.body, limit)
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    ApiError::new(
                        413,
                        "RequestEntityTooLarge",
                        format!("the request body is larger than {limit} bytes"),
                    )
                } else {
                    ApiError::bad_request(format!("reading the request body failed: {e}"))
                }
            })
    }
}

fn record_for(
    method: &Method,
    path: &str,
    query: &str,
    route: &Route,
    params: &[(String, String)],
) -> RequestRecord {
    let mut record = RequestRecord {
        method: method.to_string(),
        path: path.to_owned(),
        query: query.to_owned(),
        verb: Verb::Other,
        resource: None,
        group: String::new(),
        namespace: None,
        name: None,
        subresource: None,
        status: 0,
    };
    if let Route::Resource(r) = route {
        let watch = params
            .iter()
            .any(|(k, v)| k == "watch" && (v == "true" || v == "1"));
        record.verb = match (method.as_str(), r.name.is_some()) {
            ("GET", false) if watch => Verb::Watch,
            ("GET", false) => Verb::List,
            ("GET", true) => Verb::Get,
            ("POST", _) => Verb::Create,
            ("PUT", _) => Verb::Update,
            ("PATCH", _) => Verb::Patch,
            ("DELETE", true) => Verb::Delete,
            ("DELETE", false) => Verb::DeleteCollection,
            _ => Verb::Other,
        };
        record.resource = Some(r.plural.clone());
        record.group.clone_from(&r.group);
        record.namespace.clone_from(&r.namespace);
        record.name.clone_from(&r.name);
        record.subresource.clone_from(&r.subresource);
    }
    record
}

async fn dispatch(state: &AppState, route: Route, request: ApiRequest<'_>) -> Answer {
    let registry = state.store.registry();
    if !matches!(route, Route::Resource(_)) && request.method != Method::GET {
        return Err(ApiError::method_not_allowed());
    }
    let doc = match route {
        Route::Version => discovery::version(),
        Route::Health => {
            let mut response = Response::new(ResponseBody::Full(Some(Bytes::from_static(b"ok"))));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/plain"),
            );
            return Ok(response);
        }
        Route::CoreVersions => discovery::core_versions(&state.address),
        Route::Groups => discovery::group_list(&registry),
        Route::Group(g) => discovery::group(&registry, &g).ok_or_else(ApiError::no_route)?,
        Route::GroupVersion { group, version } => {
            discovery::resource_list(&registry, &group, &version).ok_or_else(ApiError::no_route)?
        }
        Route::Unknown => return Err(ApiError::no_route()),
        Route::Resource(path) => {
            let rt = registry
                .by_plural(&path.group, &path.version, &path.plural)
                .cloned()
                .ok_or_else(ApiError::no_route)?;
            return resource_request(state, &rt, &path, request).await;
        }
    };
    Ok(json_response(200, &doc))
}

async fn resource_request(
    state: &AppState,
    rt: &ResourceType,
    path: &ResourcePath,
    request: ApiRequest<'_>,
) -> Answer {
    // All-namespace paths of namespaced kinds serve only list and watch.
    let scope_ok = match (rt.namespaced, path.namespace.is_some()) {
        (false, true) => false,
        (true, false) => path.name.is_none() && *request.method == Method::GET,
        _ => true,
    };
    if !scope_ok {
        return Err(ApiError::no_route());
    }
    let part = match path.subresource.as_deref() {
        None => Part::Main,
        Some("status") if rt.status_subresource => Part::Status,
        Some(_) => return Err(ApiError::no_route()),
    };
    let ns = path.namespace.as_deref();
    let dry_run = request.dry_run()?;
    let options = WriteOptions {
        dry_run,
        keep_status: false,
    };
    let method = request.method.clone();
    match (&path.name, method) {
        (None, Method::GET) if request.is_watch() => watch_response(state, rt, ns, &request),
        (None, Method::GET) => list_response(state, rt, ns, &request),
        (None, Method::POST) => {
            let body = decode_object(
                &request.content_type(),
                &request.bytes(state.max_body_bytes).await?,
            )?;
            let created = state.store.create_in(rt, ns, body, options)?;
            Ok(json_response(201, &created))
        }
        (None, Method::DELETE) => {
            let (labels, fields) = selectors(&request)?;
            let (_, items) = state.store.list_in(rt, ns, &labels, &fields);
            let mut deleted = Vec::new();
            for item in items {
                let name = item
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let item_ns = item.pointer("/metadata/namespace").and_then(Value::as_str);
                match state
                    .store
                    .delete_in(rt, item_ns, name, &Preconditions::default(), dry_run)
                {
                    Ok(object) => deleted.push(object),
                    Err(e) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
            let rv = state.store.resource_version().to_string();
            Ok(json_response(
                200,
                &json!({"kind": rt.list_kind(), "apiVersion": rt.api_version(),
                "metadata": {"resourceVersion": rv}, "items": deleted}),
            ))
        }
        (Some(name), Method::GET) => {
            let object = state.store.get_in(rt, ns, name)?;
            match request.table() {
                Some(include) => Ok(json_response(
                    200,
                    &table(rt, &[&object], None, true, include),
                )),
                None => Ok(json_response(200, &object)),
            }
        }
        (Some(name), Method::PUT) => {
            let body = decode_object(
                &request.content_type(),
                &request.bytes(state.max_body_bytes).await?,
            )?;
            Ok(json_response(
                200,
                &state.store.update_in(rt, ns, name, body, part, options)?,
            ))
        }
        (Some(name), Method::PATCH) => {
            let kind = patch_kind(&request.content_type())?;
            let bytes = request.bytes(state.max_body_bytes).await?;
            let patch: Value = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::bad_request(format!("the patch is not valid JSON: {e}")))?;
            Ok(json_response(
                200,
                &state
                    .store
                    .patch_in(rt, ns, name, kind, &patch, part, options)?,
            ))
        }
        (Some(name), Method::DELETE) if part == Part::Main => {
            let bytes = request.bytes(state.max_body_bytes).await?;
            let (preconditions, body_dry_run) = delete_options(&bytes)?;
            let deleted =
                state
                    .store
                    .delete_in(rt, ns, name, &preconditions, dry_run || body_dry_run)?;
            let mut details = json!({"name": name, "kind": rt.plural,
                "uid": deleted.pointer("/metadata/uid").cloned().unwrap_or(Value::Null)});
            if !rt.group.is_empty() {
                details["group"] = rt.group.clone().into();
            }
            Ok(json_response(
                200,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Success", "details": details}),
            ))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

fn selectors(request: &ApiRequest<'_>) -> Result<(LabelSelector, FieldSelector), ApiError> {
    Ok((
        LabelSelector::parse(request.param("labelSelector").unwrap_or_default())?,
        FieldSelector::parse(request.param("fieldSelector").unwrap_or_default())?,
    ))
}

#[derive(Serialize)]
struct ListDoc<'a> {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    metadata: ListMeta,
    items: Vec<&'a Value>,
}

#[derive(Serialize)]
struct ListMeta {
    #[serde(rename = "resourceVersion")]
    resource_version: String,
}

fn list_response(
    state: &AppState,
    rt: &ResourceType,
    ns: Option<&str>,
    request: &ApiRequest<'_>,
) -> Answer {
    parse_resource_version(request.param("resourceVersion"))?;
    let (labels, fields) = selectors(request)?;
    let (rv, items) = state.store.list_in(rt, ns, &labels, &fields);
    if let Some(include) = request.table() {
        let objects: Vec<&Value> = items.iter().map(|o| &**o).collect();
        return Ok(json_response(
            200,
            &table(rt, &objects, Some(rv), true, include),
        ));
    }
    let doc = ListDoc {
        kind: rt.list_kind(),
        api_version: rt.api_version(),
        metadata: ListMeta {
            resource_version: rv.to_string(),
        },
        items: items.iter().map(|o| &**o).collect(),
    };
    Ok(json_response(200, &doc))
}

fn watch_response(
    state: &AppState,
    rt: &ResourceType,
    ns: Option<&str>,
    request: &ApiRequest<'_>,
) -> Answer {
    let (labels, fields) = selectors(request)?;
    let filter = WatchFilter {
        rt: rt.clone(),
        namespace: ns.map(str::to_owned),
        labels,
        fields,
    };
    let mut watch = WatchRequest::new(filter, |name| request.param(name))?;
    watch.table = request.table();
    let signals = WatchSignals {
        close: state.faults.close_signal(),
        shutdown: state.shutdown.clone(),
        bookmark_interval: state.bookmark_interval,
        open: Arc::clone(&state.open_watches),
    };
    let rx = spawn(state.store.clone(), watch, signals);
    let mut response = Response::new(ResponseBody::Stream(rx));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// A `POST`/`PUT` body: JSON (the default) or YAML.
fn decode_object(content_type: &str, bytes: &[u8]) -> Result<Value, ApiError> {
    match content_type {
        "" | "application/json" | "*/*" => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}"))),
        "application/yaml" | "application/x-yaml" | "text/yaml" => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?;
            serde_saphyr::from_str::<Value>(text).map_err(|e| {
                ApiError::bad_request(format!("the request body is not valid YAML: {e}"))
            })
        }
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

fn patch_kind(content_type: &str) -> Result<PatchKind, ApiError> {
    match content_type {
        "application/merge-patch+json" => Ok(PatchKind::Merge),
        "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
        "application/json-patch+json" => Ok(PatchKind::Json),
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            "server-side apply is not supported by this server; use client-side apply (kubectl apply without --server-side) or a merge patch",
        )),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

/// `DeleteOptions` from a `DELETE` body (which may be empty): preconditions and `dryRun`.
fn delete_options(bytes: &[u8]) -> Result<(Preconditions, bool), ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((Preconditions::default(), false));
    }
    let options: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("the DeleteOptions body is not valid JSON: {e}"))
    })?;
    let field = |name: &str| {
        options
            .pointer(&format!("/preconditions/{name}"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let dry_run = options
        .get("dryRun")
        .and_then(Value::as_array)
        .is_some_and(|d| d.iter().any(|v| v == "All"));
    Ok((
        Preconditions {
            uid: field("uid"),
            resource_version: field("resourceVersion"),
        },
        dry_run,
    ))
}

//! TLS termination (`--tls-listen`): tokio-rustls (rustls with the `ring` provider) in front of
//! the same routing and proxy as the plain listener, with the certificates of the
//! `kubernetes.io/tls` Secrets that the Ingresses' `spec.tls` name.
//!
//! # Decisions
//!
//! * **Certificates follow the snapshot.** [`SecretCertificates`], the rustls
//!   [`ResolvesServerCert`], reads the *current* snapshot of the gateway's [`Routes`] on every
//!   handshake and asks it for the SNI name ([`Snapshot::certificate_for`]: the `spec.tls`
//!   entry that covers the name, and its Secret from the Ingress's namespace). A snapshot swap
//!   that adds, changes or removes a Secret is seen by the next handshake; connections already
//!   established keep the certificate they were made with.
//! * **Unknown names.** A name no `spec.tls` entry covers, an entry without `secretName`, a
//!   Secret that is missing, not `kubernetes.io/tls`, or does not parse, and a client that
//!   sends no SNI at all (an IP address in the URL) all get the default certificate,
//!   `--default-certificate NS/NAME`: a `kubernetes.io/tls` Secret of the same snapshot (it
//!   swaps like the others). Without one, or when that Secret is missing too, the handshake
//!   fails (rustls sends an alert): no certificate is better than one for another name, which
//!   a browser would show as a warning to click through.
//! * **Parsed once per content.** Turning PEM into a rustls [`CertifiedKey`] (decoding the
//!   chain, loading the private key into the provider, checking that the key matches the first
//!   certificate) is done once per Secret name and content, and cached: a handshake compares the
//!   snapshot's PEM with the cached one byte for byte (a few kilobytes, far less than the
//!   handshake's own signature) and reuses the parsed key. A Secret whose PEM does not parse is
//!   logged once per content (a warning naming the Secret and the reason) and then treated as
//!   missing, so a broken Secret neither floods the log nor is parsed again on each handshake.
//!   The cache holds one entry per Secret name ever served, the parsed form of objects the
//!   snapshot already holds. Measured once in a release build (2 shared cores, an rcgen
//!   ECDSA P-256 certificate): a cached lookup, SNI to key, took 0.15 µs; a parse 15 µs.
//! * **ALPN** offers `h2` then `http/1.1`; the connection is then served by the same
//!   hyper-util auto builder as the plain listener, which tells the two apart by the HTTP/2
//!   preface. A client that offers neither protocol fails the handshake (rustls's rule when
//!   the server has ALPN protocols and none is shared); one that offers no ALPN at all gets
//!   HTTP/1.1 (or HTTP/2 with prior knowledge).
//! * **Handshake timeout** ([`HANDSHAKE_TIMEOUT`], 10 s): a client that connects and then says
//!   nothing, or stalls mid-handshake, is dropped instead of holding a task and a socket
//!   forever. The handshake runs in the connection's own task, so a slow one never delays the
//!   accept loop.
//! * **Protocol versions** are rustls's safe defaults, TLS 1.3 and 1.2.
//! * **`X-Forwarded-Proto: https`.** The TLS accept loop marks every request of its connections
//!   with [`Scheme::Https`] (a request extension); the proxy tells the upstream that scheme.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Request;
use ingress_kube::index::{NamespacedName, Snapshot, TlsSecret};
use ingress_router::Scheme;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use crate::cli::ObjectName;
use crate::routes::Routes;

/// How long a client has to complete the TLS handshake after connecting.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The ALPN protocols offered, in order of preference.
pub const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// How the TLS listener picks and serves certificates.
#[derive(Clone, Debug)]
pub struct TlsOptions {
    /// The `kubernetes.io/tls` Secret served to names no usable Secret covers; `None`: those
    /// handshakes fail.
    pub default_certificate: Option<ObjectName>,
    /// See [`HANDSHAKE_TIMEOUT`].
    pub handshake_timeout: Duration,
}

impl TlsOptions {
    /// The TLS options of the command line: `--default-certificate`.
    pub fn from_args(args: &crate::cli::Args) -> Self {
        TlsOptions {
            default_certificate: args.default_certificate.clone(),
            ..TlsOptions::default()
        }
    }
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            default_certificate: None,
            handshake_timeout: HANDSHAKE_TIMEOUT,
        }
    }
}

/// The scheme a request arrived with: the [`Scheme`] extension the accept loop of the TLS
/// listener leaves ([`Scheme::Https`]), else plain HTTP. It is the router's own type, so the
/// `RouteLayer` looks the request up as having come over it (the ingress-nginx profile's HTTPS
/// redirects read it) and the proxy tells the upstream the same (`X-Forwarded-Proto`).
pub fn scheme_of<B>(request: &Request<B>) -> Scheme {
    request
        .extensions()
        .get::<Scheme>()
        .copied()
        .unwrap_or(Scheme::Http)
}

/// A connection's service that marks each request with the connection's [`Scheme`].
#[derive(Clone, Debug)]
pub struct WithScheme<S> {
    inner: S,
    scheme: Scheme,
}

impl<S> WithScheme<S> {
    /// `inner`, with every request marked `scheme`.
    pub fn new(inner: S, scheme: Scheme) -> Self {
        WithScheme { inner, scheme }
    }
}

impl<S, B> tower_service::Service<Request<B>> for WithScheme<S>
where
    S: tower_service::Service<Request<B>, Error = Infallible>,
{
    type Response = S::Response;
    type Error = Infallible;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // No mark is plain HTTP ([`scheme_of`]): the plain listener's requests cost nothing.
        if self.scheme != Scheme::Http {
            request.extensions_mut().insert(self.scheme);
        }
        self.inner.call(request)
    }
}

/// The rustls certificate resolver of the TLS listener: the current snapshot's Secret for the
/// SNI name, else the default certificate (see the module docs).
pub struct SecretCertificates {
    routes: Arc<Routes>,
    default_certificate: Option<ObjectName>,
    provider: Arc<CryptoProvider>,
    cache: Mutex<HashMap<NamespacedName, Cached>>,
}

/// A Secret's PEM as last seen, and what it parsed into (`None`: it did not, and was logged).
struct Cached {
    certificate: Vec<u8>,
    private_key: Vec<u8>,
    parsed: Option<Arc<CertifiedKey>>,
}

impl SecretCertificates {
    /// Certificates from the Secrets of `routes`' current snapshot, parsed with `provider`.
    pub fn new(
        routes: Arc<Routes>,
        default_certificate: Option<ObjectName>,
        provider: Arc<CryptoProvider>,
    ) -> Self {
        SecretCertificates {
            routes,
            default_certificate,
            provider,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The certificate for `sni` (`None`: the client sent no name) in `snapshot`: the Secret of
    /// the `spec.tls` entry covering it, else the default certificate, else `None`.
    pub fn certificate(&self, snapshot: &Snapshot, sni: Option<&str>) -> Option<Arc<CertifiedKey>> {
        let named = sni.and_then(|name| {
            let lower;
            let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
                lower = name.to_ascii_lowercase();
                &lower
            } else {
                name
            };
            let secret = snapshot.certificate_for(name)?.secret.ok()?;
            self.parsed(secret)
        });
        named.or_else(|| {
            let default = self.default_certificate.as_ref()?;
            let secret = snapshot.tls_secret(&default.namespace, &default.name);
            if secret.is_none() {
                tracing::debug!(%default, "the default certificate's Secret is not in the snapshot");
            }
            self.parsed(secret?)
        })
    }

    /// The parsed form of `secret`, from the cache when its PEM has not changed.
    fn parsed(&self, secret: &TlsSecret) -> Option<Arc<CertifiedKey>> {
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(cached) = cache.get(&secret.secret)
                && cached.certificate == secret.certificate
                && cached.private_key == secret.private_key
            {
                return cached.parsed.clone();
            }
        }
        let parsed = match parse(secret, &self.provider) {
            Ok(key) => Some(Arc::new(key)),
            Err(reason) => {
                tracing::warn!(secret = %secret.secret, "TLS Secret not served: {reason}");
                None
            }
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(
            secret.secret.clone(),
            Cached {
                certificate: secret.certificate.clone(),
                private_key: secret.private_key.clone(),
                parsed: parsed.clone(),
            },
        );
        parsed
    }
}

impl fmt::Debug for SecretCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.cache.lock().map_or(0, |c| c.len());
        f.debug_struct("SecretCertificates")
            .field("default_certificate", &self.default_certificate)
            .field("cached", &cached)
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for SecretCertificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let snapshot = self.routes.load();
        let key = self.certificate(&snapshot, hello.server_name());
        if key.is_none() {
            tracing::debug!(
                sni = hello.server_name().unwrap_or(""),
                "no certificate for this name: handshake refused"
            );
        }
        key
    }
}

/// A TLS Secret's PEM as rustls serves it: the chain of `tls.crt` (end-entity first), the key
/// of `tls.key` (PKCS #8, PKCS #1 or SEC 1), checked to belong to the first certificate.
pub fn parse(secret: &TlsSecret, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let chain = CertificateDer::pem_slice_iter(&secret.certificate)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("tls.crt: {e}"))?;
    if chain.is_empty() {
        return Err("tls.crt: no certificate in the PEM".to_owned());
    }
    let key =
        PrivateKeyDer::from_pem_slice(&secret.private_key).map_err(|e| format!("tls.key: {e}"))?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| format!("tls.key: {e}"))
}

/// The ring provider rustls runs with here (the gateway's TLS stack, also kube's).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The acceptor of the TLS listener: certificates from `routes` (see [`SecretCertificates`]),
/// ALPN `h2` and `http/1.1`, TLS 1.3 and 1.2.
pub fn acceptor(routes: Arc<Routes>, options: &TlsOptions) -> Result<TlsAcceptor, rustls::Error> {
    let provider = provider();
    let resolver = SecretCertificates::new(
        routes,
        options.default_certificate.clone(),
        provider.clone(),
    );
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingress_kube::index::{Index, IndexConfig};

    const INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\n\
        metadata: {name: web, namespace: default}\nspec:\n  \
        tls: [{hosts: [a.example], secretName: a-tls}]\n  \
        defaultBackend: {service: {name: web, port: {number: 80}}}\n";

    fn apply_yaml(index: &mut Index, yaml: &str) {
        let manifests = ingress_model::Manifests::load_str(
            "t.yaml",
            yaml,
            &ingress_model::LoadOptions::default(),
        );
        assert!(manifests.errors.is_empty(), "{:?}", manifests.errors);
        for ingress in &manifests.ingresses {
            let object = k8s_openapi::api::networking::v1::Ingress::try_from(&ingress.object);
            index.apply(object.unwrap());
        }
    }

    fn apply_secret(index: &mut Index, name: &str, cert: &[u8], key: &[u8]) {
        let secret = ingress_model::Secret::tls("default", name, cert, key);
        let secret = k8s_openapi::api::core::v1::Secret::try_from(&secret).unwrap();
        assert!(index.apply(secret).errors.is_empty());
    }

    fn pem(name: &str) -> (String, String) {
        let made = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
        (made.cert.pem(), made.signing_key.serialize_pem())
    }

    fn resolver(default: Option<&str>) -> SecretCertificates {
        let mut index = Index::new(IndexConfig::new("x").accept_classless(true));
        let routes = Arc::new(Routes::new(index.snapshot().snapshot));
        SecretCertificates::new(routes, default.map(|d| d.parse().unwrap()), provider())
    }

    #[test]
    fn unchanged_pem_is_parsed_once_and_a_change_is_parsed_again() {
        let mut index = Index::new(IndexConfig::new("x").accept_classless(true));
        apply_yaml(&mut index, INGRESS);
        let (cert, key) = pem("a.example");
        apply_secret(&mut index, "a-tls", cert.as_bytes(), key.as_bytes());
        let certs = resolver(None);
        let snapshot = index.snapshot().snapshot;
        let first = certs.certificate(&snapshot, Some("a.example")).unwrap();
        let again = certs.certificate(&snapshot, Some("A.Example")).unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "unchanged PEM was parsed again"
        );

        let (cert2, key2) = pem("a.example");
        apply_secret(&mut index, "a-tls", cert2.as_bytes(), key2.as_bytes());
        let swapped = index.snapshot().snapshot;
        let second = certs.certificate(&swapped, Some("a.example")).unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_ne!(first.cert[0], second.cert[0]);
        // No entry and no default: nothing.
        assert!(certs.certificate(&swapped, Some("b.example")).is_none());
        assert!(certs.certificate(&swapped, None).is_none());
    }

    #[test]
    fn a_secret_that_does_not_parse_is_missing_and_falls_back_to_the_default() {
        let mut index = Index::new(IndexConfig::new("x").accept_classless(true));
        apply_yaml(&mut index, INGRESS);
        let (cert, _) = pem("a.example");
        let (_, other_key) = pem("other.example");
        // A key that is not the certificate's, then no PEM at all.
        apply_secret(&mut index, "a-tls", cert.as_bytes(), other_key.as_bytes());
        let (fallback, fallback_key) = pem("fallback.example");
        apply_secret(
            &mut index,
            "fallback",
            fallback.as_bytes(),
            fallback_key.as_bytes(),
        );
        let snapshot = index.snapshot().snapshot;
        let secret = snapshot.tls_secret("default", "a-tls").unwrap();
        let error = parse(secret, &provider()).unwrap_err();
        assert!(error.starts_with("tls.key: "), "{error}");

        assert!(
            resolver(None)
                .certificate(&snapshot, Some("a.example"))
                .is_none()
        );
        let certs = resolver(Some("default/fallback"));
        let served = certs.certificate(&snapshot, Some("a.example")).unwrap();
        let expected = parse(
            snapshot.tls_secret("default", "fallback").unwrap(),
            &provider(),
        );
        assert_eq!(served.cert, expected.unwrap().cert);
        // No SNI: the default too.
        assert!(certs.certificate(&snapshot, None).is_some());

        apply_secret(&mut index, "a-tls", b"not PEM", b"not PEM either");
        let snapshot = index.snapshot().snapshot;
        let error = parse(
            snapshot.tls_secret("default", "a-tls").unwrap(),
            &provider(),
        );
        assert_eq!(error.unwrap_err(), "tls.crt: no certificate in the PEM");
        // A default naming a Secret the snapshot lacks is no certificate.
        let missing = resolver(Some("default/nowhere"));
        assert!(missing.certificate(&snapshot, Some("a.example")).is_none());
    }
}

//! The hub's HTTP face: the routes, and listening on an address, over TLS
//! or, on loopback or behind a TLS-terminating proxy, plain HTTP.
//!
//! Routes: `POST /v1/sync` (binary sync envelopes), `POST /v1/photos`
//! (photo requests in the same envelope), `POST /v1/enroll`
//! (JSON), `GET /v1/health`. Every refusal is a JSON `{code, message}`.

mod arrival;
mod blocking;
mod chart_copy;
mod enrol;
mod envelope;
mod guard;
mod photos;
mod problem;
mod push;
mod share;
mod sync;
mod updates;
mod whole;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use problem::Problem;
use tower::ServiceBuilder;

pub(crate) use guard::RequestGuard;

use crate::{Hub, HubStore, ServeError};

/// The largest enrolment request read.
const MAX_ENROL_BODY: usize = 16 << 10;
/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long open requests may finish after shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The hub's routes, behind the per-address rate limit and the limit on
/// requests at once. Sync bodies are read by the route itself, in stages
/// (see `envelope`); enrolment bodies are small and read whole.
pub fn router<S: HubStore>(hub: Hub<S>) -> Router {
    let at_once = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(guard::busy))
        .layer(tower::load_shed::LoadShedLayer::new())
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            hub.config().guard.max_concurrent_requests.max(1),
        ));
    Router::new()
        .route("/v1/sync", post(sync::handle::<S>))
        .route("/v1/photos", post(photos::handle::<S>))
        .route(
            "/v1/enroll",
            post(enrol::handle::<S>).layer(DefaultBodyLimit::max(MAX_ENROL_BODY)),
        )
        .route("/v1/health", get(enrol::health::<S>))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(at_once)
        .layer(axum::middleware::from_fn_with_state(
            hub.clone(),
            guard::limit_address::<S>,
        ))
        .with_state(hub)
}

async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such address at this hub: check the hub URL (it ends before /v1)",
    )
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this address takes another method: sync and enrolment are POST, health is GET",
    )
}

/// Where and how to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Serve HTTPS with this certificate chain and key.
    pub tls: Option<TlsFiles>,
    /// Plain HTTP off loopback is allowed: a TLS-terminating proxy stands
    /// in front of the hub.
    pub behind_tls_proxy: bool,
}

/// A certificate chain and its private key, both PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A bound address, ready to serve.
#[derive(Debug)]
pub struct HubListener {
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    local_addr: SocketAddr,
}

impl HubListener {
    /// Binds the address, after checking that charts would not cross a
    /// network in the clear, and loads the TLS files if any.
    pub fn bind(options: &ServeOptions) -> Result<HubListener, ServeError> {
        if options.tls.is_none() && !options.behind_tls_proxy && !is_loopback(options.listen.ip()) {
            return Err(ServeError::PlainHttpOffLoopback {
                addr: options.listen,
            });
        }
        let tls = options.tls.as_ref().map(tls_config).transpose()?;
        let listener =
            std::net::TcpListener::bind(options.listen).map_err(|source| ServeError::Bind {
                addr: options.listen,
                source,
            })?;
        let local_addr = listener.local_addr()?;
        Ok(HubListener {
            listener,
            tls,
            local_addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves `hub` until `shutdown` completes, then lets open requests
    /// finish for a short while.
    pub async fn serve<S: HubStore>(
        self,
        hub: Hub<S>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
        });
        let app = router(hub).into_make_service_with_connect_info::<SocketAddr>();
        match self.tls {
            Some(config) => {
                let mut server = axum_server::from_tcp_rustls(self.listener, config)?;
                bound_idle_clients(server.http_builder());
                server.handle(handle).serve(app).await?
            }
            None => {
                let mut server = axum_server::from_tcp(self.listener)?;
                bound_idle_clients(server.http_builder());
                server.handle(handle).serve(app).await?
            }
        }
        Ok(())
    }
}

/// A client that opens a connection and then sends its request headers
/// slowly, or not at all, is cut off rather than holding the connection.
/// Sync bodies are timed by the route (`GuardConfig`), which knows how
/// much it has yet to read.
fn bound_idle_clients(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
) {
    builder.http1().header_read_timeout(HEADER_READ_TIMEOUT);
}

/// Binds as `options` say and serves `hub` until `shutdown` completes.
pub async fn serve<S: HubStore>(
    hub: Hub<S>,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    HubListener::bind(options)?.serve(hub, shutdown).await
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// A rustls configuration on ring, from PEM files.
fn tls_config(files: &TlsFiles) -> Result<RustlsConfig, ServeError> {
    let error = |what: &'static str, path: &PathBuf, detail: String| ServeError::Tls {
        what,
        path: path.clone(),
        detail,
    };
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| error("certificate", &files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(error(
            "certificate",
            &files.cert,
            "it holds no certificate".to_owned(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| error("key", &files.key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| error("certificate", &files.cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| error("key", &files.key, e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_count_as_loopback() {
        for ip in ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "0.0.0.0",
            "::",
            "192.168.1.5",
            "10.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }
}

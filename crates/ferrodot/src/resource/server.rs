//! Pycom's `HTTP_Server.init(...)` / `deinit()` on the host (feature
//! `tokio`): serve a resource store on its own thread, and stop it again.
//!
//! ```no_run
//! use ferrodot::resource::{HttpServer, MediaType, Methods};
//!
//! // HTTP_Server.init(port=80, max_uri=100)
//! let server = HttpServer::init().port(80).max_uri(100).start()?;
//! // HTTP_Server.add_resource('/resource1', value="Hello Client!")
//! server.add_resource("/resource1", MediaType::Html, b"Hello Client!")?.register_request_handler(Methods::GET, None)?;
//! // HTTP_Server.add_resource('/resource2'): text/html, value 0
//! server.add_default("/resource2")?.register_request_handler(Methods::ALL, None)?;
//! // ... serve until the application is done; then free the port:
//! server.deinit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `.keyfile(..).certfile(..)` (PEM; feature `tls-rustls`) serves HTTPS.
//!
//! Where this differs from Pycom, on purpose:
//! - HTTPS whenever both files are given, on any port (Pycom switches to
//!   HTTPS on port 443 only and ignores the files elsewhere). Port 443
//!   without them is refused, as in Pycom.
//! - Several servers may run at once, each with its own store (Pycom has
//!   one per device: a second `init` raises `RuntimeError`).
//! - `deinit` keeps the store: it lives as long as an `Arc` of it does, so
//!   [`Init::store`] can serve it again, or another store, on the same port.

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::path::PathBuf;
use std::rc::Rc;
use std::string::String;
use std::sync::Arc;

use super::routes::ResourceRoutes;
use super::store::ResourceStore;
use crate::app::App;
use crate::rt::tokio::{Background, Server, ServerOptions};

/// Pycom's `HTTP_Server.init(port=80, max_uri=100, keyfile=None,
/// certfile=None)` as a builder; [`Init::start`] binds and serves.
pub struct Init<const N: usize = 100, const U: usize = 64, const V: usize = 1024> {
    host: String,
    port: u16,
    max_uri: Option<usize>,
    keyfile: Option<PathBuf>,
    certfile: Option<PathBuf>,
    store: Option<Arc<ResourceStore<N, U, V>>>,
    options: ServerOptions,
}

/// A resource store being served (Pycom's initialised `HTTP_Server`). It
/// derefs to its [`ResourceStore`], so `server.add_resource(..)` reads as
/// in Pycom. Dropping it stops the server as [`HttpServer::deinit`] does.
pub struct HttpServer<const N: usize = 100, const U: usize = 64, const V: usize = 1024> {
    store: Arc<ResourceStore<N, U, V>>,
    addr: SocketAddr,
    https: bool,
    background: Background,
}

impl HttpServer {
    /// A builder with Pycom's defaults: port 80 on every interface, 100
    /// resources (URIs up to 64 bytes, values up to 1 KiB), plain HTTP.
    pub fn init() -> Init {
        Init::new()
    }
}

impl<const N: usize, const U: usize, const V: usize> Default for Init<N, U, V> {
    fn default() -> Self {
        Self::new()
    }
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.into())
}

impl<const N: usize, const U: usize, const V: usize> Init<N, U, V> {
    /// A builder for a store of these capacities (see [`HttpServer::init`]).
    pub fn new() -> Self {
        Init {
            host: String::from("0.0.0.0"),
            port: 80,
            max_uri: None,
            keyfile: None,
            certfile: None,
            store: None,
            options: ServerOptions::default(),
        }
    }

    /// The port to listen on (Pycom's `port`, default 80; 0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The interface to listen on (default `0.0.0.0`, all of them).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Most resources on the server (Pycom's `max_uri`): adding more fails
    /// with [`StoreError::Full`](super::StoreError::Full), a POST beyond it
    /// is 507. At most the store's capacity `N` (default: `N`, 100).
    pub fn max_uri(mut self, max_uri: usize) -> Self {
        self.max_uri = Some(max_uri);
        self
    }

    /// The private key (PEM) for HTTPS, with [`Init::certfile`].
    pub fn keyfile(mut self, path: impl Into<PathBuf>) -> Self {
        self.keyfile = Some(path.into());
        self
    }

    /// The certificate chain (PEM) for HTTPS, with [`Init::keyfile`].
    pub fn certfile(mut self, path: impl Into<PathBuf>) -> Self {
        self.certfile = Some(path.into());
        self
    }

    /// Serve this store (a persisted one, one of other capacities, one the
    /// application fills first) instead of a new empty one.
    pub fn store<const N2: usize, const U2: usize, const V2: usize>(
        self,
        store: Arc<ResourceStore<N2, U2, V2>>,
    ) -> Init<N2, U2, V2> {
        Init {
            host: self.host,
            port: self.port,
            max_uri: self.max_uri,
            keyfile: self.keyfile,
            certfile: self.certfile,
            store: Some(store),
            options: self.options,
        }
    }

    /// The host runtime's options (connections at once, buffer sizes).
    pub fn options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// Bind the port and serve on a new thread. Fails, before anything is
    /// served, on a port in use, a `max_uri` of 0 or above `N`, only one of
    /// the two TLS files, port 443 without them, or files that do not load.
    pub fn start(self) -> io::Result<HttpServer<N, U, V>> {
        let max_uri = match self.max_uri {
            Some(n) if n == 0 || n > N => {
                return Err(invalid(std::format!(
                    "max_uri must be between 1 and {N} (the store's capacity)"
                )))
            }
            other => other,
        };
        let tls = tls_config(self.keyfile, self.certfile, self.port)?;
        let https = tls.is_some();
        let store = self.store.unwrap_or_default();
        if let Some(n) = max_uri {
            store.set_max_uri(n);
        }
        let addr = std::format!("{}:{}", self.host, self.port);
        let (bound_tx, bound_rx) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
        let served = store.clone();
        let options = self.options;
        let background = Background::spawn(std::format!("HTTP_Server {addr}"), move |stop| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            tokio::task::LocalSet::new().block_on(&runtime, async move {
                let server = match Server::bind(addr.as_str()).await {
                    Ok(server) => server.options(options),
                    Err(e) => {
                        let _ = bound_tx.send(Err(e));
                        return Ok(());
                    }
                };
                let _ = bound_tx.send(server.local_addr());
                #[cfg(feature = "tls-rustls")]
                let server = match tls {
                    Some(config) => server.tls(config),
                    None => server,
                };
                #[cfg(not(feature = "tls-rustls"))]
                let _ = tls;
                let app = Rc::new(App::new(served, ResourceRoutes::<N, U, V>::new()));
                server.serve_with_shutdown(app, stop.wait()).await
            })
        })?;
        let addr = match bound_rx.recv() {
            Ok(Ok(addr)) => addr,
            Ok(Err(e)) => {
                let _ = background.stop();
                return Err(e);
            }
            Err(_) => {
                return Err(match background.stop() {
                    Err(e) => e,
                    Ok(()) => io::Error::other("the server thread ended before it bound its port"),
                })
            }
        };
        Ok(HttpServer {
            store,
            addr,
            https,
            background,
        })
    }
}

#[cfg(feature = "tls-rustls")]
type TlsSetting = Option<Arc<crate::tls::ServerConfig>>;
#[cfg(not(feature = "tls-rustls"))]
type TlsSetting = Option<core::convert::Infallible>;

/// The HTTPS configuration the files ask for, or `None` for plain HTTP.
fn tls_config(keyfile: Option<PathBuf>, certfile: Option<PathBuf>, port: u16) -> io::Result<TlsSetting> {
    match (keyfile, certfile) {
        (None, None) if port == 443 => Err(invalid("HTTPS (port 443) needs a keyfile and a certfile")),
        (None, None) => Ok(None),
        (Some(keyfile), Some(certfile)) => load_tls(keyfile, certfile),
        _ => Err(invalid(
            "keyfile and certfile go together: give both for HTTPS, or neither",
        )),
    }
}

#[cfg(feature = "tls-rustls")]
fn load_tls(keyfile: PathBuf, certfile: PathBuf) -> io::Result<TlsSetting> {
    let config = crate::tls::TlsConfig::load(certfile, keyfile)?;
    config
        .build()
        .map(Some)
        .map_err(|e| io::Error::other(std::format!("TLS configuration: {e}")))
}

#[cfg(not(feature = "tls-rustls"))]
fn load_tls(_keyfile: PathBuf, _certfile: PathBuf) -> io::Result<TlsSetting> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "HTTPS needs ferrodot's `tls-rustls` feature",
    ))
}

impl<const N: usize, const U: usize, const V: usize> HttpServer<N, U, V> {
    /// The address the server listens on (the port chosen, for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it serves HTTPS.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The store it serves, to keep beyond [`HttpServer::deinit`].
    pub fn store(&self) -> &Arc<ResourceStore<N, U, V>> {
        &self.store
    }

    /// Stop the server (Pycom's `deinit`): stop accepting, let requests in
    /// flight finish (within the options' grace period), close every
    /// connection and the listening socket, and join the thread. The port
    /// can be bound again when this returns.
    pub fn deinit(self) -> io::Result<()> {
        self.background.stop()
    }
}

impl<const N: usize, const U: usize, const V: usize> Deref for HttpServer<N, U, V> {
    type Target = ResourceStore<N, U, V>;

    fn deref(&self) -> &Self::Target {
        &self.store
    }
}

//! HTTPS: TLS between the socket and the connection engine.
//!
//! ```no_run
//! use ferrodot::prelude::*;
//! use ferrodot::rt::tokio::Server;
//! use ferrodot::tls::TlsConfig;
//!
//! # ferrodot::routes! { Routes<()> { GET "/" => hello } }
//! # async fn hello() -> &'static str { "hello" }
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! // A clear error (not a panic) for a missing file, a file that is not PEM,
//! // a key that does not match, an expired certificate.
//! let tls = TlsConfig::load("cert.pem", "key.pem")?.build()?;
//! let app = std::rc::Rc::new(App::new((), Routes));
//! Server::bind("0.0.0.0:8443").await?.tls(tls).serve(app).await?;
//! # Ok(()) }
//! ```
//!
//! The engine never knows about TLS: the host runtime does the handshake
//! (under a time-out and a limit on handshakes at once) and hands the
//! engine a [`Transport`](crate::io::Transport) that encrypts, so every
//! route, WebSocket and event stream works over HTTPS unchanged. This module
//! holds what the runtime needs for that: the PEM loader ([`Identity`]),
//! the certificate-date check ([`validity`]) and the rustls configuration
//! ([`TlsConfig`]: ring, TLS 1.3 and 1.2, ALPN `http/1.1`, a certificate
//! per SNI name). The runtime side is in `rt::tokio` (`Server::tls`).

mod pem;
mod provider;
mod rustls;
pub mod validity;

pub use self::pem::{load_ca_file, Identity, LoadError, Part, MAX_PEM_FILE};
pub use self::rustls::{client_config, server_config_builder, BadServerName, TlsConfig, SESSION_CACHE};
pub use ::rustls::ServerConfig;

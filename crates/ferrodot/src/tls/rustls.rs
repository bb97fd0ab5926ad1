//! The rustls server configuration: ring, TLS 1.3 and 1.2, ALPN
//! `http/1.1`, and a certificate per server name.

use std::string::String;
use std::sync::Arc;
use std::vec::Vec;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

use super::pem::{Identity, LoadError};
use super::provider::ring_provider;

/// Sessions the server remembers for resumption (TLS 1.2 session IDs and
/// TLS 1.3 stateful tickets); the oldest is forgotten first. A few hundred
/// bytes each.
pub const SESSION_CACHE: usize = 256;

/// What the TLS server presents: one identity, and optionally others
/// chosen by the name the client asks for (SNI).
#[derive(Debug, Clone)]
pub struct TlsConfig {
    default: Identity,
    by_name: Vec<(String, Identity)>,
}

/// Why [`TlsConfig::sni`] refused a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadServerName(pub String);

impl core::fmt::Display for BadServerName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "not a DNS name for SNI: {:?}", self.0)
    }
}

impl std::error::Error for BadServerName {}

impl TlsConfig {
    /// Present `identity` to every client.
    pub fn new(identity: Identity) -> Self {
        TlsConfig {
            default: identity,
            by_name: Vec::new(),
        }
    }

    /// [`TlsConfig::new`] with the identity from two PEM files (see
    /// [`Identity::load`]).
    pub fn load(
        certfile: impl AsRef<std::path::Path>,
        keyfile: impl AsRef<std::path::Path>,
    ) -> Result<Self, LoadError> {
        Identity::load(certfile, keyfile).map(TlsConfig::new)
    }

    /// Present `identity` to clients that ask for `name` (a DNS name, any
    /// case); others get the default one.
    pub fn sni(mut self, name: &str, identity: Identity) -> Result<Self, BadServerName> {
        let checked = rustls::pki_types::DnsName::try_from(name).map_err(|_| BadServerName(name.into()))?;
        self.by_name
            .push((checked.to_lowercase_owned().as_ref().into(), identity));
        Ok(self)
    }

    /// The rustls configuration, for `rt::tokio::Server::tls`. Fails only
    /// as [`server_config_builder`] does.
    pub fn build(self) -> Result<Arc<ServerConfig>, rustls::Error> {
        let resolver = ByName {
            default: self.default.key,
            by_name: self
                .by_name
                .into_iter()
                .map(|(name, identity)| (name, identity.key))
                .collect(),
        };
        let mut config = server_config_builder()?.with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = std::vec![b"http/1.1".to_vec()];
        config.session_storage = rustls::server::ServerSessionMemoryCache::new(SESSION_CACHE);
        Ok(Arc::new(config))
    }
}

/// A rustls server configuration builder with ferrodot's choices (ring,
/// TLS 1.3 and 1.2, no client certificates), for callers who set the
/// certificates themselves. Fails only if ring's provider lacks the suites
/// of a version, which it does not.
pub fn server_config_builder(
) -> Result<rustls::ConfigBuilder<ServerConfig, rustls::server::WantsServerCert>, rustls::Error> {
    let provider = Arc::new(ring_provider());
    let builder = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    Ok(builder.with_no_client_auth())
}

/// A rustls client configuration: certificates verified against `roots`
/// (or the Mozilla roots of `webpki-roots` when `None`), ring, TLS 1.3 and
/// 1.2, ALPN `http/1.1`. The host name is checked by rustls against the
/// name the client connects to (SNI).
pub fn client_config(
    roots: Option<&[rustls::pki_types::CertificateDer<'static>]>,
) -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        Some(roots) => {
            for root in roots {
                store.add(root.clone())?;
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(ring_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = std::vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The certificate for the SNI name, else the default one.
#[derive(Debug)]
struct ByName {
    default: Arc<CertifiedKey>,
    by_name: Vec<(String, Arc<CertifiedKey>)>,
}

impl ResolvesServerCert for ByName {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let chosen = hello
            .server_name()
            .and_then(|asked| self.by_name.iter().find(|(name, _)| name.eq_ignore_ascii_case(asked)))
            .map_or(&self.default, |(_, key)| key);
        Some(chosen.clone())
    }
}

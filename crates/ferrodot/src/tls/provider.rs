//! The crypto provider every TLS configuration of ferrodot uses.

/// ring's provider. rustls 0.23.48 deprecates it for lacking post-quantum
/// key exchange (X25519MLKEM768), which only aws-lc-rs offers; aws-lc-rs
/// needs cmake and a long C build, so ferrodot stays with ring (X25519,
/// P-256, P-384) until rustls 0.24's `rustls-ring` crate.
#[allow(deprecated)]
pub(crate) fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

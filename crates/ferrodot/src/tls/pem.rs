//! PEM files: a certificate chain and its private key, read into an
//! [`Identity`] with every failure named.

use std::fmt;
use std::path::{Path, PathBuf};
use std::string::String;
use std::sync::Arc;
use std::vec::Vec;

use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::validity::{validity, UtcTime};

/// Largest PEM file read: a chain of a few certificates is a few KiB; a
/// mistaken path to a disk image must not be read into memory.
pub const MAX_PEM_FILE: u64 = 1024 * 1024;

/// Which of the two files a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The certificate chain file.
    Certificate,
    /// The private key file.
    Key,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Certificate => "certificate",
            Part::Key => "private key",
        })
    }
}

/// Why a certificate or key could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read (missing, unreadable, a directory).
    Read {
        /// Which file it was.
        part: Part,
        /// The path as given.
        path: PathBuf,
        /// What the operating system reported.
        error: std::io::Error,
    },
    /// The file is larger than [`MAX_PEM_FILE`].
    TooLarge {
        /// Which file it was.
        part: Part,
        /// The path as given.
        path: PathBuf,
    },
    /// Not PEM: no `-----BEGIN …-----` section, or a broken one.
    NotPem {
        /// Which file it was.
        part: Part,
        /// What the PEM parser found wrong.
        reason: String,
    },
    /// PEM, but without a `CERTIFICATE` section (a key given as the
    /// certificate, say).
    NoCertificate,
    /// PEM, but without a private key section (`PRIVATE KEY`, `RSA PRIVATE
    /// KEY` or `EC PRIVATE KEY`).
    NoKey,
    /// More than one private key: which one is meant is not clear.
    SeveralKeys,
    /// The first certificate is not an X.509 certificate ferrodot can read.
    BadCertificate,
    /// The key is of a kind or encoding the TLS stack cannot sign with
    /// (RSA, ECDSA P-256/P-384 and Ed25519 work).
    BadKey {
        /// What the TLS stack reported.
        reason: String,
    },
    /// The key is not the one the (first) certificate was issued for.
    KeyMismatch,
    /// The certificate's `notAfter` has passed.
    Expired {
        /// The certificate's `notAfter`, in UTC.
        not_after: UtcTime,
    },
    /// The certificate's `notBefore` has not come yet (a clock set wrong, or
    /// a certificate made for later).
    NotYetValid {
        /// The certificate's `notBefore`, in UTC.
        not_before: UtcTime,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { part, path, error } => {
                write!(f, "cannot read the {part} file {}: {error}", path.display())
            }
            LoadError::TooLarge { part, path } => {
                write!(
                    f,
                    "the {part} file {} is larger than {MAX_PEM_FILE} bytes: not a PEM file",
                    path.display()
                )
            }
            LoadError::NotPem { part, reason } => write!(f, "the {part} file is not PEM ({reason})"),
            LoadError::NoCertificate => f.write_str("the certificate file has no CERTIFICATE section"),
            LoadError::NoKey => {
                f.write_str("the key file has no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY section")
            }
            LoadError::SeveralKeys => f.write_str("the key file holds more than one private key"),
            LoadError::BadCertificate => {
                f.write_str("the certificate file's first certificate is not a valid X.509 certificate")
            }
            LoadError::BadKey { reason } => write!(f, "the private key cannot be used: {reason}"),
            LoadError::KeyMismatch => f.write_str("the private key does not match the certificate"),
            LoadError::Expired { not_after } => write!(f, "the certificate expired at {not_after}"),
            LoadError::NotYetValid { not_before } => write!(f, "the certificate is not valid before {not_before}"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Read { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<LoadError> for std::io::Error {
    fn from(e: LoadError) -> Self {
        let kind = match &e {
            LoadError::Read { error, .. } => error.kind(),
            _ => std::io::ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, e)
    }
}

/// A certificate chain with its private key, checked to belong together
/// and to be valid now: what a TLS server presents.
#[derive(Debug, Clone)]
pub struct Identity {
    pub(crate) key: Arc<CertifiedKey>,
    not_after: UtcTime,
}

impl Identity {
    /// Load `certfile` (the server's certificate first, then any
    /// intermediates) and `keyfile` (PKCS#8, PKCS#1 RSA or SEC1 EC), as
    /// PEM. The key must match the certificate, and the certificate must be
    /// valid at this moment.
    pub fn load(certfile: impl AsRef<Path>, keyfile: impl AsRef<Path>) -> Result<Identity, LoadError> {
        let certs = read(Part::Certificate, certfile.as_ref())?;
        let key = read(Part::Key, keyfile.as_ref())?;
        Identity::from_pem(&certs, &key)
    }

    /// [`Identity::load`] from the files' contents.
    pub fn from_pem(certs: &[u8], key: &[u8]) -> Result<Identity, LoadError> {
        Identity::from_pem_at(certs, key, unix_now())
    }

    /// [`Identity::from_pem`] checked against the time `now` (seconds since
    /// 1970) instead of the system clock.
    pub fn from_pem_at(certs: &[u8], key: &[u8], now: i64) -> Result<Identity, LoadError> {
        let chain = certificates(certs)?;
        let key = private_key(key)?;
        let first = chain.first().ok_or(LoadError::NoCertificate)?;
        let period = validity(first).ok_or(LoadError::BadCertificate)?;
        let provider = super::provider::ring_provider();
        let signer = provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| LoadError::BadKey {
                reason: std::format!("{e}"),
            })?;
        let certified = CertifiedKey::new(chain, signer);
        match certified.keys_match() {
            Ok(()) => {}
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
                return Err(LoadError::KeyMismatch)
            }
            // ring knows the public half of every key it loads; should one
            // not, the handshake still fails for a wrong key.
            Err(rustls::Error::InconsistentKeys(_)) => {}
            Err(_) => return Err(LoadError::BadCertificate),
        }
        if now < period.not_before.unix_seconds() {
            return Err(LoadError::NotYetValid {
                not_before: period.not_before,
            });
        }
        if now > period.not_after.unix_seconds() {
            return Err(LoadError::Expired {
                not_after: period.not_after,
            });
        }
        Ok(Identity {
            key: Arc::new(certified),
            not_after: period.not_after,
        })
    }

    /// When the (first) certificate expires.
    pub fn not_after(&self) -> UtcTime {
        self.not_after
    }

    /// The certificate chain, in DER, the server's own first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.key.cert
    }
}

/// The certificates of a PEM file of trusted roots (a test CA, a
/// private CA), for a client's verifier.
pub fn load_ca_file(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, LoadError> {
    certificates(&read(Part::Certificate, path.as_ref())?)
}

fn unix_now() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| s.saturating_neg()),
    }
}

fn read(part: Part, path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let error = |error| LoadError::Read {
        part,
        path: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(error)?;
    let mut bytes = Vec::new();
    // One byte over the limit tells a file at the limit from a larger one.
    file.take(MAX_PEM_FILE.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(error)?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > MAX_PEM_FILE) {
        return Err(LoadError::TooLarge {
            part,
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

/// Every section of a PEM file, or why it is not PEM. Text around the
/// sections (openssl's `Bag Attributes`, comments) is allowed.
fn sections(part: Part, bytes: &[u8]) -> Result<Vec<(SectionKind, Vec<u8>)>, LoadError> {
    let found = <(SectionKind, Vec<u8>)>::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| LoadError::NotPem {
            part,
            reason: std::format!("{e}"),
        })?;
    if found.is_empty() {
        return Err(LoadError::NotPem {
            part,
            reason: "no -----BEGIN ...----- section".into(),
        });
    }
    Ok(found)
}

fn certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, LoadError> {
    let chain: Vec<_> = sections(Part::Certificate, bytes)?
        .into_iter()
        .filter(|(kind, _)| *kind == SectionKind::Certificate)
        .map(|(_, der)| CertificateDer::from(der))
        .collect();
    if chain.is_empty() {
        return Err(LoadError::NoCertificate);
    }
    Ok(chain)
}

fn private_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, LoadError> {
    let mut keys = sections(Part::Key, bytes)?
        .into_iter()
        .filter_map(|(kind, der)| PrivateKeyDer::from_pem(kind, der));
    let key = keys.next().ok_or(LoadError::NoKey)?;
    if keys.next().is_some() {
        return Err(LoadError::SeveralKeys);
    }
    Ok(key)
}

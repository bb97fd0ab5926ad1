//! The PEM loader on real files made by openssl (`tests/tls/make-certs.sh`):
//! every key type and encoding loads; every bad file gives its own error,
//! never a panic.
#![cfg(feature = "tls-rustls")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ferrodot::tls::{Identity, LoadError, Part, TlsConfig};

fn certs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tls_pem-certs");
        let _ = std::fs::remove_dir_all(&dir);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tls/make-certs.sh");
        let out = Command::new("bash")
            .arg(script)
            .arg(&dir)
            .output()
            .expect("bash and openssl are needed for the TLS tests");
        assert!(
            out.status.success(),
            "make-certs.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

fn path(name: &str) -> PathBuf {
    certs().join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap()
}

#[test]
fn every_key_type_and_encoding_loads() {
    for (cert, key) in [
        ("ec.pem", "ec.key"),
        ("ec.pem", "ec-sec1.key"),
        ("rsa.pem", "rsa.key"),
        ("rsa.pem", "rsa-pkcs1.key"),
        ("ed25519.pem", "ed25519.key"),
        ("chain.pem", "ec.key"),
    ] {
        let identity = Identity::load(path(cert), path(key)).unwrap_or_else(|e| panic!("{cert} + {key}: {e}"));
        assert_eq!(identity.chain().len(), if cert == "chain.pem" { 2 } else { 1 });
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let left = identity.not_after().unix_seconds() - i64::try_from(now).unwrap();
        assert!((86_400..=3 * 86_400).contains(&left), "{cert}: valid for {left} s more");
        assert!(TlsConfig::new(identity).build().is_ok());
    }
}

#[test]
fn a_missing_file_is_named() {
    let e = Identity::load(path("nowhere.pem"), path("ec.key")).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::Read {
                part: Part::Certificate,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.starts_with("cannot read the certificate file ") && text.contains("nowhere.pem"),
        "{text}"
    );
    let e = Identity::load(path("ec.pem"), path("nokey.pem")).unwrap_err();
    assert!(matches!(e, LoadError::Read { part: Part::Key, .. }), "{e:?}");
    // A directory is not a file either.
    let e = Identity::load(certs(), path("ec.key")).unwrap_err();
    assert!(matches!(e, LoadError::Read { .. }), "{e:?}");
    // And as an io::Error the kind survives.
    let io: std::io::Error = Identity::load(path("nowhere.pem"), path("ec.key")).unwrap_err().into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn files_that_are_not_pem() {
    let cert = read("ec.pem");
    let e = Identity::from_pem(b"just some text\n", &read("ec.key")).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::NotPem {
                part: Part::Certificate,
                ..
            }
        ),
        "{e:?}"
    );
    let e = Identity::from_pem(&cert, &[0x30, 0x82, 0x01, 0x00, 0xff]).unwrap_err();
    assert!(matches!(e, LoadError::NotPem { part: Part::Key, .. }), "{e:?}");
    // A broken base64 body, an unterminated section.
    let broken = String::from_utf8(cert.clone()).unwrap().replacen('A', "*", 3);
    let e = Identity::from_pem(broken.as_bytes(), &read("ec.key")).unwrap_err();
    assert!(matches!(e, LoadError::NotPem { .. }), "{e:?}");
    let cut = &cert[..cert.len() - 30];
    let e = Identity::from_pem(cut, &read("ec.key")).unwrap_err();
    assert!(matches!(e, LoadError::NotPem { .. }), "{e:?}");
    assert!(e.to_string().starts_with("the certificate file is not PEM"), "{e}");
}

#[test]
fn files_swapped_or_of_the_wrong_kind() {
    let e = Identity::load(path("ec.key"), path("ec.pem")).unwrap_err();
    assert!(matches!(e, LoadError::NoCertificate), "{e:?}");
    let e = Identity::load(path("ec.pem"), path("ec.pem")).unwrap_err();
    assert!(matches!(e, LoadError::NoKey), "{e:?}");
    let two_keys = [read("ec.key"), read("rsa.key")].concat();
    let e = Identity::from_pem(&read("ec.pem"), &two_keys).unwrap_err();
    assert!(matches!(e, LoadError::SeveralKeys), "{e:?}");
}

#[test]
fn a_key_that_does_not_match() {
    for (cert, key) in [
        ("ec.pem", "rsa.key"),
        ("rsa.pem", "ec.key"),
        ("ed25519.pem", "ec.key"),
        ("ec.pem", "ed25519.key"),
    ] {
        let e = Identity::load(path(cert), path(key)).unwrap_err();
        assert!(matches!(e, LoadError::KeyMismatch), "{cert} + {key}: {e:?}");
        assert_eq!(e.to_string(), "the private key does not match the certificate");
    }
}

#[test]
fn an_expired_or_future_certificate() {
    let e = Identity::load(path("expired.pem"), path("ec.key")).unwrap_err();
    assert_eq!(e.to_string(), "the certificate expired at 2020-02-01 00:00:00 UTC");
    // Checked against a given moment: 2019 is before its notBefore.
    let e = Identity::from_pem_at(&read("expired.pem"), &read("ec.key"), 1_546_300_800).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the certificate is not valid before 2020-01-01 00:00:00 UTC"
    );
    assert!(Identity::from_pem_at(&read("expired.pem"), &read("ec.key"), 1_579_000_000).is_ok());
}

#[test]
fn a_huge_file_is_not_read_whole() {
    let big = certs().join("big.pem");
    std::fs::write(&big, vec![b'A'; 2 * 1024 * 1024]).unwrap();
    let e = Identity::load(&big, path("ec.key")).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::TooLarge {
                part: Part::Certificate,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn sni_names_are_checked() {
    let identity = Identity::load(path("ec.pem"), path("ec.key")).unwrap();
    let config = TlsConfig::new(identity.clone());
    assert!(config.clone().sni("localhost", identity.clone()).is_ok());
    assert!(config.clone().sni("Camera.Local", identity.clone()).is_ok());
    assert!(config.sni("not a name!", identity).is_err());
}

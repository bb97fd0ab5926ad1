//! The TLS identity loader: PEM sections, the certificate's DER walk to
//! its validity dates, and the key/certificate check never panic, and
//! dates that are read are real dates.
#![no_main]

use base64::Engine;
use ferrodot::tls::validity::validity;
use ferrodot::tls::Identity;
use libfuzzer_sys::fuzz_target;

/// A throwaway ECDSA P-256 key made for this target (it protects nothing):
/// with it, fuzzed certificates get past key parsing to the date and
/// key-match checks.
const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgn+g/9+1k+Fi8qCuG
htD/vMgoiZyXDcI6cZxJs0Sp6qOhRANCAASZAfSm96qYsIjk0prIDJKrlDKYisOm
ux42tMxOpvHuvtDGpY1609G/6A/Te80nt24lzcR3v8zZRTVzn2Hux34t
-----END PRIVATE KEY-----
";

fn armor(label: &str, der: &[u8]) -> Vec<u8> {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(core::str::from_utf8(line).unwrap());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem.into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if let Some(v) = validity(rest) {
        for t in [v.not_before, v.not_after] {
            assert!((1..=12).contains(&t.month) && (1..=31).contains(&t.day), "{t:?}");
            assert!(t.hour < 24 && t.minute < 60 && t.second < 60, "{t:?}");
            let _ = t.unix_seconds();
        }
    }
    let now = 1_800_000_000;
    let _ = match mode % 3 {
        // Raw PEM text for both files, split at the first NUL.
        0 => {
            let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let (certs, key) = rest.split_at(split);
            Identity::from_pem_at(certs, key, now)
        }
        // Fuzzed DER as the certificate, with a real key.
        1 => Identity::from_pem_at(&armor("CERTIFICATE", rest), KEY.as_bytes(), now),
        // Fuzzed DER as the key (each PEM label), with a fuzzed certificate.
        _ => {
            let label = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"][usize::from(mode / 3 % 3)];
            Identity::from_pem_at(&armor("CERTIFICATE", rest), &armor(label, rest), now)
        }
    };
});

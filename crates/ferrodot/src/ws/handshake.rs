//! The opening handshake (RFC 6455 §4.2): checking an upgrade request
//! and computing `Sec-WebSocket-Accept`.
//!
//! ```
//! use ferrodot::http::parse::{parse_head, HeadLimits, ParsedHead};
//! use ferrodot::ws::handshake::{accept_key, check_upgrade, choose_protocol};
//!
//! let raw = b"GET /chat HTTP/1.1\r\nHost: cam\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
//!     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
//!     Sec-WebSocket-Protocol: chat.v2, chat.v1\r\n\r\n";
//! let Ok(ParsedHead::Complete { request, .. }) = parse_head(raw, &HeadLimits::DEFAULT) else {
//!     panic!("a complete head");
//! };
//! let key = check_upgrade(&request).expect("a valid upgrade");
//! // RFC 6455 §1.3's example key and its answer.
//! assert_eq!(&accept_key(key), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! assert_eq!(choose_protocol(&request, &["chat.v1"]), Some("chat.v1"));
//! ```

use crate::base64::{self, Alphabet, Padding};
use crate::http::parse::Rejection;
use crate::http::{Method, Request, Status, Version};

const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a client's key: base64(SHA-1(key + GUID)).
pub fn accept_key(key: &[u8]) -> [u8; 28] {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(GUID);
    let digest = sha.digest().bytes();
    let mut out = [0u8; 28];
    // 20 bytes always encode to exactly 28 characters.
    let _ = base64::encode(&digest, &mut out, Alphabet::Standard, true);
    out
}

fn has_token(req: &Request<'_>, header: &str, token: &str) -> bool {
    req.headers_all(header)
        .flat_map(|v| v.split(|&b| b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Check that `req` asks for a WebSocket; returns the client's key.
///
/// A request that is not a valid upgrade gets 400 with the reason; a
/// version other than 13 gets 426 with `Sec-WebSocket-Version: 13`.
pub fn check_upgrade<'a>(req: &Request<'a>) -> Result<&'a [u8], Rejection> {
    if req.method() != Method::Get || req.version() != Version::Http11 {
        return Err(Rejection::new(
            Status::BAD_REQUEST,
            "WebSocket upgrades need GET over HTTP/1.1",
        ));
    }
    if !has_token(req, "upgrade", "websocket") {
        return Err(Rejection::new(Status::BAD_REQUEST, "missing Upgrade: websocket"));
    }
    if !has_token(req, "connection", "upgrade") {
        return Err(Rejection::new(Status::BAD_REQUEST, "missing Connection: upgrade"));
    }
    if req.header_bytes("sec-websocket-version").map(<[u8]>::trim_ascii) != Some(b"13") {
        return Err(
            Rejection::new(Status::UPGRADE_REQUIRED, "only WebSocket version 13 is supported")
                .with_header("Sec-WebSocket-Version", "13"),
        );
    }
    let key = req
        .header_bytes("sec-websocket-key")
        .map(<[u8]>::trim_ascii)
        .unwrap_or(&[]);
    let mut decoded = [0u8; 18];
    match base64::decode(key, &mut decoded, Alphabet::Standard, Padding::Required) {
        Some(16) => Ok(key),
        _ => Err(Rejection::new(
            Status::BAD_REQUEST,
            "Sec-WebSocket-Key must be 16 bytes in base64",
        )),
    }
}

/// The first protocol the client offers that the route supports.
pub fn choose_protocol(req: &Request<'_>, supported: &[&'static str]) -> Option<&'static str> {
    req.headers_all("sec-websocket-protocol")
        .flat_map(|v| v.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .find_map(|offered| supported.iter().find(|s| s.as_bytes() == offered).copied())
}

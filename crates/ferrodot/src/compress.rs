//! Gzip on the fly (`compress`, `std`): a response body compressed while it
//! is sent, only for clients whose `Accept-Encoding` takes gzip, in bounded
//! memory. Static files are better compressed once at build time
//! ([`crate::assets`]); this is for bodies made at run time (a log, a
//! report), and for mpgameserver's `Response(..., compress=True)`
//! ([`crate::mpg::Response::compress`]).
//!
//! ```
//! use ferrodot::compress::Gzip;
//! use ferrodot::prelude::*;
//!
//! async fn log<'r>(req: &'r Request<'r>) -> Gzip<'static, String> {
//!     Gzip::new(req, "text/plain; charset=utf-8", "frame ok\n".repeat(1000))
//! }
//! ferrodot::routes! { Logs<()> { GET "/log" => log } }
//! let app = App::new((), Logs);
//! let client = ferrodot::testing::TestClient::new(&app);
//!
//! let zipped = client.request(Method::Get, "/log").header("Accept-Encoding", "gzip").send();
//! assert_eq!(zipped.header("content-encoding"), Some("gzip"));
//! assert!(zipped.body.len() < 200); // 9000 bytes of text
//! let plain = client.get("/log"); // no Accept-Encoding: identity
//! assert_eq!((plain.header("content-encoding"), plain.body.len()), (None, 9000));
//! assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
//! ```
//!
//! The body is fed to the compressor 8 KiB at a time and what comes out is
//! written through the response buffer, so memory stays bounded by the
//! compressor's own state (flate2 on `miniz_oxide`, pure Rust), whatever the
//! body's size. mpgameserver compresses without looking at `Accept-Encoding`;
//! ferrodot sends identity to a client that did not ask for gzip
//! (RFC 9110 §12.5.3), and `Vary: Accept-Encoding` either way.

use std::io::Write;
use std::vec::Vec;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::app::respond::IntoResponse;
use crate::assets::{negotiate, Encoding};
use crate::http::{Request, Status};
use crate::server::{ResponseWriter, WriteError};

/// How much of the body goes into the compressor at a time.
const PIECE: usize = 8 * 1024;

/// Whether `req` takes a gzip-coded response (q-values honoured).
pub fn accepts_gzip(req: &Request<'_>) -> bool {
    negotiate(req.header_bytes("accept-encoding"), true, true) == Some(Encoding::Gzip)
}

/// A body sent gzip-compressed when the request accepts it (see the module doc).
pub struct Gzip<'a, B> {
    status: Status,
    content_type: &'a str,
    body: B,
    gzip: bool,
}

impl<'a, B: AsRef<[u8]>> Gzip<'a, B> {
    /// `body` of `content_type` with status 200, for `req`.
    pub fn new(req: &Request<'_>, content_type: &'a str, body: B) -> Self {
        Gzip {
            status: Status::OK,
            content_type,
            body,
            gzip: accepts_gzip(req),
        }
    }

    /// Answer with `status` instead of 200.
    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }
}

impl<B: AsRef<[u8]>> IntoResponse for Gzip<'_, B> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.status);
        out.content_type(self.content_type);
        write_body(out, self.body.as_ref(), self.gzip).await?;
        out.finish().await
    }
}

/// Write `body` after the response's other headers: with
/// `Content-Encoding: gzip` when `gzip`, as it is otherwise, and
/// `Vary: Accept-Encoding` in both cases (the answer depends on it).
pub async fn write_body(out: &mut ResponseWriter<'_>, body: &[u8], gzip: bool) -> Result<(), WriteError> {
    out.header("Vary", "Accept-Encoding");
    if !gzip {
        return out.write(body).await;
    }
    out.header("Content-Encoding", "gzip");
    let mut encoder = GzEncoder::new(Vec::with_capacity(PIECE), Compression::default());
    for piece in body.chunks(PIECE) {
        // Writing into a vector cannot fail.
        encoder
            .write_all(piece)
            .map_err(|_| WriteError::Invalid("gzip failed"))?;
        out.write(encoder.get_ref()).await?;
        encoder.get_mut().clear();
    }
    let tail = encoder.finish().map_err(|_| WriteError::Invalid("gzip failed"))?;
    out.write(&tail).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::http::Method;
    use crate::testing::TestClient;
    use std::io::Read;

    async fn big<'r>(req: &'r Request<'r>) -> Gzip<'static, Vec<u8>> {
        // 3 MiB of compressible but not trivial bytes.
        let body: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8 ^ (i >> 12) as u8).collect();
        Gzip::new(req, "application/octet-stream", body).status(Status::CREATED)
    }
    crate::routes! { Big<()> { GET "/big" => big } }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn a_body_larger_than_the_buffer_is_compressed_while_sent() {
        let app = App::new((), Big);
        let client = TestClient::new(&app).buffers(4096, 2048);
        let r = client
            .request(Method::Get, "/big")
            .header("Accept-Encoding", "br, gzip")
            .send();
        assert_eq!(r.status, Status::CREATED);
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        let expected: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8 ^ (i >> 12) as u8).collect();
        assert_eq!(gunzip(&r.body), expected);
        assert!(r.body.len() < expected.len() / 4, "{} bytes", r.body.len());
    }

    #[test]
    fn identity_unless_gzip_is_accepted() {
        let app = App::new((), Big);
        let client = TestClient::new(&app);
        for refuses in ["", "identity", "gzip;q=0", "br"] {
            let mut req = client.request(Method::Get, "/big");
            if !refuses.is_empty() {
                req = req.header("Accept-Encoding", refuses);
            }
            let r = req.send();
            assert_eq!(r.header("content-encoding"), None, "Accept-Encoding: {refuses}");
            assert_eq!(r.body.len(), 3 << 20);
            assert_eq!(r.header("vary"), Some("Accept-Encoding"));
        }
    }
}

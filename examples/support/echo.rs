//! The app of `examples/echo`: every method on every path answers 200 with
//! the request body sent back as it came (`Content-Length` or chunked, up
//! to [`MAX_BODY`]). Shared with ferrodot's conformance suite
//! (crates/ferrodot/tests/conformance.rs), which includes this file.

use ferrodot::prelude::*;

/// Largest body echoed; larger ones are answered 413.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Read the whole body (in pieces, however it is framed) and send it back.
async fn echo(mut body: BodyReader<'_>) -> Result<Typed<Vec<u8>>, Rejection> {
    let mut out = Vec::new();
    let mut piece = [0u8; 2048];
    loop {
        let n = body.read(&mut piece).await.map_err(|e| e.rejection())?;
        if n == 0 {
            return Ok(Typed("application/octet-stream", out));
        }
        out.extend_from_slice(piece.get(..n).unwrap_or(&[]));
    }
}

ferrodot::routes! {
    pub EchoRoutes<()> {
        GET "/" .and(Method::Post).and(Method::Put).and(Method::Delete).and(Method::Patch)
            .and(Method::Options).max_body(MAX_BODY) => echo,
        GET "/<path:rest>" .and(Method::Post).and(Method::Put).and(Method::Delete).and(Method::Patch)
            .and(Method::Options).max_body(MAX_BODY) => echo,
    }
}

/// The echo app with `config` (its `max_body` raised to [`MAX_BODY`]).
pub fn echo_app(config: Config) -> App<(), EchoRoutes> {
    App::new((), EchoRoutes).with_config(Config {
        max_body: MAX_BODY,
        ..config
    })
}

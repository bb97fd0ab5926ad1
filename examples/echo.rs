//! An HTTP echo server: every method on every path answers 200 with the
//! request body sent back as it came (`Content-Length` or chunked, up to
//! 16 MiB). A standard subject for third-party HTTP conformance tools, and
//! the app of ferrodot's own conformance suite
//! (crates/ferrodot/tests/conformance.rs). The app is in support/echo.rs.
//!
//! ```sh
//! cargo run --release --example echo -- --port 8080
//! curl --data-binary @README.md http://127.0.0.1:8080/any/path
//! ```

use ferrodot::rt::tokio::ServerOptions;
use ferrodot::Config;

fn main() {
    let app = std::rc::Rc::new(examples::echo::echo_app(Config::DEFAULT));
    examples::serve_with(app, ServerOptions::default(), async {});
}

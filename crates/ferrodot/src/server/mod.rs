//! The connection engine: reads requests, routes them, runs handlers,
//! writes responses, keeps the connection alive or closes it.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! async fn hello() -> &'static str { "hello" }
//! ferrodot::routes! { Hello<()> { GET "/" => hello } }
//! // One configuration for every connection: 1 KiB bodies, JSON error bodies.
//! static APP: App<(), Hello> = App::new((), Hello).with_config(Config {
//!     max_body: 1024,
//!     error_style: ErrorStyle::Json,
//!     ..Config::DEFAULT
//! });
//!
//! let missing = TestClient::new(&APP).get("/nope");
//! assert_eq!(missing.status, Status::NOT_FOUND);
//! assert_eq!(missing.header("content-type"), Some("application/json"));
//! ```

pub mod body;
pub mod config;
pub mod conn;
pub mod port;
pub mod writer;

pub use body::{BodyError, BodyReader, RequestBody};
pub use config::{Config, ErrorStyle, Timeouts};
pub use conn::serve_connection;
pub use writer::{HeadExtras, ResponseWriter, WriteError};

//! The connection engine: reads requests, routes them, runs handlers,
//! writes responses, keeps the connection alive or closes it.

pub mod body;
pub mod config;
pub mod conn;
pub mod port;
pub mod writer;

pub use body::{BodyError, BodyReader, RequestBody};
pub use config::{Config, ErrorStyle, Timeouts};
pub use conn::serve_connection;
pub use writer::{HeadExtras, ResponseWriter, WriteError};

//! The HTTP/1.1 wire protocol, sans-IO: request heads in, response heads out.
//!
//! Nothing here touches a socket or a clock; the connection engine in
//! `server` feeds bytes in and takes bytes out.

pub mod chunked;
pub mod method;
pub mod parse;
pub mod query;
pub mod request;
pub mod response;
pub mod status;

pub use method::Method;
pub use request::{Request, Version};
pub use status::Status;

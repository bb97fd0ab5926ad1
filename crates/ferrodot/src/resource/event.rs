//! What a resource's callback is told after a request (Pycom's
//! `callback(uri, method, headers, body, new_uri, status)`).
//!
//! ```
//! use ferrodot::resource::{Callback, Event};
//!
//! fn told(e: &Event<'_>) {
//!     println!("{} {} -> {}", e.method, e.uri, e.status.0);
//! }
//! let _callback: Callback = told;
//! ```

use crate::http::request::Headers;
use crate::http::{Method, Status};

/// What a resource's callback is told after each request it answered
/// (Pycom's `callback(uri, method, headers, body, new_uri, status)`).
pub struct Event<'a> {
    /// The resource's URI (without the query string).
    pub uri: &'a str,
    /// The request's method.
    pub method: Method,
    /// Every request header, in order.
    pub headers: Headers<'a>,
    /// The request body (empty when it was refused unread, as for 413).
    pub body: &'a [u8],
    /// The URI a successful POST created, else `""`.
    pub new_uri: &'a str,
    /// The status the server answered with.
    pub status: Status,
}

/// A resource's callback. A plain function, so it can live in a `static`
/// store; it runs after the response was sent, on the connection's task.
pub type Callback = fn(&Event<'_>);

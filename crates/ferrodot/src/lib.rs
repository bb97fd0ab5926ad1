//! The protocol core ([`http`], [`route`]) is sans-IO, `no_std` and
//! heap-free; the connection engine ([`server`]) drives it over any
//! [`io::Transport`]; runtime adapters ([`rt`]) accept connections on
//! tokio or embassy-net.
#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]
// The audited exceptions are in `rt::tokio::accept` (registering the
// listener with tokio, `poll` on it) and `rt::tokio::zero_copy` (memfd,
// `sendfile`).
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod app;
pub mod assets;
pub mod base64;
pub mod broadcast;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "compress")]
pub mod compress;
pub mod future;
pub mod http;
pub mod io;
mod macros;
#[cfg(all(feature = "std", feature = "json", feature = "json-errors"))]
pub mod microserver;
#[cfg(any(
    feature = "cookie",
    feature = "session",
    feature = "auth",
    feature = "cors",
    feature = "csrf",
    feature = "ratelimit"
))]
pub mod middleware;
pub mod mpg;
#[cfg(feature = "multipart")]
pub mod multipart;
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(feature = "portal")]
pub mod portal;
pub mod resource;
pub mod route;
pub mod rt;
pub mod server;
mod shift;
#[cfg(feature = "sse")]
pub mod sse;
#[cfg(feature = "std")]
pub mod testing;
#[cfg(feature = "tls-rustls")]
pub mod tls;
#[cfg(feature = "ws")]
pub mod ws;

#[cfg(feature = "json")]
pub use app::extract::Json;
pub use app::extract::{Bytes, ClientAddr, Form, FromParam, Path, Query, State, Text};
pub use app::respond::{Chunks, Content, Html, IntoResponse, Redirect, Response, Typed};
pub use app::App;
pub use http::parse::Rejection;
pub use http::{Method, Request, Status};
pub use route::Route;
pub use server::{BodyReader, Config, ErrorStyle, ResponseWriter, Timeouts};

/// Everything an application usually needs.
pub mod prelude {
    #[cfg(feature = "json")]
    pub use crate::app::extract::Json;
    pub use crate::app::extract::{Bytes, ClientAddr, Form, Path, Query, State, Text};
    pub use crate::app::respond::{Chunks, Html, IntoResponse, Redirect, Response, Typed};
    pub use crate::app::App;
    pub use crate::http::{Method, Request, Status};
    pub use crate::server::{BodyReader, Config, ErrorStyle};
    pub use crate::Rejection;
}

#[doc(hidden)]
pub mod __private {
    pub use crate::app::handler::invoke;
    pub use crate::app::Dispatch;
    pub use crate::http::Request;
    pub use crate::route::Route;
    pub use crate::server::{RequestBody, ResponseWriter, WriteError};
}

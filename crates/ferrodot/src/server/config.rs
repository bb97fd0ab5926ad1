//! Limits and timeouts of a server, with defaults that fit a small device.
//!
//! ```
//! use ferrodot::http::parse::HeadLimits;
//! use ferrodot::server::{Config, Timeouts};
//!
//! // A device behind a slow radio link: more time for bodies, smaller heads,
//! // no `Server` header.
//! const CONFIG: Config = Config {
//!     head: HeadLimits { max_head: 1024, ..HeadLimits::DEFAULT },
//!     timeouts: Timeouts { body_ms: 15_000, ..Timeouts::DEFAULT },
//!     server_header: None,
//!     ..Config::DEFAULT
//! };
//! assert_eq!(CONFIG.max_body, 16 * 1024); // the default, kept
//! ```

use crate::http::parse::HeadLimits;

pub use super::writer::ErrorStyle;

/// Deadlines, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From accept to the first byte of the first request.
    pub first_byte_ms: u32,
    /// From a request's first byte to the end of its head (slowloris).
    pub head_ms: u32,
    /// Longest wait for each piece of a request body.
    pub body_ms: u32,
    /// Longest wait for each write of a response to drain.
    pub write_ms: u32,
    /// How long an idle keep-alive connection is kept.
    pub idle_ms: u32,
}

impl Timeouts {
    /// 5 s to the first byte, 10 s for the head, 5 s per body read, 10 s per
    /// write, 5 s idle.
    pub const DEFAULT: Timeouts = Timeouts {
        first_byte_ms: 5_000,
        head_ms: 10_000,
        body_ms: 5_000,
        write_ms: 10_000,
        idle_ms: 5_000,
    };
}

/// Everything configurable about serving requests.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Limits on the request head (414, 431).
    pub head: HeadLimits,
    /// Largest request body, unless a route says otherwise (413 above it).
    pub max_body: u64,
    /// Answer 411 to POST/PUT/PATCH without a declared length, on every route.
    pub length_required: bool,
    /// Deadlines of each phase of a connection (408 or a close).
    pub timeouts: Timeouts,
    /// Whether error responses have plain-text or JSON bodies.
    pub error_style: ErrorStyle,
    /// The `Server` header; `None` sends none.
    pub server_header: Option<&'static str>,
    /// The clock (Unix seconds) for the `Date` header, which RFC 9110 §6.6.1
    /// asks of every server that has one; `None` sends none. The default is
    /// the system clock (`http::date::system_now`).
    #[cfg(feature = "std")]
    pub clock: Option<fn() -> u64>,
}

impl Config {
    /// [`HeadLimits::DEFAULT`], [`Timeouts::DEFAULT`], bodies up to 16 KiB,
    /// plain-text errors, `Server: ferrodot`, and with `std` a `Date` from
    /// the system clock.
    pub const DEFAULT: Config = Config {
        head: HeadLimits::DEFAULT,
        max_body: 16 * 1024,
        length_required: false,
        timeouts: Timeouts::DEFAULT,
        error_style: ErrorStyle::Text,
        server_header: Some("ferrodot"),
        #[cfg(feature = "std")]
        clock: Some(crate::http::date::system_now),
    };
}

impl Default for Config {
    fn default() -> Self {
        Self::DEFAULT
    }
}

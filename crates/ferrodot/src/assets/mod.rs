//! Static assets: the request-side rules a file server needs, `no_std` and heap-free.
//!
//! ```
//! use ferrodot::assets::{negotiate, parse_range, Encoding, RangeOutcome};
//!
//! // A browser that takes gzip gets the precompressed copy...
//! assert_eq!(negotiate(Some(b"gzip, deflate, br"), true, true), Some(Encoding::Gzip));
//! // ...and `Range` applies to the identity copy of a 100-byte file.
//! assert_eq!(parse_range(b"bytes=-10", 100), RangeOutcome::Partial { start: 90, end: 99 });
//! ```
//!
//! [`negotiate`] picks a representation from `Accept-Encoding` (RFC 9110 §12.5.3) and
//! [`parse_range`] reads `Range: bytes=` (RFC 9110 §14). Both are pure functions over the
//! header bytes, so they are unit-tested and fuzzed without a network.

mod negotiate;
mod range;

pub use negotiate::{negotiate, Encoding};
pub use range::{parse_range, RangeOutcome};

//! Request methods, and the bit sets a route uses to say which it accepts.
//!
//! ```
//! use ferrodot::http::method::{Method, MethodSet};
//!
//! assert_eq!(Method::from_token("PATCH"), Some(Method::Patch));
//! assert_eq!(Method::from_token("get"), None); // method names are case-sensitive
//! let allowed = MethodSet::EMPTY.with(Method::Get).with(Method::Post);
//! assert!(allowed.contains(Method::Post) && !allowed.contains(Method::Put));
//! assert_eq!(allowed.iter().map(Method::as_str).collect::<Vec<_>>(), ["GET", "POST"]);
//! ```

/// The methods ferrodot routes. Anything else is answered with 501.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`: fetch a representation (RFC 9110 §9.3.1).
    Get,
    /// `HEAD`: like `GET` without the body; ferrodot answers it from the `GET`
    /// route.
    Head,
    /// `POST`: process the enclosed body.
    Post,
    /// `PUT`: create or replace the target with the body.
    Put,
    /// `DELETE`: remove the target.
    Delete,
    /// `PATCH`: partially modify the target (RFC 5789).
    Patch,
    /// `OPTIONS`: the communication options of the target, and CORS preflights.
    Options,
}

impl Method {
    /// Every method, in the order `Allow` lists them.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Patch,
        Method::Options,
    ];

    /// Parse a method token (case-sensitive, RFC 9110 §9.1).
    pub fn from_token(token: &str) -> Option<Method> {
        Self::from_bytes(token.as_bytes())
    }

    /// [`from_token`](Self::from_token) on the bytes of a request line:
    /// the names compared from the one table `as_str` keeps, which costs
    /// less flash than a `match` on byte strings.
    pub(crate) fn from_bytes(token: &[u8]) -> Option<Method> {
        Self::ALL.into_iter().find(|m| m.as_str().as_bytes() == token)
    }

    /// The method's name as on the wire, e.g. `"GET"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Options => "OPTIONS",
        }
    }

    /// This method's bit in a [`MethodSet`].
    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl core::fmt::Display for Method {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of methods (one bit each), as kept in route tables and `Allow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MethodSet(pub u8);

impl MethodSet {
    /// No method.
    pub const EMPTY: MethodSet = MethodSet(0);

    /// This set with `m` added.
    pub const fn with(self, m: Method) -> MethodSet {
        MethodSet(self.0 | m.bit())
    }

    /// Whether `m` is in the set.
    pub const fn contains(self, m: Method) -> bool {
        self.0 & m.bit() != 0
    }

    /// The methods in either set.
    pub const fn union(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 | other.0)
    }

    /// Whether the set has no method.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The methods in `Allow` order.
    pub fn iter(self) -> impl Iterator<Item = Method> {
        Method::ALL.into_iter().filter(move |m| self.contains(*m))
    }
}

//! Status codes and their reason phrases.
//!
//! ```
//! use ferrodot::http::Status;
//!
//! assert_eq!(Status::NOT_FOUND, Status(404));
//! assert_eq!(Status::NOT_FOUND.reason(), "Not Found");
//! assert!(Status::NOT_FOUND.is_error() && !Status::NO_CONTENT.has_body());
//! assert_eq!(Status(599).reason(), ""); // a code without a known phrase
//! ```

/// An HTTP status code (RFC 9110 §15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status(pub u16);

// The reason phrases are one string with a table of where each ends: a
// `match` returning `&str` compiles to a jump table plus a pointer and a
// length per arm, several times the size of this on a microcontroller.
macro_rules! statuses {
    ($($name:ident = $code:literal, $reason:literal;)*) => {
        impl Status {
            $(
                #[doc = concat!("`", stringify!($code), " ", $reason, "`.")]
                pub const $name: Status = Status($code);
            )*
        }

        const CODES: &[u16] = &[$($code),*];
        const REASONS: &str = concat!($($reason),*);
        const REASON_ENDS: &[u16] = &reason_ends([$($reason),*]);
    };
}

/// Where each phrase ends in `REASONS`: running sums of their lengths.
// Runs at compile time over a few dozen short phrases: the sums and
// the index stay far below `u16::MAX`; overflow would fail the build.
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]
const fn reason_ends<const N: usize>(phrases: [&str; N]) -> [u16; N] {
    let mut ends = [0u16; N];
    let mut end = 0usize;
    let mut i = 0;
    while i < N {
        end += phrases[i].len();
        ends[i] = end as u16;
        i += 1;
    }
    ends
}

impl Status {
    /// The standard reason phrase, or `""` for unknown codes.
    pub fn reason(self) -> &'static str {
        let Some(i) = CODES.iter().position(|&c| c == self.0) else {
            return "";
        };
        let start = i.checked_sub(1).and_then(|p| REASON_ENDS.get(p)).copied().unwrap_or(0);
        let end = REASON_ENDS.get(i).copied().unwrap_or(0);
        REASONS.get(usize::from(start)..usize::from(end)).unwrap_or("")
    }
}

statuses! {
    CONTINUE = 100, "Continue";
    SWITCHING_PROTOCOLS = 101, "Switching Protocols";
    OK = 200, "OK";
    CREATED = 201, "Created";
    ACCEPTED = 202, "Accepted";
    NO_CONTENT = 204, "No Content";
    PARTIAL_CONTENT = 206, "Partial Content";
    MOVED_PERMANENTLY = 301, "Moved Permanently";
    FOUND = 302, "Found";
    SEE_OTHER = 303, "See Other";
    NOT_MODIFIED = 304, "Not Modified";
    TEMPORARY_REDIRECT = 307, "Temporary Redirect";
    PERMANENT_REDIRECT = 308, "Permanent Redirect";
    BAD_REQUEST = 400, "Bad Request";
    UNAUTHORIZED = 401, "Unauthorized";
    FORBIDDEN = 403, "Forbidden";
    NOT_FOUND = 404, "Not Found";
    METHOD_NOT_ALLOWED = 405, "Method Not Allowed";
    NOT_ACCEPTABLE = 406, "Not Acceptable";
    REQUEST_TIMEOUT = 408, "Request Timeout";
    CONFLICT = 409, "Conflict";
    LENGTH_REQUIRED = 411, "Length Required";
    PAYLOAD_TOO_LARGE = 413, "Content Too Large";
    URI_TOO_LONG = 414, "URI Too Long";
    UNSUPPORTED_MEDIA_TYPE = 415, "Unsupported Media Type";
    RANGE_NOT_SATISFIABLE = 416, "Range Not Satisfiable";
    EXPECTATION_FAILED = 417, "Expectation Failed";
    UNPROCESSABLE_CONTENT = 422, "Unprocessable Content";
    UPGRADE_REQUIRED = 426, "Upgrade Required";
    TOO_MANY_REQUESTS = 429, "Too Many Requests";
    HEADER_FIELDS_TOO_LARGE = 431, "Request Header Fields Too Large";
    INTERNAL_SERVER_ERROR = 500, "Internal Server Error";
    NOT_IMPLEMENTED = 501, "Not Implemented";
    BAD_GATEWAY = 502, "Bad Gateway";
    GATEWAY_TIMEOUT = 504, "Gateway Timeout";
    SERVICE_UNAVAILABLE = 503, "Service Unavailable";
    HTTP_VERSION_NOT_SUPPORTED = 505, "HTTP Version Not Supported";
    INSUFFICIENT_STORAGE = 507, "Insufficient Storage";
}

impl Status {
    /// Responses with these codes never carry a body (RFC 9110 §6.4.1).
    pub const fn has_body(self) -> bool {
        !(self.0 < 200 || self.0 == 204 || self.0 == 304)
    }

    /// Whether this is a client or server error (4xx or 5xx).
    pub const fn is_error(self) -> bool {
        self.0 >= 400
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_come_from_the_packed_table() {
        assert_eq!(Status::CONTINUE.reason(), "Continue");
        assert_eq!(Status::NOT_FOUND.reason(), "Not Found");
        assert_eq!(
            Status::HEADER_FIELDS_TOO_LARGE.reason(),
            "Request Header Fields Too Large"
        );
        assert_eq!(Status::INSUFFICIENT_STORAGE.reason(), "Insufficient Storage");
        assert_eq!(Status(299).reason(), "");
        assert_eq!(CODES.len(), REASON_ENDS.len());
    }
}

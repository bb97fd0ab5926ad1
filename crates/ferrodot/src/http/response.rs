//! Response heads, written into a caller's buffer without formatting
//! machinery (`core::fmt` costs flash and cycles on a device).
//!
//! ```
//! use ferrodot::http::response::{write_header, write_status_line, BufWriter};
//! use ferrodot::http::Status;
//!
//! let mut buf = [0u8; 64];
//! let mut w = BufWriter::new(&mut buf);
//! write_status_line(&mut w, Status::NO_CONTENT);
//! write_header(&mut w, "Cache-Control", "no-store");
//! w.push(b"\r\n");
//! assert!(!w.overflowed());
//! assert_eq!(w.written(), b"HTTP/1.1 204 No Content\r\nCache-Control: no-store\r\n\r\n");
//!
//! // A buffer too small: the writer says so once, at the end.
//! let mut small = [0u8; 8];
//! let mut w = BufWriter::new(&mut small);
//! write_status_line(&mut w, Status::OK);
//! assert!(w.overflowed());
//! ```

use super::Status;

/// Appends bytes to a fixed buffer; remembers overflow instead of failing
/// at each step, so a writer can check once at the end.
pub struct BufWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl<'a> BufWriter<'a> {
    /// An empty writer over `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        BufWriter {
            buf,
            len: 0,
            overflow: false,
        }
    }

    /// Bytes written so far (not counting any that did not fit).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether a write did not fit: the output is then incomplete and must not
    /// be sent.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// Space left after what was written.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.len)
    }

    // `len <= buf.len()` and a slice is at most `isize::MAX` bytes, so the
    // end cannot overflow; when the bytes fit, it is at most `buf.len()`.
    #[allow(clippy::arithmetic_side_effects)]
    /// Appends `bytes`, or marks the writer overflowed if they do not all fit
    /// (nothing is written then).
    pub fn push(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len = end;
            }
            None => self.overflow = true,
        }
    }

    /// Appends `s`'s bytes, as [`push`](Self::push).
    pub fn push_str(&mut self, s: &str) {
        self.push(s.as_bytes());
    }

    /// Decimal digits of `n`.
    pub fn push_u64(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let start = format_u64(n, &mut digits);
        self.push(digits.get(start..).unwrap_or(&[]));
    }

    /// Forget what was written after the first `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.overflow = false;
        }
    }

    /// What was written.
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The buffer back, and how many bytes of it were written.
    pub fn into_parts(self) -> (&'a mut [u8], usize) {
        (self.buf, self.len)
    }
}

impl core::fmt::Write for BufWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.push_str(s);
        if self.overflow {
            Err(core::fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// Write the decimal digits of `n` to the end of `out`; returns where they start.
///
/// On a 64-bit target by division by ten, which compiles to a multiply;
/// elsewhere by subtracting powers of ten, as a `u64` division pulls a
/// software division routine (close to a kilobyte) into 32-bit firmware.
pub fn format_u64(n: u64, out: &mut [u8; 20]) -> usize {
    #[cfg(target_pointer_width = "64")]
    return digits_by_division(n, out);
    #[cfg(not(target_pointer_width = "64"))]
    return digits_by_subtraction(n, out);
}

#[cfg(any(test, target_pointer_width = "64"))]
fn digits_by_division(mut n: u64, out: &mut [u8; 20]) -> usize {
    // From the last slot back; twenty slots hold u64::MAX's twenty digits.
    for (at, slot) in out.iter_mut().enumerate().rev() {
        *slot = b'0' | (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return at;
        }
    }
    0
}

#[cfg(any(test, not(target_pointer_width = "64")))]
#[allow(clippy::arithmetic_side_effects)]
fn digits_by_subtraction(n: u64, out: &mut [u8; 20]) -> usize {
    const POWERS: [u64; 20] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
        10_000_000_000,
        100_000_000_000,
        1_000_000_000_000,
        10_000_000_000_000,
        100_000_000_000_000,
        1_000_000_000_000_000,
        10_000_000_000_000_000,
        100_000_000_000_000_000,
        1_000_000_000_000_000_000,
        10_000_000_000_000_000_000,
    ];
    // Skip the powers above `n` first: most numbers written are short
    // (status codes, small lengths), so this is a handful of compares.
    let mut len = 1;
    while POWERS.get(len).is_some_and(|&p| p <= n) {
        len += 1;
    }
    let start = 20 - len;
    let mut rest = n;
    let slots = out.get_mut(start..).unwrap_or(&mut []);
    for (slot, &power) in slots.iter_mut().zip(POWERS.get(..len).unwrap_or(&[]).iter().rev()) {
        let mut digit = 0u8;
        while rest >= power {
            rest -= power;
            digit += 1;
        }
        *slot = b'0' + digit;
    }
    start
}

/// `HTTP/1.1 200 OK\r\n`. Responses always say HTTP/1.1 (RFC 9110 §6.2:
/// a server sends its own highest version), also to HTTP/1.0 clients.
pub fn write_status_line(w: &mut BufWriter<'_>, status: Status) {
    // Most responses: one copy instead of formatting the code and
    // searching the reason table (a few hundred instructions on a MCU).
    if status == Status::OK {
        w.push(b"HTTP/1.1 200 OK\r\n");
        return;
    }
    w.push(b"HTTP/1.1 ");
    w.push_u64(u64::from(status.0));
    w.push(b" ");
    w.push_str(status.reason());
    w.push(b"\r\n");
}

/// True when `name` is a valid field name (RFC 9110 §5.1 token).
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// True when `value` can be sent as a field value: no CR, LF or NUL, so a
/// handler cannot inject headers or split the response.
pub fn is_field_value(value: &str) -> bool {
    is_field_bytes(value.as_bytes())
}

/// [`is_field_value`] for bytes.
pub(crate) fn is_field_bytes(value: &[u8]) -> bool {
    value.iter().all(|&b| super::grammar::is_value_byte(b))
}

/// `Name: value\r\n`.
pub fn write_header(w: &mut BufWriter<'_>, name: &str, value: &str) {
    write_field(w, name, value.as_bytes());
}

/// [`write_header`] with the value as bytes.
pub(crate) fn write_field(w: &mut BufWriter<'_>, name: &str, value: &[u8]) {
    w.push_str(name);
    w.push(b": ");
    w.push(value);
    w.push(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_digits() {
        let mut edges = std::vec![0u64, 7, 1234567890, u64::from(u32::MAX), u64::MAX, u64::MAX - 1];
        for power in (0..20).map(|k| 10u64.pow(k)) {
            edges.extend([power - 1, power, power + 1]);
        }
        for n in edges {
            for format in [format_u64, digits_by_division, digits_by_subtraction] {
                let mut out = [0u8; 20];
                let at = format(n, &mut out);
                assert_eq!(
                    core::str::from_utf8(&out[at..]).ok(),
                    Some(std::format!("{n}").as_str())
                );
            }
        }
    }
}

//! The C library's output functions that MbedTLS links against, in Rust.
//!
//! ```ignore
//! // C: snprintf(buf, n, "%d.%d", a, b)  ->  buf = "%d.%d" (the format, unformatted)
//! ```
//!
//! Stable Rust cannot define a variadic function, and the only other
//! `snprintf` at hand (tinyrlibc's) is C, which needs a cross-compiler CI
//! does not have. These do not format: they copy the format string as it is
//! (so a string without `%` comes out right) and ignore the arguments, which
//! the RISC-V calling convention lets a callee do. A TLS server does not
//! reach them: MbedTLS formats only for its debug log (threshold 0, so off)
//! and for certificate description strings (`mbedtls_x509_*_gets`, used
//! for client certificates, which this server does not ask for).
use core::ffi::{c_char, c_int};

use core::fmt::Write as _;

use crate::board::Uart;

/// To the UART (text that is not UTF-8 as `?`).
fn write_bytes(text: &[u8]) {
    let _ = Uart.write_str(core::str::from_utf8(text).unwrap_or("?"));
}

/// Bytes of the NUL-terminated `s`, without the NUL.
///
/// # Safety
/// `s` is a valid C string.
unsafe fn c_bytes<'a>(s: *const c_char) -> &'a [u8] {
    if s.is_null() {
        return &[];
    }
    // SAFETY: the caller's promise.
    unsafe { core::ffi::CStr::from_ptr(s) }.to_bytes()
}

/// Copy `fmt` into `buf` (at most `n - 1` bytes and a NUL) and return its
/// length, as `snprintf` returns the length it would have written.
///
/// # Safety
/// `buf` has room for `n` bytes; `fmt` is a valid C string.
unsafe fn copy_format(buf: *mut c_char, n: usize, fmt: *const c_char) -> c_int {
    // SAFETY: the caller's promise.
    let text = unsafe { c_bytes(fmt) };
    if !buf.is_null() && n > 0 {
        let len = text.len().min(n - 1);
        // SAFETY: `len + 1 <= n` bytes of `buf`.
        unsafe {
            core::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), len);
            buf.add(len).write(0);
        }
    }
    c_int::try_from(text.len()).unwrap_or(c_int::MAX)
}

#[unsafe(no_mangle)]
unsafe extern "C" fn snprintf(buf: *mut c_char, n: usize, fmt: *const c_char) -> c_int {
    // SAFETY: C's contract for snprintf.
    unsafe { copy_format(buf, n, fmt) }
}

#[unsafe(no_mangle)]
unsafe extern "C" fn vsnprintf(buf: *mut c_char, n: usize, fmt: *const c_char, _args: *mut u8) -> c_int {
    // SAFETY: C's contract for vsnprintf.
    unsafe { copy_format(buf, n, fmt) }
}

#[unsafe(no_mangle)]
unsafe extern "C" fn printf(fmt: *const c_char) -> c_int {
    // SAFETY: C's contract for printf.
    let text = unsafe { c_bytes(fmt) };
    write_bytes(text);
    c_int::try_from(text.len()).unwrap_or(c_int::MAX)
}

#[unsafe(no_mangle)]
unsafe extern "C" fn puts(s: *const c_char) -> c_int {
    // SAFETY: C's contract for puts.
    write_bytes(unsafe { c_bytes(s) });
    write_bytes(b"\n");
    1
}

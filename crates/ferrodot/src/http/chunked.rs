//! `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1), decoded in
//! place, a byte at a time where it matters, so a body may be split across
//! reads at any byte.
//!
//! ```
//! use ferrodot::http::chunked::ChunkedDecoder;
//!
//! let mut body = *b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
//! let mut decoder = ChunkedDecoder::new();
//! let (consumed, produced) = decoder.decode_in_place(&mut body).unwrap();
//! assert_eq!(&body[..produced], b"hello world");
//! assert_eq!(consumed, body.len());
//! assert!(decoder.is_done());
//! ```
//!
//! httparse's `parse_chunk_size` needs the whole size line in one slice;
//! this state machine does not, and it also bounds extensions and
//! trailers, which are otherwise free memory for an attacker.

/// Most bytes of chunk extensions on one size line.
const MAX_EXTENSION: u16 = 256;
/// Most bytes in the trailer section.
const MAX_TRAILERS: u16 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size {
        value: u64,
        digits: u8,
    },
    /// Whitespace after the size: only `;` or CR may follow (RFC 9112
    /// §7.1.1), so `5 5` is refused rather than read as 5.
    SizeWs {
        size: u64,
    },
    /// Skipping `;name=value` extensions up to CR.
    Extension {
        size: u64,
    },
    /// Got CR after the size line; LF must follow.
    SizeLf {
        size: u64,
    },
    /// Inside chunk data.
    Data(u64),
    /// After chunk data: CR then LF.
    DataCr,
    DataLf,
    /// After the last chunk: trailer lines until an empty line.
    TrailerStart,
    TrailerLine,
    TrailerLf {
        empty: bool,
    },
    Done,
}

/// A malformed chunked body; the connection cannot be trusted after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkError(pub &'static str);

/// The decoder's whole state: a few bytes, no buffer of its own.
#[derive(Debug, Clone, Copy)]
pub struct ChunkedDecoder {
    state: State,
    extension: u16,
    trailers: u16,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a chunked body.
    pub const fn new() -> Self {
        ChunkedDecoder {
            state: State::Size { value: 0, digits: 0 },
            extension: 0,
            trailers: 0,
        }
    }

    /// True once the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decode the chunked bytes in `buf`, moving body data to its front.
    ///
    /// Returns `(consumed, produced)`: the first `consumed` bytes of `buf`
    /// were read, and the decoded data is now `buf[..produced]`. Decoding
    /// stops at the end of the body; bytes after it are not consumed.
    // Index arithmetic within `buf`: `written <= read <= buf.len()`, and a
    // run is at most both the bytes left in `buf` and the chunk's `left`.
    #[allow(clippy::arithmetic_side_effects)]
    pub fn decode_in_place(&mut self, buf: &mut [u8]) -> Result<(usize, usize), ChunkError> {
        let mut read = 0;
        let mut written = 0;
        while read < buf.len() && self.state != State::Done {
            let run = self.take_data(buf.len() - read);
            if run > 0 {
                crate::shift::copy_within(buf, read..read + run, written);
                read += run;
                written += run;
                continue;
            }
            let byte = buf.get(read).copied().unwrap_or(0);
            read += 1;
            self.step(byte)?;
        }
        Ok((read, written))
    }

    /// Walk `bytes` as [`decode_in_place`](Self::decode_in_place) would,
    /// moving nothing: whether the framing in them is valid so far, and
    /// the sum of the chunk sizes they declare. The engine runs it on a
    /// copy of the decoder over the body bytes that came with the head, so
    /// a request whose framing is already broken is refused before its
    /// handler runs (and before it can have side effects).
    // `read` stays within `bytes`, as in `decode_in_place`.
    #[allow(clippy::arithmetic_side_effects)]
    pub fn scan(&mut self, bytes: &[u8]) -> Result<u64, ChunkError> {
        let mut read = 0;
        let mut declared: u64 = 0;
        while read < bytes.len() && self.state != State::Done {
            let run = self.take_data(bytes.len() - read);
            if run > 0 {
                read += run;
                continue;
            }
            let byte = bytes.get(read).copied().unwrap_or(0);
            read += 1;
            let before = self.state;
            self.step(byte)?;
            if let (State::SizeLf { size }, State::Data(_) | State::TrailerStart) = (before, self.state) {
                declared = declared.saturating_add(size);
            }
        }
        Ok(declared)
    }

    /// Inside chunk data: take up to `available` bytes of it (0 outside).
    // `run <= left`, so the subtraction cannot underflow.
    #[allow(clippy::arithmetic_side_effects)]
    fn take_data(&mut self, available: usize) -> usize {
        let State::Data(left) = self.state else { return 0 };
        let run = usize::try_from(left).unwrap_or(usize::MAX).min(available);
        let left = left - run as u64;
        self.state = if left == 0 { State::DataCr } else { State::Data(left) };
        run
    }

    /// One more byte of a size line after its digits.
    fn count_extension(&mut self) -> Result<(), ChunkError> {
        self.extension = self.extension.saturating_add(1);
        if self.extension > MAX_EXTENSION {
            return Err(ChunkError("chunk extension too long"));
        }
        Ok(())
    }

    fn step(&mut self, b: u8) -> Result<(), ChunkError> {
        self.state = match self.state {
            State::Size { value, digits } => match super::hex_digit_value(b) {
                Some(d) => {
                    if digits >= 16 {
                        return Err(ChunkError("chunk size too large"));
                    }
                    // 16 digits at most: the shift drops no bits, the count stays small.
                    State::Size {
                        value: value << 4 | u64::from(d),
                        digits: digits.saturating_add(1),
                    }
                }
                None if digits == 0 => return Err(ChunkError("missing chunk size")),
                None => match b {
                    b'\r' => State::SizeLf { size: value },
                    b';' => {
                        self.extension = 0;
                        State::Extension { size: value }
                    }
                    b' ' | b'\t' => {
                        self.extension = 0;
                        self.count_extension()?;
                        State::SizeWs { size: value }
                    }
                    _ => return Err(ChunkError("invalid chunk size")),
                },
            },
            State::SizeWs { size } => match b {
                b' ' | b'\t' => {
                    self.count_extension()?;
                    State::SizeWs { size }
                }
                b';' => State::Extension { size },
                b'\r' => State::SizeLf { size },
                _ => return Err(ChunkError("invalid chunk size")),
            },
            State::Extension { size } => match b {
                b'\r' => State::SizeLf { size },
                b'\n' => return Err(ChunkError("bare LF in chunk size line")),
                b'\t' | b' '..=b'~' | 0x80..=0xff => {
                    self.count_extension()?;
                    State::Extension { size }
                }
                _ => return Err(ChunkError("control character in chunk extension")),
            },
            State::SizeLf { size } => {
                if b != b'\n' {
                    return Err(ChunkError("expected LF after chunk size"));
                }
                if size == 0 {
                    State::TrailerStart
                } else {
                    State::Data(size)
                }
            }
            State::Data(_) => State::DataCr, // unreachable: data is copied in bulk
            State::DataCr if b == b'\r' => State::DataLf,
            State::DataLf if b == b'\n' => State::Size { value: 0, digits: 0 },
            State::DataCr | State::DataLf => return Err(ChunkError("missing CRLF after chunk data")),
            State::TrailerStart | State::TrailerLine => {
                let start = self.state == State::TrailerStart;
                self.trailers = self.trailers.saturating_add(1);
                if self.trailers > MAX_TRAILERS {
                    return Err(ChunkError("trailer section too long"));
                }
                match b {
                    b'\r' => State::TrailerLf { empty: start },
                    b'\n' => return Err(ChunkError("bare LF in trailer section")),
                    _ => State::TrailerLine,
                }
            }
            State::TrailerLf { empty } => {
                if b != b'\n' {
                    return Err(ChunkError("expected LF in trailer section"));
                }
                if empty {
                    State::Done
                } else {
                    State::TrailerStart
                }
            }
            State::Done => State::Done,
        };
        Ok(())
    }
}

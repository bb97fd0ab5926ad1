//! Response bodies, decoded in place: by length, chunked (trailers
//! skipped within a bound) or until the server closes.

use super::response::BodyFraming;
use super::Error;
use crate::http::chunked::ChunkedDecoder;

/// The decoder's state: a few bytes, no buffer of its own.
#[derive(Debug, Clone, Copy)]
pub struct BodyDecoder {
    state: State,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
    Done,
}

impl BodyDecoder {
    /// A decoder for a body framed as `framing`.
    pub fn new(framing: BodyFraming) -> Self {
        let state = match framing {
            BodyFraming::Empty | BodyFraming::Length(0) => State::Done,
            BodyFraming::Length(n) => State::Length(n),
            BodyFraming::Chunked => State::Chunked(ChunkedDecoder::new()),
            BodyFraming::UntilClose => State::UntilClose,
        };
        BodyDecoder { state }
    }

    /// True once the whole body has been decoded.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Body bytes still expected, when the framing says (`Length`).
    pub fn remaining(&self) -> Option<u64> {
        match self.state {
            State::Length(n) => Some(n),
            State::Done => Some(0),
            _ => None,
        }
    }

    /// Decode the bytes in `buf`, moving body data to its front.
    ///
    /// Returns `(consumed, produced)`: `buf[..consumed]` was read and the
    /// data is now `buf[..produced]`. Bytes after the end of the body are
    /// not consumed: the caller decides what they mean (with no request in
    /// flight, a server sending more than it declared).
    pub fn decode(&mut self, buf: &mut [u8]) -> Result<(usize, usize), Error> {
        match &mut self.state {
            State::Done => Ok((0, 0)),
            State::UntilClose => Ok((buf.len(), buf.len())),
            State::Length(left) => {
                let take = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
                *left = left.saturating_sub(take as u64);
                if *left == 0 {
                    self.state = State::Done;
                }
                Ok((take, take))
            }
            State::Chunked(chunks) => {
                let done = chunks.decode_in_place(buf).map_err(|e| Error::BadBody(e.0))?;
                if chunks.is_done() {
                    self.state = State::Done;
                }
                Ok(done)
            }
        }
    }

    /// The server closed the connection: the end of a close-delimited
    /// body, and an error for any other that is not complete.
    pub fn at_eof(&mut self) -> Result<(), Error> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            _ => Err(Error::Closed),
        }
    }

    /// Whether this framing lets the connection be reused after the body.
    pub fn ends_before_close(framing: BodyFraming) -> bool {
        framing != BodyFraming::UntilClose
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Feed `wire` split at `split`, as two reads; collect what comes out.
    fn decode_split(framing: BodyFraming, wire: &[u8], split: usize) -> Result<(Vec<u8>, usize), Error> {
        let mut decoder = BodyDecoder::new(framing);
        let mut out = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut used = 0;
        for part in [&wire[..split], &wire[split..]] {
            pending.extend_from_slice(part);
            let (consumed, produced) = decoder.decode(&mut pending)?;
            out.extend_from_slice(&pending[..produced]);
            used += consumed;
            pending.drain(..consumed);
        }
        if !decoder.is_done() {
            decoder.at_eof()?;
        }
        Ok((out, used))
    }

    #[test]
    fn chunked_with_trailers_at_every_split() {
        let wire = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nExpires: never\r\n\r\nNEXT";
        for split in 0..=wire.len() {
            let (body, used) = decode_split(BodyFraming::Chunked, wire, split).unwrap();
            assert_eq!(body, b"hello world", "split at {split}");
            assert_eq!(used, wire.len() - 4, "the next response's bytes are left alone");
        }
    }

    #[test]
    fn length_at_every_split_leaves_extra_bytes() {
        let wire = b"hello, worldEXTRA";
        for split in 0..=wire.len() {
            let (body, used) = decode_split(BodyFraming::Length(12), wire, split).unwrap();
            assert_eq!((body.as_slice(), used), (&b"hello, world"[..], 12));
        }
    }

    #[test]
    fn a_body_cut_short_is_an_error_unless_close_delimited() {
        assert_eq!(decode_split(BodyFraming::Length(10), b"short", 2), Err(Error::Closed));
        assert_eq!(decode_split(BodyFraming::Chunked, b"5\r\nhel", 2), Err(Error::Closed));
        assert_eq!(
            decode_split(BodyFraming::UntilClose, b"all of it", 3).map(|r| r.0),
            Ok(b"all of it".to_vec())
        );
    }

    #[test]
    fn bad_chunks_are_errors() {
        for wire in [&b"zz\r\n"[..], b"123456789abcdef01\r\n", b"5\r\nhelloXX", b"-1\r\n"] {
            assert!(
                matches!(decode_split(BodyFraming::Chunked, wire, 1), Err(Error::BadBody(_))),
                "{wire:?}"
            );
        }
    }
}

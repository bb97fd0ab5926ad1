//! UTF-8 validation that can be fed a text message in pieces (frames,
//! or parts of frames) and fails as soon as an invalid byte arrives.
//!
//! ```
//! use ferrodot::ws::utf8::Utf8Stream;
//!
//! // "é" is two bytes: split across two frames, the text is still valid.
//! let mut text = Utf8Stream::new();
//! assert!(text.feed(b"caf\xc3").is_ok());
//! assert!(text.feed(b"\xa9!").is_ok());
//! assert!(text.finish().is_ok());
//! // A byte that is never UTF-8 fails at once, before the message ends.
//! assert!(Utf8Stream::new().feed(b"\xff").is_err());
//! // A sequence cut off at the end fails when the text ends.
//! let mut cut = Utf8Stream::new();
//! assert!(cut.feed(b"caf\xc3").is_ok() && cut.finish().is_err());
//! ```

/// Bytes of a sequence split across pieces (at most 3 are ever waiting).
#[derive(Debug, Clone, Copy, Default)]
pub struct Utf8Stream {
    pending: [u8; 4],
    pending_len: u8,
}

/// The text is not UTF-8 (WebSocket close code 1007).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8;

/// How long a sequence starting with `lead` is (0: not a lead byte).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

/// `Ok(true)`: valid and complete; `Ok(false)`: a valid but cut-off prefix.
fn check(bytes: &[u8]) -> Result<bool, InvalidUtf8> {
    match core::str::from_utf8(bytes) {
        Ok(_) => Ok(true),
        Err(e) if e.error_len().is_none() => Ok(false),
        Err(_) => Err(InvalidUtf8),
    }
}

impl Utf8Stream {
    /// A validator that has seen nothing yet.
    pub const fn new() -> Self {
        Utf8Stream {
            pending: [0; 4],
            pending_len: 0,
        }
    }

    /// Validate the next piece of the text.
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), InvalidUtf8> {
        let waiting = usize::from(self.pending_len);
        if waiting > 0 {
            let lead = self.pending.first().copied().unwrap_or(0);
            let need = sequence_len(lead).saturating_sub(waiting);
            let take = need.min(piece.len());
            let mut joined = self.pending;
            let (head, rest) = piece.split_at(take);
            // Both at most 4: a UTF-8 sequence's length.
            let end = waiting.saturating_add(take);
            if let Some(dst) = joined.get_mut(waiting..end) {
                dst.copy_from_slice(head);
            }
            let joined = joined.get(..end).ok_or(InvalidUtf8)?;
            if !check(joined)? {
                // still cut off: keep waiting
                self.pending_len = u8::try_from(joined.len()).map_err(|_| InvalidUtf8)?;
                if let Some(dst) = self.pending.get_mut(..joined.len()) {
                    dst.copy_from_slice(joined);
                }
                return Ok(());
            }
            self.pending_len = 0;
            piece = rest;
        }
        match core::str::from_utf8(piece) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = piece.get(e.valid_up_to()..).unwrap_or(&[]);
                let dst = self.pending.get_mut(..tail.len()).ok_or(InvalidUtf8)?;
                dst.copy_from_slice(tail);
                self.pending_len = u8::try_from(tail.len()).map_err(|_| InvalidUtf8)?;
                Ok(())
            }
            Err(_) => Err(InvalidUtf8),
        }
    }

    /// The text ended: a cut-off sequence now is an error.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let complete = self.pending_len == 0;
        self.pending_len = 0;
        if complete {
            Ok(())
        } else {
            Err(InvalidUtf8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_splits(text: &[u8]) -> Result<(), InvalidUtf8> {
        // Feed in every 3-way split; all must agree with from_utf8.
        let expected = core::str::from_utf8(text).is_ok();
        for i in 0..=text.len() {
            for j in i..=text.len() {
                let mut v = Utf8Stream::new();
                let got = v
                    .feed(&text[..i])
                    .and_then(|_| v.feed(&text[i..j]))
                    .and_then(|_| v.feed(&text[j..]))
                    .and_then(|_| v.finish());
                assert_eq!(got.is_ok(), expected, "split at {i},{j} of {text:?}");
            }
        }
        Ok(())
    }

    #[test]
    fn splits_agree_with_core() {
        for text in [
            "κόσμε".as_bytes(),
            "a€b𝄞c".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            b"\xf4\x90\x80\x80",
            b"\xf0\x9f\x98",
            b"\xc0\xaf",
            b"",
        ] {
            assert!(all_splits(text).is_ok());
        }
    }

    #[test]
    fn fails_fast_before_the_end() {
        let mut v = Utf8Stream::new();
        assert_eq!(
            v.feed(b"ok \xed\xa0"),
            Err(InvalidUtf8),
            "a surrogate is known bad at its second byte"
        );
        let mut v = Utf8Stream::new();
        assert_eq!(v.feed(b"\xe2\x82"), Ok(()));
        assert_eq!(v.finish(), Err(InvalidUtf8));
    }
}

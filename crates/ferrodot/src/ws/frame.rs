//! WebSocket frames (RFC 6455 §5), sans-IO: a decoder that turns the
//! bytes in a caller's buffer into whole messages and control frames,
//! and a header encoder for the frames a server sends.
//!
//! ```
//! use ferrodot::ws::frame::{encode_header, Decoder, Event, Opcode};
//!
//! // RFC 6455 §5.7: a client's masked text frame, "Hello".
//! let frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
//! let mut buf = [0u8; 64];
//! let mut decoder = Decoder::new(64, 0);
//! decoder.space(&mut buf).unwrap()[..frame.len()].copy_from_slice(&frame);
//! decoder.filled(frame.len());
//! let token = decoder.next(&mut buf).unwrap().expect("a whole message");
//! assert_eq!(token.event(&buf), Event::Text("Hello"));
//!
//! // The server's frames are unmasked: a 2-byte header, then the payload.
//! let mut header = [0u8; 10];
//! let n = encode_header(true, Opcode::Text, 5, &mut header);
//! assert_eq!(header[..n], [0x81, 0x05]);
//! ```
//!
//! Messages are assembled in place: unmasked payload moves towards the
//! front of the buffer while raw frames keep arriving behind it, so a
//! message may be as large as the buffer, never larger.

use super::utf8::Utf8Stream;

/// Frame opcodes (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    /// Continues a fragmented text or binary message (RFC 6455 §5.4).
    Continuation = 0,
    /// A text frame: its payload is UTF-8.
    Text = 1,
    /// A binary frame: arbitrary bytes.
    Binary = 2,
    /// Starts the closing handshake (§5.5.1); carries an optional code and
    /// reason.
    Close = 8,
    /// A keep-alive probe, answered with a pong of the same payload (§5.5.2).
    Ping = 9,
    /// The answer to a ping, or an unsolicited heartbeat (§5.5.3).
    Pong = 10,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Opcode> {
        Some(match bits {
            0 => Opcode::Continuation,
            1 => Opcode::Text,
            2 => Opcode::Binary,
            8 => Opcode::Close,
            9 => Opcode::Ping,
            10 => Opcode::Pong,
            _ => return None,
        })
    }

    /// Control frames (close, ping, pong) are at most 125 bytes and never
    /// fragmented (§5.5).
    pub const fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }
}

/// Close status codes (RFC 6455 §7.4).
pub mod close_code {
    /// 1000: the connection's purpose is fulfilled.
    pub const NORMAL: u16 = 1000;
    /// 1001: the endpoint goes away (server shutdown, page navigated away).
    pub const GOING_AWAY: u16 = 1001;
    /// 1002: the peer broke the protocol (bad framing, unmasked client frame,
    /// …).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// 1003: a data type the endpoint does not accept (text to a binary-only
    /// route, say).
    pub const UNSUPPORTED: u16 = 1003;
    /// 1007: the payload did not match the message type (text that is not
    /// UTF-8).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// 1008: the message violates the endpoint's policy (the generic refusal).
    pub const POLICY: u16 = 1008;
    /// 1009: the message is larger than the endpoint can take.
    pub const TOO_BIG: u16 = 1009;
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL_ERROR: u16 = 1011;

    /// May this code appear in a close frame on the wire?
    pub const fn is_valid(code: u16) -> bool {
        matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

/// Why the peer must be disconnected, as a close code and a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsError {
    /// The close code sent to the peer, one of [`close_code`].
    pub code: u16,
    /// The close reason sent along (a close frame has room for 123 bytes of
    /// it).
    pub reason: &'static str,
}

const fn protocol(reason: &'static str) -> WsError {
    WsError {
        code: close_code::PROTOCOL_ERROR,
        reason,
    }
}

const TOO_BIG: WsError = WsError {
    code: close_code::TOO_BIG,
    reason: "message too big",
};
const BAD_UTF8: WsError = WsError {
    code: close_code::INVALID_PAYLOAD,
    reason: "invalid UTF-8",
};

/// What [`Decoder::next`] found, as ranges of the caller's buffer (so the
/// caller can keep borrowing the buffer mutably); [`Token::event`] turns
/// it into an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A complete text message: the payload's range, validated UTF-8.
    Text(core::ops::Range<usize>),
    /// A complete binary message: the payload's range.
    Binary(core::ops::Range<usize>),
    /// A ping: its payload's range.
    Ping(core::ops::Range<usize>),
    /// A pong: its payload's range.
    Pong(core::ops::Range<usize>),
    /// A close frame: its code (`None` if it sent none) and its reason's range.
    Close(Option<u16>, core::ops::Range<usize>),
}

impl Token {
    /// The event this token stands for, borrowed from `buf`. The decoder
    /// validated text and close reasons already.
    pub fn event<'b>(&self, buf: &'b [u8]) -> Event<'b> {
        let bytes = |r: &core::ops::Range<usize>| buf.get(r.clone()).unwrap_or(&[]);
        let text = |r: &core::ops::Range<usize>| core::str::from_utf8(bytes(r)).unwrap_or("");
        match self {
            Token::Text(r) => Event::Text(text(r)),
            Token::Binary(r) => Event::Binary(bytes(r)),
            Token::Ping(r) => Event::Ping(bytes(r)),
            Token::Pong(r) => Event::Pong(bytes(r)),
            Token::Close(code, r) => Event::Close(*code, text(r)),
        }
    }
}

/// Whole messages and control frames, borrowed from the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A complete text message, reassembled from its fragments.
    Text(&'a str),
    /// A complete binary message, reassembled from its fragments.
    Binary(&'a [u8]),
    /// A ping's payload, to be answered with a pong of the same payload.
    Ping(&'a [u8]),
    /// A pong's payload.
    Pong(&'a [u8]),
    /// The peer's close frame: its code (`None` if it sent none) and reason.
    Close(Option<u16>, &'a str),
}

/// Write a server (unmasked) frame header; returns its length.
pub fn encode_header(fin: bool, opcode: Opcode, len: usize, out: &mut [u8; 10]) -> usize {
    out[0] = (if fin { 0x80 } else { 0 }) | opcode as u8;
    if let Some(short) = u8::try_from(len).ok().filter(|&n| n < 126) {
        out[1] = short;
        2
    } else if let Ok(medium) = u16::try_from(len) {
        out[1] = 126;
        out[2..4].copy_from_slice(&medium.to_be_bytes());
        4
    } else {
        out[1] = 127;
        out[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    }
}

/// Write a client (masked) frame header with `mask`; returns its length.
/// The payload that follows must be XORed with the mask (see [`apply_mask`]).
pub fn encode_masked_header(fin: bool, opcode: Opcode, len: usize, mask: [u8; 4], out: &mut [u8; 14]) -> usize {
    let mut plain = [0u8; 10];
    let n = encode_header(fin, opcode, len, &mut plain);
    plain[1] |= 0x80;
    if let (Some(dst), Some(src)) = (out.get_mut(..n), plain.get(..n)) {
        dst.copy_from_slice(src);
    }
    let end = n.saturating_add(4);
    if let Some(dst) = out.get_mut(n..end) {
        dst.copy_from_slice(&mask);
    }
    end
}

/// XOR `bytes` with `mask`, the first byte at `offset` into the mask's ring.
pub fn apply_mask(bytes: &mut [u8], mask: [u8; 4], offset: usize) {
    for (i, b) in bytes.iter_mut().enumerate() {
        *b ^= mask.get(offset.wrapping_add(i) % 4).copied().unwrap_or(0);
    }
}

/// The data frame being copied into the message.
#[derive(Debug, Clone, Copy)]
struct DataFrame {
    remaining: u64,
    mask: [u8; 4],
    mask_at: usize,
    fin: bool,
}

/// Where decoding stands in the caller's buffer.
#[derive(Debug, Clone)]
pub struct Decoder {
    max_message: usize,
    /// The message assembled so far is `buf[..msg_end]`.
    msg_end: usize,
    /// Unprocessed bytes are `buf[pos..filled]`.
    pos: usize,
    filled: usize,
    frame: Option<DataFrame>,
    /// The kind of the message in progress (Text or Binary).
    message: Option<Opcode>,
    utf8: Utf8Stream,
    /// A message was handed out; its bytes are free on the next call.
    delivered: bool,
    /// The peer masks its frames (it is a client): a server's decoder.
    peer_masks: bool,
}

impl Decoder {
    /// A decoder for messages of at most `max_message` bytes (also bounded
    /// by the buffer). `already` bytes of the buffer hold data read before
    /// the decoder existed (frames that came right behind the handshake).
    pub fn new(max_message: usize, already: usize) -> Self {
        Decoder {
            max_message,
            msg_end: 0,
            pos: 0,
            filled: already,
            frame: None,
            message: None,
            utf8: Utf8Stream::new(),
            delivered: false,
            peer_masks: true,
        }
    }

    /// The same, for a client: the server's frames must not be masked
    /// (RFC 6455 §5.1).
    pub fn for_client(max_message: usize, already: usize) -> Self {
        Decoder {
            peer_masks: false,
            ..Decoder::new(max_message, already)
        }
    }

    /// Where the caller should read more bytes into; `Err` (1009) when
    /// the buffer is full of an unfinished message.
    pub fn space<'b>(&mut self, buf: &'b mut [u8]) -> Result<&'b mut [u8], WsError> {
        if self.pos == self.filled {
            // Nothing raw is waiting: read right behind the message.
            self.pos = self.msg_end;
            self.filled = self.msg_end;
        }
        if self.filled >= buf.len() && self.pos > self.msg_end {
            buf.copy_within(self.pos..self.filled, self.msg_end);
            // `msg_end < pos <= filled`: the raw bytes moved down by the gap.
            #[allow(clippy::arithmetic_side_effects)]
            {
                self.filled -= self.pos - self.msg_end;
            }
            self.pos = self.msg_end;
        }
        match buf.get_mut(self.filled..) {
            Some(space) if !space.is_empty() => Ok(space),
            _ => Err(TOO_BIG),
        }
    }

    /// Count `n` bytes read into [`Decoder::space`].
    pub fn filled(&mut self, n: usize) {
        self.filled = self.filled.saturating_add(n);
    }

    /// The next message or control frame, or `Ok(None)` when more bytes
    /// are needed.
    pub fn next(&mut self, buf: &mut [u8]) -> Result<Option<Token>, WsError> {
        if self.delivered {
            self.delivered = false;
            self.msg_end = 0;
        }
        loop {
            if let Some(mut frame) = self.frame {
                let available = self.filled.saturating_sub(self.pos);
                let run = usize::try_from(frame.remaining).unwrap_or(usize::MAX).min(available);
                let (from, to) = (self.pos, self.msg_end);
                // `run` is at most the bytes buffered after `pos` and the
                // frame's `remaining`, so only the message limit can fail.
                let (end, msg_end) = (from.saturating_add(run), to.saturating_add(run));
                if msg_end > self.max_message {
                    return Err(TOO_BIG);
                }
                let chunk = buf.get_mut(from..end).ok_or(TOO_BIG)?;
                for (i, b) in chunk.iter_mut().enumerate() {
                    // The mask is a ring of 4: wrapping keeps the index mod 4.
                    *b ^= frame.mask.get(frame.mask_at.wrapping_add(i) % 4).copied().unwrap_or(0);
                }
                if self.message == Some(Opcode::Text) {
                    self.utf8.feed(chunk).map_err(|_| BAD_UTF8)?;
                }
                buf.copy_within(from..end, to);
                self.pos = end;
                self.msg_end = msg_end;
                frame.mask_at = frame.mask_at.wrapping_add(run) % 4;
                frame.remaining = frame.remaining.saturating_sub(run as u64);
                if frame.remaining > 0 {
                    self.frame = Some(frame);
                    return Ok(None);
                }
                self.frame = None;
                if frame.fin {
                    return self.deliver(buf).map(Some);
                }
                continue;
            }
            let raw = buf.get(self.pos..self.filled).unwrap_or(&[]);
            let Some((header, header_len)) = parse_header(raw, self.peer_masks)? else {
                return Ok(None);
            };
            // A control payload is at most 125 bytes (`parse_header`) and the
            // frame is inside `raw` before `pos` moves: offsets stay within `buf`.
            #[allow(clippy::arithmetic_side_effects)]
            if header.opcode.is_control() {
                let len = usize::try_from(header.len).map_err(|_| TOO_BIG)?;
                let total = header_len + len;
                if raw.len() < total {
                    return Ok(None);
                }
                let start = self.pos + header_len;
                let range = start..start + len;
                self.pos += total;
                let payload = buf.get_mut(range.clone()).ok_or(TOO_BIG)?;
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= header.mask.get(i % 4).copied().unwrap_or(0);
                }
                return control_token(header.opcode, payload, range).map(Some);
            }
            match (header.opcode, self.message) {
                (Opcode::Continuation, None) => return Err(protocol("continuation without a message")),
                (Opcode::Continuation, Some(_)) => {}
                (_, Some(_)) => return Err(protocol("new message before the last one ended")),
                (kind, None) => {
                    self.message = Some(kind);
                    self.utf8 = Utf8Stream::new();
                }
            }
            if (self.msg_end as u64).saturating_add(header.len) > self.max_message as u64 {
                return Err(TOO_BIG);
            }
            // The header was parsed from `buf[pos..filled]`.
            self.pos = self.pos.saturating_add(header_len);
            self.frame = Some(DataFrame {
                remaining: header.len,
                mask: header.mask,
                mask_at: 0,
                fin: header.fin,
            });
        }
    }

    fn deliver(&mut self, buf: &[u8]) -> Result<Token, WsError> {
        let kind = self.message.take();
        self.delivered = true;
        let range = 0..self.msg_end;
        if kind == Some(Opcode::Text) {
            self.utf8.finish().map_err(|_| BAD_UTF8)?;
            let data = buf.get(range.clone()).unwrap_or(&[]);
            return core::str::from_utf8(data)
                .map(|_| Token::Text(range))
                .map_err(|_| BAD_UTF8);
        }
        Ok(Token::Binary(range))
    }
}

struct Header {
    fin: bool,
    opcode: Opcode,
    len: u64,
    mask: [u8; 4],
}

/// Parse a frame header, masked when the peer is a client: `Ok(None)` if
/// incomplete.
fn parse_header(raw: &[u8], masked: bool) -> Result<Option<(Header, usize)>, WsError> {
    let (Some(&b0), Some(&b1)) = (raw.first(), raw.get(1)) else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(protocol("reserved bits set without an extension"));
    }
    let opcode = Opcode::from_bits(b0 & 0x0F).ok_or(protocol("unknown opcode"))?;
    let fin = b0 & 0x80 != 0;
    match (masked, b1 & 0x80 != 0) {
        (true, false) => return Err(protocol("client frames must be masked")),
        (false, true) => return Err(protocol("server frames must not be masked")),
        _ => {}
    }
    // The payload length, then where the mask starts and the header ends.
    let (len, mask_at, header_len) = match b1 & 0x7F {
        126 => match raw.get(2..4).and_then(|b| <[u8; 2]>::try_from(b).ok()) {
            Some(be) => (u64::from(u16::from_be_bytes(be)), 4, 8),
            None => return Ok(None),
        },
        127 => match raw.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
            Some(be) => {
                let len = u64::from_be_bytes(be);
                if len >> 63 != 0 {
                    return Err(protocol("frame length has its top bit set"));
                }
                (len, 10, 14)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 2, 6),
    };
    if opcode.is_control() && (!fin || len > 125) {
        return Err(protocol("control frames must be whole and at most 125 bytes"));
    }
    if !masked {
        // No mask: XOR with zeros leaves the payload as it is.
        let header_len = mask_at;
        return Ok((raw.len() >= header_len).then_some((
            Header {
                fin,
                opcode,
                len,
                mask: [0; 4],
            },
            header_len,
        )));
    }
    let Some(mask) = raw.get(mask_at..header_len).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
        return Ok(None);
    };
    Ok(Some((Header { fin, opcode, len, mask }, header_len)))
}

fn control_token(opcode: Opcode, payload: &[u8], range: core::ops::Range<usize>) -> Result<Token, WsError> {
    match opcode {
        Opcode::Ping => Ok(Token::Ping(range)),
        Opcode::Pong => Ok(Token::Pong(range)),
        _ => match payload {
            [] => Ok(Token::Close(None, range)),
            [_] => Err(protocol("close frame with a one-byte payload")),
            [hi, lo, reason @ ..] => {
                let code = u16::from_be_bytes([*hi, *lo]);
                if !close_code::is_valid(code) {
                    return Err(protocol("invalid close code"));
                }
                core::str::from_utf8(reason).map_err(|_| BAD_UTF8)?;
                // `range` is the payload's, which holds the two code bytes.
                #[allow(clippy::arithmetic_side_effects)]
                let reason_at = range.start + 2;
                Ok(Token::Close(Some(code), reason_at..range.end))
            }
        },
    }
}

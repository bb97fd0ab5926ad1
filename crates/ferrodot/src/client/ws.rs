//! The WebSocket client (RFC 6455): the opening handshake over a
//! [`Connection`], `Sec-WebSocket-Accept` checked, then the server's
//! frame codec in client mode (frames masked going out, refused masked
//! coming in), over any `embedded-io-async` stream.
//!
//! ```
//! # async fn demo<T: embedded_io_async::Read + embedded_io_async::Write>(socket: T, mut rng: impl FnMut() -> u32) -> Result<(), ferrodot::client::Error> {
//! use ferrodot::client::{ws::WsClient, Connection};
//! use ferrodot::ws::frame::Event;
//!
//! let mut buf = [0u8; 2048];
//! let mut ws = WsClient::handshake(Connection::new(socket, &mut buf), "10.0.2.2:9001", "/echo", &[], &mut rng).await?;
//! ws.send_text("hello").await?;
//! if let Event::Text(reply) = ws.next().await? {
//!     assert_eq!(reply, "hello");
//! }
//! ws.close(1000, "bye").await?;
//! # Ok(()) }
//! ```
//!
//! Masking keys and the handshake key come from the caller's random
#![cfg_attr(
    feature = "std",
    doc = "source (`rng`): a device's hardware RNG, or [`std_random`] on a host."
)]
#![cfg_attr(
    not(feature = "std"),
    doc = "source (`rng`): a device's hardware RNG, or `std_random` (feature `std`) on a host."
)]
//! Pings are answered as they arrive and still handed to the caller.

use crate::base64::{self, Alphabet};
use embedded_io_async::{ErrorKind, Read, Write};

use super::request::RequestHead;
use super::{Connection, Error};
use crate::http::Method;
use crate::ws::frame::{apply_mask, encode_masked_header, Decoder, Event, Opcode, Token};
use crate::ws::handshake::accept_key;

/// Most extra header fields on the upgrade request.
pub const MAX_EXTRA_HEADERS: usize = 8;

/// A WebSocket connection, client side.
pub struct WsClient<'b, T, R> {
    io: T,
    buf: &'b mut [u8],
    decoder: Decoder,
    rng: R,
    protocol: bool,
    close_sent: bool,
    close_received: bool,
}

fn io_error<E: embedded_io_async::Error>(e: E) -> Error {
    match e.kind() {
        ErrorKind::TimedOut => Error::TimedOut,
        _ => Error::Closed,
    }
}

fn mask_from(rng: &mut impl FnMut() -> u32) -> [u8; 4] {
    rng().to_be_bytes()
}

impl<'b, T: Read + Write, R: FnMut() -> u32> WsClient<'b, T, R> {
    /// Upgrade `conn` (a fresh or kept-alive connection to `host`) to a
    /// WebSocket on `path`. `headers` may offer `Sec-WebSocket-Protocol`
    /// or send an `Origin`; at most [`MAX_EXTRA_HEADERS`].
    pub async fn handshake(
        mut conn: Connection<'b, T>,
        host: &str,
        path: &str,
        headers: &[(&str, &str)],
        mut rng: R,
    ) -> Result<Self, Error> {
        let mut key_bytes = [0u8; 16];
        for part in key_bytes.chunks_mut(4) {
            part.copy_from_slice(&mask_from(&mut rng));
        }
        let mut key = [0u8; 24];
        // 16 bytes always encode to exactly 24 characters.
        let _ = base64::encode(&key_bytes, &mut key, Alphabet::Standard, true);
        let key = core::str::from_utf8(&key).map_err(|_| Error::WebSocket("handshake key"))?;
        let mut fields = [("", ""); MAX_EXTRA_HEADERS + 4];
        if headers.len() > MAX_EXTRA_HEADERS {
            return Err(Error::Request("at most 8 extra header fields on a WebSocket upgrade"));
        }
        let fixed = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ];
        for (slot, field) in fields.iter_mut().zip(fixed.iter().chain(headers.iter())) {
            *slot = *field;
        }
        let all = fields.get(..fixed.len().saturating_add(headers.len())).unwrap_or(&[]);
        let offered_protocol = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-protocol"));
        let request = RequestHead::new(Method::Get, host, path).headers(all);
        let response = conn.send(&request, b"").await?;
        let head = response.head;
        if head.status().0 != 101 {
            return Err(Error::WebSocket("the server did not switch protocols (no 101)"));
        }
        let fields = head.fields();
        if !fields.has_token("upgrade", "websocket") || !fields.has_token("connection", "upgrade") {
            return Err(Error::WebSocket(
                "101 without Upgrade: websocket and Connection: Upgrade",
            ));
        }
        let expected = accept_key(key.as_bytes());
        if fields.first("sec-websocket-accept") != Some(&expected[..]) {
            return Err(Error::WebSocket("wrong Sec-WebSocket-Accept"));
        }
        let protocol = fields.first("sec-websocket-protocol").is_some();
        if protocol && !offered_protocol {
            return Err(Error::WebSocket("the server chose a subprotocol none was offered"));
        }
        let (start, end) = response.body.unread();
        let head_len = head.len();
        let (io, buf) = conn.into_parts();
        // Frames that came right behind the 101 go to the front.
        let (from, to) = (head_len.saturating_add(start), head_len.saturating_add(end));
        buf.copy_within(from.min(to)..to.min(buf.len()), 0);
        let already = to.saturating_sub(from);
        let max = buf.len();
        Ok(WsClient {
            io,
            buf,
            decoder: Decoder::for_client(max, already),
            rng,
            protocol,
            close_sent: false,
            close_received: false,
        })
    }

    /// Whether the server chose a subprotocol (its name is in the 101).
    pub fn has_protocol(&self) -> bool {
        self.protocol
    }

    /// Send a text message.
    pub async fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.send(Opcode::Text, text.as_bytes()).await
    }

    /// Send a binary message.
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send(Opcode::Binary, data).await
    }

    /// Send a ping (at most 125 bytes).
    pub async fn ping(&mut self, data: &[u8]) -> Result<(), Error> {
        if data.len() > 125 {
            return Err(Error::Request("a ping carries at most 125 bytes"));
        }
        self.send(Opcode::Ping, data).await
    }

    /// One frame, masked with a fresh key; the payload is masked through a
    /// small stack buffer, so the caller's bytes are not touched.
    pub async fn send(&mut self, opcode: Opcode, payload: &[u8]) -> Result<(), Error> {
        if self.close_sent {
            return Err(Error::WebSocket("the connection is closing"));
        }
        if opcode == Opcode::Close {
            self.close_sent = true;
        }
        let mask = mask_from(&mut self.rng);
        let mut header = [0u8; 14];
        let n = encode_masked_header(true, opcode, payload.len(), mask, &mut header);
        self.io
            .write_all(header.get(..n).unwrap_or(&[]))
            .await
            .map_err(io_error)?;
        let mut scratch = [0u8; 256];
        let mut offset = 0usize;
        for piece in payload.chunks(scratch.len()) {
            let out = scratch.get_mut(..piece.len()).unwrap_or(&mut []);
            out.copy_from_slice(piece);
            apply_mask(out, mask, offset);
            offset = offset.wrapping_add(piece.len());
            self.io.write_all(out).await.map_err(io_error)?;
        }
        self.io.flush().await.map_err(io_error)
    }

    /// The next message or control frame from the server. A ping is
    /// answered with a pong before it is returned; a close is answered
    /// with the same code. A protocol error closes with its code and is
    /// returned as [`Error::WebSocket`].
    pub async fn next(&mut self) -> Result<Event<'_>, Error> {
        if self.close_received {
            return Err(Error::Closed);
        }
        loop {
            match self.decoder.next(self.buf) {
                Ok(Some(token)) => {
                    match &token {
                        Token::Ping(range) => {
                            let mut payload = [0u8; 125];
                            let data = self.buf.get(range.clone()).unwrap_or(&[]);
                            let len = data.len().min(payload.len());
                            payload
                                .get_mut(..len)
                                .unwrap_or(&mut [])
                                .copy_from_slice(data.get(..len).unwrap_or(&[]));
                            if !self.close_sent {
                                self.send(Opcode::Pong, payload.get(..len).unwrap_or(&[])).await?;
                            }
                        }
                        Token::Close(code, _) => {
                            self.close_received = true;
                            if !self.close_sent {
                                let echo = code.unwrap_or(1000).to_be_bytes();
                                let _ = self.send(Opcode::Close, if code.is_some() { &echo } else { &[] }).await;
                            }
                        }
                        _ => {}
                    }
                    return Ok(token.event(self.buf));
                }
                Ok(None) => {
                    let space = match self.decoder.space(self.buf) {
                        Ok(space) => space,
                        Err(e) => return Err(self.fail(e.code, e.reason).await),
                    };
                    let n = self.io.read(space).await.map_err(io_error)?;
                    if n == 0 {
                        return Err(Error::Closed);
                    }
                    self.decoder.filled(n);
                }
                Err(e) => return Err(self.fail(e.code, e.reason).await),
            }
        }
    }

    async fn fail(&mut self, code: u16, reason: &'static str) -> Error {
        if !self.close_sent {
            let _ = self.send(Opcode::Close, &code.to_be_bytes()).await;
        }
        Error::WebSocket(reason)
    }

    /// Close with `code` and `reason` (at most 123 bytes), then wait for
    /// the server's close (within the stream's time-outs).
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        if reason.len() > 123 {
            return Err(Error::Request("a close reason is at most 123 bytes"));
        }
        if !self.close_sent {
            let mut payload = [0u8; 125];
            let [hi, lo] = code.to_be_bytes();
            let end = reason.len().saturating_add(2);
            if let Some([code_hi, code_lo, text @ ..]) = payload.get_mut(..end) {
                *code_hi = hi;
                *code_lo = lo;
                text.copy_from_slice(reason.as_bytes());
            }
            self.send(Opcode::Close, payload.get(..end).unwrap_or(&[])).await?;
        }
        while !self.close_received {
            match self.next().await {
                Ok(_) => {}
                Err(Error::Closed) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The stream back (after a close, to end it).
    pub fn into_inner(self) -> T {
        self.io
    }
}

/// A random `u32` for masking keys on a host: SipHash under the keys
/// std draws from the OS for each `RandomState`, over a counter.
#[cfg(feature = "std")]
pub fn std_random() -> u32 {
    use core::sync::atomic::{AtomicU64, Ordering};
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    u32::try_from(hasher.finish() >> 32).unwrap_or(0)
}

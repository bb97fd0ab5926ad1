//! A WebSocket after the handshake: receive whole messages, send frames,
//! answer pings, ping an idle peer, and close cleanly.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::ws::{close_code, Message, WebSocketUpgrade, WsConfig};
//!
//! // Messages up to 1 KiB; a ping after 10 s of silence.
//! const CONFIG: WsConfig = WsConfig { max_message: 1024, ping_interval_ms: Some(10_000), ..WsConfig::DEFAULT };
//!
//! async fn shout(mut upgrade: WebSocketUpgrade<'_>) {
//!     let Ok(mut ws) = upgrade.accept(&["shout.v1"], CONFIG).await else { return };
//!     let (rx, tx) = ws.split();
//!     while let Ok(message) = rx.recv().await {
//!         match message {
//!             Message::Text(text) => {
//!                 let _ = tx.send_text(&text.to_uppercase()).await;
//!             }
//!             Message::Binary(_) => {
//!                 let _ = tx.close(close_code::UNSUPPORTED, "text only").await;
//!                 return;
//!             }
//!         }
//!     }
//! }
//! ferrodot::routes! { Shout<()> { GET "/shout" => shout } }
//! static APP: App<(), Shout> = App::new((), Shout);
//! ```

use core::cell::Cell;
use core::future::poll_fn;
use core::ops::Range;
use core::task::{Poll, Waker};

use super::frame::{close_code, encode_header, Decoder, Event, Opcode, Token, WsError};
use super::handshake::{accept_key, check_upgrade, choose_protocol};
use crate::app::extract::FromRequest;
use crate::http::parse::Rejection;
use crate::http::response::BufWriter;
use crate::http::Request;
use crate::io::IoError;
use crate::server::port::{self, Port};
use crate::server::{BodyError, RequestBody};

/// Settings of one WebSocket route.
#[derive(Debug, Clone, Copy)]
pub struct WsConfig {
    /// Largest message accepted (also bounded by the connection buffer);
    /// larger ones close the socket with 1009.
    pub max_message: usize,
    /// Ping a peer that has been silent this long (`None`: never).
    pub ping_interval_ms: Option<u32>,
    /// Close the socket if a ping gets no answer in this time.
    pub pong_timeout_ms: u32,
}

impl WsConfig {
    /// 16 KiB messages, a ping after 30 s of silence, 10 s to answer it.
    pub const DEFAULT: WsConfig = WsConfig {
        max_message: 16 * 1024,
        ping_interval_ms: Some(30_000),
        pong_timeout_ms: 10_000,
    };
}

impl Default for WsConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A message received.
#[derive(Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message, validated UTF-8.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

/// Why a WebSocket ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The peer closed it, with this code (if it gave one).
    Peer(Option<u16>),
    /// The peer broke the protocol; we closed with the error's code.
    Protocol(WsError),
    /// The socket failed, timed out, or we had already closed it.
    Io(IoError),
}

impl From<IoError> for Closed {
    fn from(e: IoError) -> Self {
        Closed::Io(e)
    }
}

/// Serialises whole frames from the two halves of a socket.
struct WriteLock {
    busy: Cell<bool>,
    waiter: Cell<Option<Waker>>,
    close_sent: Cell<bool>,
}

impl WriteLock {
    const fn new() -> Self {
        WriteLock {
            busy: Cell::new(false),
            waiter: Cell::new(None),
            close_sent: Cell::new(false),
        }
    }

    async fn lock(&self) -> WriteGuard<'_> {
        poll_fn(|cx| {
            if self.busy.get() {
                self.waiter.set(Some(cx.waker().clone()));
                Poll::Pending
            } else {
                self.busy.set(true);
                Poll::Ready(())
            }
        })
        .await;
        WriteGuard(self)
    }
}

struct WriteGuard<'a>(&'a WriteLock);

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        self.0.busy.set(false);
        if let Some(w) = self.0.waiter.take() {
            w.wake();
        }
    }
}

/// Write one frame, whole, while holding the lock.
async fn write_frame(port: &dyn Port, lock: &WriteLock, opcode: Opcode, payload: &[u8]) -> Result<(), IoError> {
    let _guard = lock.lock().await;
    if lock.close_sent.get() {
        return Err(IoError::Closed);
    }
    if opcode == Opcode::Close {
        lock.close_sent.set(true);
    }
    let mut header = [0u8; 10];
    let n = encode_header(true, opcode, payload.len(), &mut header);
    let head = header.get(..n).unwrap_or(&[]);
    // Small frames go out in one write (one segment on the wire).
    let mut joined = [0u8; 256];
    // A header is at most 10 bytes and a slice at most `isize::MAX`.
    #[allow(clippy::arithmetic_side_effects)]
    let frame_len = n + payload.len();
    if frame_len <= joined.len() {
        let mut w = BufWriter::new(&mut joined);
        w.push(head);
        w.push(payload);
        port::write_all(port, w.written()).await?;
    } else {
        port::write_all(port, head).await?;
        port::write_all(port, payload).await?;
    }
    port::flush(port).await
}

async fn write_close(port: &dyn Port, lock: &WriteLock, code: Option<u16>, reason: &str) -> Result<(), IoError> {
    let mut payload = [0u8; 125];
    let mut w = BufWriter::new(&mut payload);
    if let Some(code) = code {
        // At most 123 bytes of reason, cut between characters: a reason
        // cut inside one would be invalid UTF-8 (1007 from the peer).
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            // 0 is always a boundary, so `end > 0` here.
            #[allow(clippy::arithmetic_side_effects)]
            {
                end -= 1;
            }
        }
        w.push(&code.to_be_bytes());
        w.push(reason.get(..end).unwrap_or("").as_bytes());
    }
    write_frame(port, lock, Opcode::Close, w.written()).await
}

/// A WebSocket upgrade request, as a handler argument. Call
/// [`WebSocketUpgrade::accept`] to answer `101 Switching Protocols`, or
/// return an ordinary response (a 503 when full, say) without accepting.
/// A request that is not a valid upgrade never reaches the handler (400,
/// or 426 for a version other than 13).
pub struct WebSocketUpgrade<'r> {
    request: &'r Request<'r>,
    key: &'r [u8],
    port: &'r dyn Port,
    buf: &'r mut [u8],
    pending: Range<usize>,
    lock: WriteLock,
}

impl<'r, S> FromRequest<'r, S> for WebSocketUpgrade<'r> {
    async fn from_request<'b: 'r>(
        req: &'r Request<'r>,
        _: &'r S,
        body: &'r RequestBody<'b>,
    ) -> Result<Self, Rejection> {
        let key = check_upgrade(req)?;
        let up = body.take_for_upgrade().map_err(BodyError::rejection)?;
        Ok(WebSocketUpgrade {
            request: req,
            key,
            port: up.port,
            buf: up.buf,
            pending: up.pending,
            lock: WriteLock::new(),
        })
    }
}

impl<'r> WebSocketUpgrade<'r> {
    /// The request that asked for the upgrade.
    pub fn request(&self) -> &'r Request<'r> {
        self.request
    }

    /// Answer 101 and start the WebSocket. `protocols` are the
    /// subprotocols this route speaks: the first one the client offers is
    /// chosen (see [`WebSocket::protocol`]).
    pub async fn accept(&mut self, protocols: &[&'static str], config: WsConfig) -> Result<WebSocket<'_>, IoError> {
        let protocol = choose_protocol(self.request, protocols);
        let accept = accept_key(self.key);
        let mut head = [0u8; 256];
        let mut w = BufWriter::new(&mut head);
        w.push(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ",
        );
        w.push(&accept);
        w.push(b"\r\n");
        if let Some(p) = protocol {
            w.push(b"Sec-WebSocket-Protocol: ");
            w.push_str(p);
            w.push(b"\r\n");
        }
        w.push(b"\r\n");
        if w.overflowed() {
            // Only an absurdly long subprotocol name (app code) gets here.
            return Err(IoError::Other);
        }
        let n = w.len();
        // From here on the connection speaks WebSocket, not HTTP.
        self.port.hijack();
        port::write_all(self.port, head.get(..n).unwrap_or(&[])).await?;
        port::flush(self.port).await?;
        // Frames that arrived right behind the handshake start the buffer.
        let pending = self.pending.clone();
        self.buf.copy_within(pending.clone(), 0);
        let max = config.max_message.min(self.buf.len());
        Ok(WebSocket {
            rx: WsReceiver {
                port: self.port,
                buf: &mut *self.buf,
                decoder: Decoder::new(max, pending.len()),
                lock: &self.lock,
                config,
                awaiting_pong: false,
            },
            tx: WsSender {
                port: self.port,
                lock: &self.lock,
            },
            protocol,
        })
    }
}

/// An open WebSocket.
pub struct WebSocket<'a> {
    /// The receiving half: messages, with pings answered on the way.
    pub rx: WsReceiver<'a>,
    /// The sending half; after [`split`](Self::split), usable while `rx`
    /// waits for a message.
    pub tx: WsSender<'a>,
    protocol: Option<&'static str>,
}

impl<'a> WebSocket<'a> {
    /// The subprotocol agreed in the handshake.
    pub fn protocol(&self) -> Option<&'static str> {
        self.protocol
    }

    /// The next message (pings are answered on the way).
    pub async fn recv(&mut self) -> Result<Message<'_>, Closed> {
        self.rx.recv().await
    }

    /// Sends `text` as one text frame.
    pub async fn send_text(&mut self, text: &str) -> Result<(), IoError> {
        self.tx.send_text(text).await
    }

    /// Sends `data` as one binary frame.
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), IoError> {
        self.tx.send_binary(data).await
    }

    /// Start the closing handshake, then wait (bounded by the pong
    /// timeout) for the peer's close.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), Closed> {
        self.tx.close(code, reason).await?;
        loop {
            match self.rx.recv().await {
                Ok(_) => continue,
                Err(Closed::Peer(_)) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// The two halves, to receive and send at once (e.g. in a `select`).
    pub fn split(&mut self) -> (&mut WsReceiver<'a>, &mut WsSender<'a>) {
        (&mut self.rx, &mut self.tx)
    }
}

/// The receiving half.
pub struct WsReceiver<'a> {
    port: &'a dyn Port,
    buf: &'a mut [u8],
    decoder: Decoder,
    lock: &'a WriteLock,
    config: WsConfig,
    awaiting_pong: bool,
}

impl WsReceiver<'_> {
    /// The next message. Pings are answered, pongs noted; a close frame
    /// is answered and ends the socket with [`Closed::Peer`].
    pub async fn recv(&mut self) -> Result<Message<'_>, Closed> {
        let token = self.next_token(false).await?;
        Ok(match token.event(self.buf) {
            Event::Text(t) => Message::Text(t),
            Event::Binary(b) => Message::Binary(b),
            // Only messages come back when control frames are not asked for.
            _ => Message::Binary(&[]),
        })
    }

    /// Like [`WsReceiver::recv`], but pings (already answered) and pongs
    /// are returned too, for handlers that want to see them.
    pub async fn recv_event(&mut self) -> Result<Event<'_>, Closed> {
        let token = self.next_token(true).await?;
        Ok(token.event(self.buf))
    }

    async fn next_token(&mut self, control: bool) -> Result<Token, Closed> {
        loop {
            match self.decoder.next(self.buf) {
                Ok(Some(Token::Ping(range))) => {
                    let payload = self.buf.get(range.clone()).unwrap_or(&[]);
                    match write_frame(self.port, self.lock, Opcode::Pong, payload).await {
                        Ok(()) => {}
                        // Our close went out already: nothing may follow it,
                        // and the closing handshake goes on (RFC 6455 §5.5.1).
                        Err(IoError::Closed) if self.lock.close_sent.get() => {}
                        Err(e) => return Err(e.into()),
                    }
                    if control {
                        return Ok(Token::Ping(range));
                    }
                }
                Ok(Some(Token::Pong(range))) => {
                    self.awaiting_pong = false;
                    if control {
                        return Ok(Token::Pong(range));
                    }
                }
                Ok(Some(Token::Close(code, _))) => {
                    if !self.lock.close_sent.get() {
                        // Echo the peer's code (RFC 6455 §5.5.1).
                        let _ = write_close(self.port, self.lock, code, "").await;
                    }
                    return Err(Closed::Peer(code));
                }
                Ok(Some(token)) => return Ok(token),
                Ok(None) => self.fill().await?,
                Err(e) => return Err(self.fail(e).await),
            }
        }
    }

    async fn fail(&mut self, e: WsError) -> Closed {
        if !self.lock.close_sent.get() {
            let _ = write_close(self.port, self.lock, Some(e.code), e.reason).await;
        }
        Closed::Protocol(e)
    }

    /// Read more bytes, pinging a silent peer.
    async fn fill(&mut self) -> Result<(), Closed> {
        let space = match self.decoder.space(self.buf) {
            Ok(space) => space,
            Err(e) => return Err(self.fail(e).await),
        };
        // Waiting for a pong, or for the answer to our close: the pong
        // timeout. Otherwise ping a peer silent for the ping interval.
        let deadline = if self.awaiting_pong || self.lock.close_sent.get() {
            Some(self.config.pong_timeout_ms)
        } else {
            self.config.ping_interval_ms
        };
        self.port.set_deadline(deadline);
        match port::read(self.port, space).await {
            Ok(0) => Err(Closed::Io(IoError::Closed)),
            Ok(n) => {
                self.decoder.filled(n);
                self.awaiting_pong = false;
                Ok(())
            }
            Err(IoError::TimedOut) if !self.awaiting_pong && !self.lock.close_sent.get() => {
                self.awaiting_pong = true;
                write_frame(self.port, self.lock, Opcode::Ping, b"ferrodot").await?;
                Ok(())
            }
            Err(e) => {
                let _ = write_close(self.port, self.lock, Some(close_code::GOING_AWAY), "timed out").await;
                Err(Closed::Io(e))
            }
        }
    }
}

/// The sending half.
pub struct WsSender<'a> {
    port: &'a dyn Port,
    lock: &'a WriteLock,
}

impl WsSender<'_> {
    /// Sends `text` as one unfragmented text frame.
    pub async fn send_text(&mut self, text: &str) -> Result<(), IoError> {
        write_frame(self.port, self.lock, Opcode::Text, text.as_bytes()).await
    }

    /// Sends `data` as one unfragmented binary frame.
    pub async fn send_binary(&mut self, data: &[u8]) -> Result<(), IoError> {
        write_frame(self.port, self.lock, Opcode::Binary, data).await
    }

    /// One whole data frame of `opcode`; text already known to be UTF-8.
    pub(crate) async fn send_frame(&mut self, opcode: Opcode, payload: &[u8]) -> Result<(), IoError> {
        write_frame(self.port, self.lock, opcode, payload).await
    }

    /// Send a message (one received earlier, to echo it).
    pub async fn send(&mut self, message: Message<'_>) -> Result<(), IoError> {
        match message {
            Message::Text(t) => self.send_text(t).await,
            Message::Binary(b) => self.send_binary(b).await,
        }
    }

    /// Sends a ping; a payload over 125 bytes (the control-frame limit) is cut
    /// to 125.
    pub async fn ping(&mut self, payload: &[u8]) -> Result<(), IoError> {
        write_frame(
            self.port,
            self.lock,
            Opcode::Ping,
            payload.get(..payload.len().min(125)).unwrap_or(&[]),
        )
        .await
    }

    /// Send a close frame; nothing can be sent after it.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), IoError> {
        write_close(self.port, self.lock, Some(code), reason).await
    }
}

//! mpgameserver's WebSocket style: one callback told about the opening,
//! every message (and ping and pong), and the close, with an opcode.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::ws::callback::{run_callback, CallbackOpcode, Reply};
//! use ferrodot::ws::{WebSocketUpgrade, WsConfig};
//!
//! fn chat(reply: &mut Reply<'_>, opcode: CallbackOpcode, payload: &[u8]) {
//!     match opcode {
//!         CallbackOpcode::Open => {
//!             let _ = reply.text("welcome");
//!             let _ = reply.text(reply.request().path());
//!         }
//!         CallbackOpcode::Text => { let _ = reply.binary(payload); }
//!         CallbackOpcode::Close => { let _code = reply.close_code(); }
//!         _ => {}
//!     }
//! }
//!
//! async fn ws(mut upgrade: WebSocketUpgrade<'_>) {
//!     let request = upgrade.request();
//!     let Ok(mut socket) = upgrade.accept(&[], WsConfig::DEFAULT).await else { return };
//!     let mut buffer = [0u8; 512];
//!     run_callback(&mut socket, request, &mut buffer, chat).await;
//! }
//! ferrodot::routes! { pub Game<()> { GET "/ws" => ws } }
//! ```
//!
//! The callback is a plain function: what it sends is queued in a buffer
//! (`mpg_resource!` routes use the connection's response buffer) and goes
//! out, in order, when it returns. It may queue several messages per
//! event; each takes its length plus [`ENTRY_OVERHEAD`] bytes, and one
//! that does not fit is an error return ([`ReplyError`]), never a panic.

use super::frame::{Event, Opcode};
use super::socket::{Closed, WebSocket};
use crate::http::Request;

/// The opcodes a callback sees, numbered as mpgameserver numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CallbackOpcode {
    /// A text message (the payload is UTF-8).
    Text = 1,
    /// A binary message.
    Binary = 2,
    /// The socket closed: the payload is empty, the code is
    /// [`Reply::close_code`], the reason [`Reply::closed`].
    Close = 8,
    /// A ping (already answered with a pong).
    Ping = 9,
    /// A pong.
    Pong = 10,
    /// The socket opened (an empty payload); always the first event.
    Open = 255,
}

/// Bytes each queued message takes in the buffer besides its payload:
/// its opcode and its length.
pub const ENTRY_OVERHEAD: usize = 5;

/// Why a message could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyError {
    /// Larger than the buffer can hold in any event: at most `max` bytes.
    TooLarge {
        /// The message's length, in bytes.
        len: usize,
        /// The largest message the buffer can hold.
        max: usize,
    },
    /// Does not fit beside the messages already queued in this event:
    /// `free` bytes are left.
    Full {
        /// The message's length, in bytes.
        len: usize,
        /// Bytes still free in this event's buffer.
        free: usize,
    },
    /// The socket is closed (the `Close` event): nothing can be sent.
    Closed,
}

/// The callback's view of the socket: the request that opened it, and
/// what to send back (queued, sent when the callback returns).
pub struct Reply<'s> {
    request: &'s Request<'s>,
    queue: &'s mut [u8],
    len: usize,
    close: bool,
    closed: Option<Closed>,
}

impl<'s> Reply<'s> {
    /// The request that opened the socket: its path, captures
    /// (`request().param("room")`), query and headers.
    pub fn request(&self) -> &'s Request<'s> {
        self.request
    }

    /// Queue a text message.
    pub fn text(&mut self, text: &str) -> Result<(), ReplyError> {
        self.push(Opcode::Text, text.as_bytes())
    }

    /// Queue a binary message.
    pub fn binary(&mut self, data: &[u8]) -> Result<(), ReplyError> {
        self.push(Opcode::Binary, data)
    }

    /// Close the socket (normal closure, 1000) after this event's messages.
    pub fn close(&mut self) {
        self.close = true;
    }

    /// In the `Close` event: the code the peer closed with, if it sent one.
    pub fn close_code(&self) -> Option<u16> {
        match self.closed {
            Some(Closed::Peer(code)) => code,
            _ => None,
        }
    }

    /// In the `Close` event: how the socket ended (the peer closed it, it
    /// broke the protocol, or the connection failed or timed out).
    pub fn closed(&self) -> Option<Closed> {
        self.closed
    }

    /// The largest message this buffer can take in one event.
    pub fn max_message(&self) -> usize {
        self.queue.len().saturating_sub(ENTRY_OVERHEAD)
    }

    /// The largest message that still fits in this event.
    pub fn free(&self) -> usize {
        self.queue.len().saturating_sub(self.len).saturating_sub(ENTRY_OVERHEAD)
    }

    fn push(&mut self, opcode: Opcode, data: &[u8]) -> Result<(), ReplyError> {
        if self.closed.is_some() {
            return Err(ReplyError::Closed);
        }
        let (len, max, free) = (data.len(), self.max_message(), self.free());
        if len > max {
            return Err(ReplyError::TooLarge { len, max });
        }
        let full = ReplyError::Full { len, free };
        if len > free {
            return Err(full);
        }
        let len32 = u32::try_from(len).map_err(|_| ReplyError::TooLarge { len, max })?;
        let end = len
            .checked_add(ENTRY_OVERHEAD)
            .and_then(|n| n.checked_add(self.len))
            .ok_or(full)?;
        let entry = self.queue.get_mut(self.len..end).ok_or(full)?;
        let (head, body) = entry.split_at_mut(ENTRY_OVERHEAD.min(entry.len()));
        if let Some((kind, size)) = head.split_first_mut() {
            *kind = opcode as u8;
            size.copy_from_slice(&len32.to_le_bytes());
        }
        body.copy_from_slice(data);
        self.len = end;
        Ok(())
    }
}

/// The first queued message in `queue`: its opcode, its payload, and the
/// rest of the queue.
fn next_entry(queue: &[u8]) -> Option<(Opcode, &[u8], &[u8])> {
    let (&kind, rest) = queue.split_first()?;
    let (size, rest) = rest.split_at_checked(4)?;
    let len = usize::try_from(u32::from_le_bytes(size.try_into().ok()?)).ok()?;
    let (payload, rest) = rest.split_at_checked(len)?;
    let opcode = if kind == Opcode::Text as u8 {
        Opcode::Text
    } else {
        Opcode::Binary
    };
    Some((opcode, payload, rest))
}

/// Run `callback` for the life of the socket: `Open` first, then each
/// message, ping and pong, then `Close` with an empty payload (the code
/// is [`Reply::close_code`]). Pings are also answered automatically.
/// `request` is what [`Reply::request`] shows; `buffer` holds the
/// messages the callback queues in one event. Returns how the socket ended.
pub async fn run_callback<F>(
    ws: &mut WebSocket<'_>,
    request: &Request<'_>,
    buffer: &mut [u8],
    mut callback: F,
) -> Closed
where
    F: FnMut(&mut Reply<'_>, CallbackOpcode, &[u8]),
{
    let (rx, tx) = ws.split();
    let mut opened = false;
    loop {
        let mut reply = Reply {
            request,
            queue: &mut *buffer,
            len: 0,
            close: false,
            closed: None,
        };
        if !opened {
            opened = true;
            callback(&mut reply, CallbackOpcode::Open, &[]);
        } else {
            match rx.recv_event().await {
                Ok(ev) => {
                    let (op, payload) = match ev {
                        Event::Text(t) => (CallbackOpcode::Text, t.as_bytes()),
                        Event::Binary(b) => (CallbackOpcode::Binary, b),
                        Event::Ping(p) => (CallbackOpcode::Ping, p),
                        Event::Pong(p) => (CallbackOpcode::Pong, p),
                        // The receiver ends with `Closed::Peer` instead.
                        Event::Close(..) => continue,
                    };
                    callback(&mut reply, op, payload);
                }
                Err(closed) => {
                    reply.closed = Some(closed);
                    callback(&mut reply, CallbackOpcode::Close, &[]);
                    return closed;
                }
            }
        }
        let (len, close) = (reply.len, reply.close);
        let mut queue = buffer.get(..len).unwrap_or(&[]);
        while let Some((opcode, payload, rest)) = next_entry(queue) {
            if let Err(e) = tx.send_frame(opcode, payload).await {
                return Closed::Io(e);
            }
            queue = rest;
        }
        if close {
            let _ = tx.close(super::frame::close_code::NORMAL, "").await;
        }
    }
}

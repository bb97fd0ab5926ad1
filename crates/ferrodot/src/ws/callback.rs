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
//!         CallbackOpcode::Open => { reply.text("welcome"); }
//!         CallbackOpcode::Text => { reply.binary(payload); }
//!         _ => {}
//!     }
//! }
//!
//! async fn ws(mut upgrade: WebSocketUpgrade<'_>) {
//!     let Ok(mut socket) = upgrade.accept(&[], WsConfig::DEFAULT).await else { return };
//!     let mut scratch = [0u8; 512];
//!     run_callback(&mut socket, &mut scratch, chat).await;
//! }
//! ferrodot::routes! { pub Game<()> { GET "/ws" => ws } }
//! ```

use super::frame::Event;
use super::socket::{Closed, WebSocket};

/// The opcodes a callback sees, numbered as mpgameserver numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum CallbackOpcode {
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10,
    Open = 255,
}

/// What the callback wants sent back, written into a scratch buffer.
pub struct Reply<'s> {
    scratch: &'s mut [u8],
    len: usize,
    text: bool,
    close: bool,
}

impl Reply<'_> {
    /// Answer with a text message; `false` if it does not fit the scratch buffer.
    pub fn text(&mut self, text: &str) -> bool {
        self.text = true;
        self.fill(text.as_bytes())
    }

    /// Answer with a binary message; `false` if it does not fit.
    pub fn binary(&mut self, data: &[u8]) -> bool {
        self.text = false;
        self.fill(data)
    }

    /// Close the socket (normal closure) after this event.
    pub fn close(&mut self) {
        self.close = true;
    }

    fn fill(&mut self, data: &[u8]) -> bool {
        match self.scratch.get_mut(..data.len()) {
            Some(dst) => {
                dst.copy_from_slice(data);
                self.len = data.len();
                true
            }
            None => false,
        }
    }
}

/// Run `callback` for the life of the socket: `Open` first, then each
/// message, ping and pong, then `Close` with the peer's close payload
/// (its code, two bytes big-endian, when it sent one). Pings are also
/// answered automatically. Returns how the socket ended.
pub async fn run_callback<F>(ws: &mut WebSocket<'_>, scratch: &mut [u8], mut callback: F) -> Closed
where
    F: FnMut(&mut Reply<'_>, CallbackOpcode, &[u8]),
{
    let (rx, tx) = ws.split();
    let mut opened = false;
    loop {
        let mut reply = Reply { scratch: &mut *scratch, len: 0, text: false, close: false };
        let ended = if !opened {
            opened = true;
            callback(&mut reply, CallbackOpcode::Open, &[]);
            None
        } else {
            match rx.recv_event().await {
                Ok(ev) => {
                    let (op, payload) = match ev {
                        Event::Text(t) => (CallbackOpcode::Text, t.as_bytes()),
                        Event::Binary(b) => (CallbackOpcode::Binary, b),
                        Event::Ping(p) => (CallbackOpcode::Ping, p),
                        Event::Pong(p) => (CallbackOpcode::Pong, p),
                        Event::Close(..) => (CallbackOpcode::Close, &[][..]),
                    };
                    callback(&mut reply, op, payload);
                    None
                }
                Err(closed) => {
                    let code = match closed {
                        Closed::Peer(Some(code)) => code.to_be_bytes(),
                        _ => [0, 0],
                    };
                    let payload: &[u8] = if matches!(closed, Closed::Peer(Some(_))) { &code } else { &[] };
                    callback(&mut reply, CallbackOpcode::Close, payload);
                    Some(closed)
                }
            }
        };
        if let Some(closed) = ended {
            return closed;
        }
        let (len, text, close) = (reply.len, reply.text, reply.close);
        let data = scratch.get(..len).unwrap_or(&[]);
        let sent = match (len, text) {
            (0, _) => Ok(()),
            (_, true) => match core::str::from_utf8(data) {
                Ok(t) => tx.send_text(t).await,
                Err(_) => tx.send_binary(data).await,
            },
            (_, false) => tx.send_binary(data).await,
        };
        if let Err(e) = sent {
            return Closed::Io(e);
        }
        if close {
            let _ = tx.close(super::frame::close_code::NORMAL, "").await;
        }
    }
}

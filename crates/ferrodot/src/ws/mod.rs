//! WebSocket (RFC 6455): the handshake and frame codec are sans-IO
//! (`handshake`, `frame`, `utf8`); `socket` runs them over a connection.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::ws::{WebSocketUpgrade, WsConfig};
//!
//! async fn echo(mut upgrade: WebSocketUpgrade<'_>) {
//!     let Ok(mut ws) = upgrade.accept(&[], WsConfig::DEFAULT).await else { return };
//!     let (rx, tx) = ws.split();
//!     while let Ok(msg) = rx.recv().await {
//!         let _ = tx.send(msg).await;
//!     }
//! }
//! ferrodot::routes! { pub Echo<()> { GET "/echo" => echo } }
//! ```

pub mod callback;
pub mod frame;
pub mod handshake;
pub mod socket;
pub mod utf8;

pub use frame::{close_code, Opcode};
pub use socket::{Closed, Message, WebSocket, WebSocketUpgrade, WsConfig, WsReceiver, WsSender};

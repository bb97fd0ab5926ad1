//! Server-sent events (`text/event-stream`, WHATWG HTML §9.2): a response
//! that stays open and sends events as they happen, each flushed at once.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::sse::{Event, EventSource, EventWriter, Sse};
//! use ferrodot::server::WriteError;
//!
//! struct Countdown(u32);
//!
//! impl EventSource for Countdown {
//!     async fn run(self, events: &mut EventWriter<'_, '_>) -> Result<(), WriteError> {
//!         for n in (0..self.0).rev() {
//!             let data = if n == 0 { "liftoff" } else { "tick" };
//!             events.send(&Event { event: Some("countdown"), data, ..Event::DEFAULT }).await?;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! async fn countdown() -> Sse<Countdown> { Sse(Countdown(3)) }
//! ferrodot::routes! { pub Events<()> { GET "/countdown" => countdown } }
//! ```

use core::future::Future;

use crate::app::respond::IntoResponse;
use crate::http::Request;
use crate::server::port::with_timeout;
use crate::server::{ResponseWriter, WriteError};

/// One event. Fields left `None` are not sent.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// The event type (`addEventListener(type, ...)`); `None` is "message".
    pub event: Option<&'a str>,
    /// Sets the stream's last event ID (sent back as `Last-Event-ID`).
    pub id: Option<&'a str>,
    /// The client's reconnection delay, in milliseconds.
    pub retry: Option<u32>,
    /// The data; each line becomes a `data:` line.
    pub data: &'a str,
}

impl Event<'_> {
    /// An event with only empty data and every optional field left out; fill it
    /// with struct update syntax.
    pub const DEFAULT: Event<'static> = Event {
        event: None,
        id: None,
        retry: None,
        data: "",
    };
}

/// Produces the events of one stream.
#[allow(async_fn_in_trait)]
pub trait EventSource {
    /// Send events until the stream should end (or a write fails because
    /// the client went away).
    async fn run(self, events: &mut EventWriter<'_, '_>) -> Result<(), WriteError>;
}

/// An event-stream response.
pub struct Sse<E>(pub E);

/// `Last-Event-ID` of a reconnecting client.
pub fn last_event_id<'a>(req: &Request<'a>) -> Option<&'a str> {
    req.header("last-event-id")
}

impl<E: EventSource> IntoResponse for Sse<E> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(crate::http::Status::OK);
        out.header("Content-Type", "text/event-stream");
        out.header("Cache-Control", "no-cache");
        // Open the stream at once: the client learns it is connected.
        out.flush().await?;
        let mut events = EventWriter { out };
        self.0.run(&mut events).await?;
        events.out.finish().await
    }
}

/// Writes events into the open stream.
pub struct EventWriter<'w, 'a> {
    out: &'w mut ResponseWriter<'a>,
}

fn single_line(field: &str) -> Result<&str, WriteError> {
    if field.contains(['\r', '\n']) {
        Err(WriteError::Invalid("event name or id contains a line break"))
    } else {
        Ok(field)
    }
}

impl EventWriter<'_, '_> {
    /// Send one event and flush it.
    pub async fn send(&mut self, event: &Event<'_>) -> Result<(), WriteError> {
        if let Some(retry) = event.retry {
            let mut digits = [0u8; 20];
            let at = crate::http::response::format_u64(u64::from(retry), &mut digits);
            self.out.write(b"retry: ").await?;
            self.out.write(digits.get(at..).unwrap_or(&[])).await?;
            self.out.write(b"\n").await?;
        }
        if let Some(name) = event.event {
            self.field("event", single_line(name)?).await?;
        }
        if let Some(id) = event.id {
            self.field("id", single_line(id)?).await?;
        }
        // CRLF, CR and LF all end a line in the event-stream format.
        let mut lines = event.data.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        for line in &mut lines {
            for part in line.split('\r') {
                self.field("data", part).await?;
            }
        }
        self.out.write(b"\n").await?;
        self.out.flush().await
    }

    async fn field(&mut self, name: &str, value: &str) -> Result<(), WriteError> {
        self.out.write(name.as_bytes()).await?;
        self.out.write(b": ").await?;
        self.out.write(value.as_bytes()).await?;
        self.out.write(b"\n").await
    }

    /// Send a comment line (ignored by clients).
    pub async fn comment(&mut self, text: &str) -> Result<(), WriteError> {
        self.out.write(b": ").await?;
        self.out.write(single_line(text)?.as_bytes()).await?;
        self.out.write(b"\n\n").await?;
        self.out.flush().await
    }

    /// Wait for `next` at most `keep_alive_ms`; if it takes longer, send a
    /// keep-alive comment (so proxies and clients see the stream alive)
    /// and return `None`.
    pub async fn next_or_keep_alive<F: Future>(
        &mut self,
        next: F,
        keep_alive_ms: u32,
    ) -> Result<Option<F::Output>, WriteError> {
        match with_timeout(self.out.port(), keep_alive_ms, next).await {
            Some(value) => Ok(Some(value)),
            None => {
                self.comment("keep-alive").await?;
                Ok(None)
            }
        }
    }
}

//! Reclaiming connection slots under pressure: the policy both runtimes
//! follow.
//!
//! A server has a fixed number of connection slots (`connections ×
//! buffers` is its memory bound). Sockets that hold a slot without asking
//! for anything — a browser's "preconnect", a keep-alive connection between
//! requests, an attacker's idle flood — would otherwise keep new clients
//! out until their time-outs end. So when every slot is taken and another
//! connection arrives, the slot whose connection has been **idle the
//! longest** is freed: idle means it never sent a byte, or it waits
//! between keep-alive requests with nothing buffered. A connection inside
//! a request or a response, a WebSocket or an event stream is never idle
//! and never evicted; if no slot is idle, the newcomer waits as before.
//! The evicted connection is closed cleanly (a FIN, as for an idle
//! time-out); RFC 9112 §9.5 lets a server close an idle connection at any
//! time, and clients retry a request that found it closed.
//!
//! ```
//! use ferrodot::rt::idle::IdleOrder;
//! let order = IdleOrder::new();
//! let (first, second) = (order.next(), order.next());
//! assert!(first < second); // `first` has been idle longer
//! ```
//!
//! Knobs: `rt::tokio::ServerOptions::evict_idle` and `rt::embassy::SlotBoard`'s
//! `evict_idle` (both on by default).

use core::cell::Cell;

/// Hands out the order in which connections became idle: smaller is
/// longer idle. A counter rather than a clock, so marking a connection
/// idle (once per request) never reads the time. A `Cell`, not an atomic:
/// each runtime keeps it where its slots are (one thread on tokio, under
/// the board's critical section on embassy), and riscv32imc has no atomic
/// add.
pub struct IdleOrder(Cell<u32>);

impl IdleOrder {
    /// A counter starting at 1 (0 is free for "not idle").
    pub const fn new() -> Self {
        IdleOrder(Cell::new(1))
    }

    /// The next mark. After 2³² marks the order wraps around: an
    /// eviction may then pick a younger idle connection, never a busy one.
    pub fn next(&self) -> u32 {
        let mark = self.0.get();
        self.0.set(mark.checked_add(1).unwrap_or(1));
        mark
    }
}

impl Default for IdleOrder {
    fn default() -> Self {
        Self::new()
    }
}

/// The index of the connection idle the longest among `(index, mark)`
/// pairs, where `None` is a connection that is not idle.
pub fn longest_idle(marks: impl Iterator<Item = (usize, Option<u32>)>) -> Option<usize> {
    marks
        .filter_map(|(index, mark)| mark.map(|m| (m, index)))
        .min()
        .map(|(_, index)| index)
}

//! One message to every subscriber, with no heap and no waiting: a
//! device pushing sensor readings to every open dashboard.
//!
//! ```
//! use ferrodot::broadcast::Broadcast;
//!
//! // The last 2 messages kept, each up to 16 bytes, for up to 4 subscribers.
//! static READINGS: Broadcast<2, 16, 4> = Broadcast::new();
//!
//! let mut dashboard = READINGS.subscribe().expect("a free subscriber slot");
//! for reading in [b"21.5", b"21.6", b"21.8"] {
//!     READINGS.publish(reading).expect("fits in 16 bytes");
//! }
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let mut buf = [0u8; 16];
//! let got = rt.block_on(dashboard.recv(&mut buf));
//! // The first reading was overwritten: the subscriber is told it missed one.
//! assert_eq!((&buf[..got.len], got.skipped), (&b"21.6"[..], 1));
//! ```
//!
//! The last `SLOTS` messages are kept in a ring. Publishing never blocks:
//! it overwrites the oldest message. A subscriber that falls more than
//! `SLOTS` messages behind skips to the oldest one still kept, and is told
//! how many it missed — a slow client loses old readings, never slows the
//! device down or the other clients.
//!
//! The state sits behind a `critical-section` mutex, so a `Broadcast` can
//! be a `static` shared by tasks and interrupt handlers.

use core::cell::RefCell;
use core::future::poll_fn;
use core::task::{Poll, Waker};

use critical_section::Mutex;

struct Ring<const SLOTS: usize, const SIZE: usize, const SUBSCRIBERS: usize> {
    messages: [[u8; SIZE]; SLOTS],
    lens: [usize; SLOTS],
    /// Sequence number of the next message to publish.
    next: u64,
    wakers: [Option<Waker>; SUBSCRIBERS],
    taken: [bool; SUBSCRIBERS],
}

/// A bounded broadcast channel of byte messages of at most `SIZE` bytes,
/// for at most `SUBSCRIBERS` subscribers at once.
pub struct Broadcast<const SLOTS: usize, const SIZE: usize, const SUBSCRIBERS: usize> {
    ring: Mutex<RefCell<Ring<SLOTS, SIZE, SUBSCRIBERS>>>,
}

/// The message did not fit in `SIZE` bytes; nothing was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// What [`Subscriber::recv`] copied out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes of the message now at the start of the caller's buffer.
    pub len: usize,
    /// Messages lost because this subscriber fell behind.
    pub skipped: u64,
}

impl<const SLOTS: usize, const SIZE: usize, const SUBSCRIBERS: usize> Default for Broadcast<SLOTS, SIZE, SUBSCRIBERS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SLOTS: usize, const SIZE: usize, const SUBSCRIBERS: usize> Broadcast<SLOTS, SIZE, SUBSCRIBERS> {
    /// An empty channel with no subscriber; `const`, so it can be a `static`.
    pub const fn new() -> Self {
        Broadcast {
            ring: Mutex::new(RefCell::new(Ring {
                messages: [[0; SIZE]; SLOTS],
                lens: [0; SLOTS],
                next: 0,
                wakers: [const { None }; SUBSCRIBERS],
                taken: [false; SUBSCRIBERS],
            })),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Ring<SLOTS, SIZE, SUBSCRIBERS>) -> R) -> Option<R> {
        critical_section::with(|cs| self.ring.borrow(cs).try_borrow_mut().ok().map(|mut ring| f(&mut ring)))
    }

    /// Send `message` to every subscriber. Never waits.
    pub fn publish(&self, message: &[u8]) -> Result<(), TooLarge> {
        if message.len() > SIZE || SLOTS == 0 {
            return Err(TooLarge);
        }
        let wakers = self.with(|ring| {
            // SLOTS > 0 here; the remainder is below SLOTS, so it fits a usize.
            let at = ring
                .next
                .checked_rem(SLOTS as u64)
                .and_then(|i| usize::try_from(i).ok())
                .unwrap_or(0);
            if let (Some(dst), Some(len)) = (ring.messages.get_mut(at), ring.lens.get_mut(at)) {
                if let Some(dst) = dst.get_mut(..message.len()) {
                    dst.copy_from_slice(message);
                }
                *len = message.len();
            }
            // A message count: 2^64 messages are never reached (584 years at
            // one per nanosecond); wrapping is only there to rule out a panic.
            ring.next = ring.next.wrapping_add(1);
            core::mem::replace(&mut ring.wakers, [const { None }; SUBSCRIBERS])
        });
        // Wake outside the critical section.
        for waker in wakers.into_iter().flatten().flatten() {
            waker.wake();
        }
        Ok(())
    }

    /// Start receiving messages published from now on; `None` when all
    /// `SUBSCRIBERS` places are taken.
    pub fn subscribe(&self) -> Option<Subscriber<'_, SLOTS, SIZE, SUBSCRIBERS>> {
        self.with(|ring| {
            let slot = ring.taken.iter().position(|t| !t)?;
            if let Some(t) = ring.taken.get_mut(slot) {
                *t = true;
            }
            Some(Subscriber {
                bus: self,
                slot,
                next: ring.next,
            })
        })
        .flatten()
    }

    /// How many subscribers there are now.
    pub fn subscribers(&self) -> usize {
        self.with(|ring| ring.taken.iter().filter(|t| **t).count()).unwrap_or(0)
    }
}

/// One receiver of a [`Broadcast`]; its place is freed when dropped.
pub struct Subscriber<'a, const SLOTS: usize, const SIZE: usize, const SUBSCRIBERS: usize> {
    bus: &'a Broadcast<SLOTS, SIZE, SUBSCRIBERS>,
    slot: usize,
    next: u64,
}

impl<const SLOTS: usize, const SIZE: usize, const SUBSCRIBERS: usize> Subscriber<'_, SLOTS, SIZE, SUBSCRIBERS> {
    /// Wait for the next message and copy it into `out` (cut to fit).
    pub async fn recv(&mut self, out: &mut [u8]) -> Received {
        poll_fn(|cx| {
            let polled = self.bus.with(|ring| {
                if self.next >= ring.next {
                    if let Some(w) = ring.wakers.get_mut(self.slot) {
                        *w = Some(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
                let oldest = ring.next.saturating_sub(SLOTS as u64);
                let skipped = oldest.saturating_sub(self.next);
                self.next = self.next.max(oldest);
                // Only reached when something was published, so SLOTS > 0.
                let at = self
                    .next
                    .checked_rem(SLOTS as u64)
                    .and_then(|i| usize::try_from(i).ok())
                    .unwrap_or(0);
                // Below `ring.next`, which is a u64 that never wraps in practice.
                self.next = self.next.wrapping_add(1);
                let len = ring.lens.get(at).copied().unwrap_or(0).min(out.len());
                let src = ring.messages.get(at).and_then(|m| m.get(..len)).unwrap_or(&[]);
                if let Some(dst) = out.get_mut(..src.len()) {
                    dst.copy_from_slice(src);
                }
                Poll::Ready(Received {
                    len: src.len(),
                    skipped,
                })
            });
            polled.unwrap_or(Poll::Pending)
        })
        .await
    }
}

impl<const SLOTS: usize, const SIZE: usize, const SUBSCRIBERS: usize> Drop
    for Subscriber<'_, SLOTS, SIZE, SUBSCRIBERS>
{
    fn drop(&mut self) {
        self.bus.with(|ring| {
            if let Some(t) = ring.taken.get_mut(self.slot) {
                *t = false;
            }
            if let Some(w) = ring.wakers.get_mut(self.slot) {
                *w = None;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    fn now<F: core::future::Future>(f: F) -> Option<F::Output> {
        let waker = Waker::noop();
        let mut cx = core::task::Context::from_waker(waker);
        match core::pin::pin!(f).poll(&mut cx) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        }
    }

    #[test]
    fn every_subscriber_gets_each_message_and_slow_ones_skip() {
        let bus: Broadcast<2, 8, 2> = Broadcast::new();
        let mut a = bus.subscribe().expect("place");
        let mut b = bus.subscribe().expect("place");
        assert!(bus.subscribe().is_none(), "only two places");
        let mut out = [0u8; 8];
        assert_eq!(now(a.recv(&mut out)), None, "nothing published yet");
        bus.publish(b"one").expect("fits");
        assert_eq!(now(a.recv(&mut out)), Some(Received { len: 3, skipped: 0 }));
        assert_eq!(&out[..3], b"one");
        assert_eq!(bus.publish(b"too long!"), Err(TooLarge));
        bus.publish(b"two").expect("fits");
        bus.publish(b"three").expect("fits");
        // b never read: "one" was overwritten, it skips to the oldest kept.
        assert_eq!(now(b.recv(&mut out)), Some(Received { len: 3, skipped: 1 }));
        assert_eq!(&out[..3], b"two");
        assert_eq!(now(b.recv(&mut out)), Some(Received { len: 5, skipped: 0 }));
        assert_eq!(&out[..5], b"three");
        drop(a);
        assert_eq!(bus.subscribers(), 1);
        assert!(bus.subscribe().is_some(), "a dropped subscriber frees its place");
    }
}

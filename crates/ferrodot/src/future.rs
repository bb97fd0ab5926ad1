//! The one future combinator apps need to serve live data without an
//! executor crate: wait for whichever of two futures finishes first.
//!
//! ```
//! use core::future::{pending, ready};
//! use ferrodot::future::{select, Either};
//!
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! // A socket that never answers against a timer that fires: the timer wins.
//! let first = rt.block_on(select(pending::<u8>(), ready("timeout")));
//! assert_eq!(first, Either::Second("timeout"));
//! ```

use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::Poll;

/// Which future finished first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first future finished first, with this output.
    First(A),
    /// The second future finished first, with this output.
    Second(B),
}

/// Run `a` and `b` together until one finishes; the other is dropped.
/// `a` is polled first, so it wins a tie.
pub async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::First(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Second(out));
        }
        Poll::Pending
    })
    .await
}

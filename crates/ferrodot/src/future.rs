//! The one future combinator apps need to serve live data without an
//! executor crate: wait for whichever of two futures finishes first.

use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::Poll;

/// Which future finished first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either<A, B> {
    First(A),
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

/// Poll `fut` through a function of its own instead of inlining its state
/// machine into the caller's: `poll_fn(|cx| poll_outlined(fut.as_mut(), cx))`
/// with `fut` pinned in the caller (an `async fn` wrapper would hold the
/// future twice, as its argument and as its pinned local). One poll
/// function holding a whole connection's nested futures spills registers
/// at every `.await` site; split in two, each half is smaller than their
/// sum inlined (measured with `footprint/report.sh`). Costs one call per poll.
#[inline(never)]
pub(crate) fn poll_outlined<F: Future>(fut: core::pin::Pin<&mut F>, cx: &mut core::task::Context<'_>) -> Poll<F::Output> {
    fut.poll(cx)
}

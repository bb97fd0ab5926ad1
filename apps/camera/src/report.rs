//! `POST /report`: the device posts its status JSON to the server the
//! request names, and answers with the status code it got.
//!
//! The HTTP handler does not own a socket: it hands the job to the
//! platform's uplink task through [`Reports`] (one job at a time) and waits
//! for the result. The uplink task owns the client socket and its buffers,
//! so they cost RAM once, not in every connection's future. The host demo
//! runs the task on tokio, the firmware on embassy-net:
//!
//! ```ignore
//! loop {
//!     let job = camera.reports().next().await;
//!     let result = post_with_ferrodots_client(job.host(), job.port, job.path(), job.body()).await;
//!     camera.reports().finish(result);
//! }
//! ```

use core::cell::RefCell;
use core::future::poll_fn;
use core::task::{Poll, Waker};

use critical_section::Mutex;
use ferrodot::prelude::*;
use portable_atomic::{AtomicBool, Ordering::Relaxed};
use serde::{Deserialize, Serialize};

/// Longest host (an IPv4 address on the device, any name on a host).
pub const HOST_MAX: usize = 64;
/// Longest path.
pub const PATH_MAX: usize = 128;
/// Longest body (the status JSON).
pub const BODY_MAX: usize = 64;

/// The request's JSON: where to send the status.
#[derive(Deserialize)]
pub struct ReportTarget<'a> {
    pub host: &'a str,
    pub port: u16,
    pub path: &'a str,
}

/// One report for the uplink task to send.
pub struct ReportJob {
    host: ([u8; HOST_MAX], usize),
    /// The server's port.
    pub port: u16,
    path: ([u8; PATH_MAX], usize),
    body: ([u8; BODY_MAX], usize),
}

fn text(part: &(impl AsRef<[u8]>, usize)) -> &str {
    core::str::from_utf8(part.0.as_ref().get(..part.1).unwrap_or(&[])).unwrap_or("")
}

impl ReportJob {
    /// The server's host.
    pub fn host(&self) -> &str {
        text(&self.host)
    }

    /// The path to POST to.
    pub fn path(&self) -> &str {
        text(&self.path)
    }

    /// The JSON to POST.
    pub fn body(&self) -> &[u8] {
        self.body.0.get(..self.body.1).unwrap_or(&[])
    }
}

fn copy<const N: usize>(from: &[u8]) -> Option<([u8; N], usize)> {
    let mut to = [0u8; N];
    to.get_mut(..from.len())?.copy_from_slice(from);
    Some((to, from.len()))
}

// One slot per device, and no heap to box the job in: the job's bytes
// live here while it waits.
#[allow(clippy::large_enum_variant)]
enum Slot {
    Empty,
    Requested(ReportJob),
    Running,
    /// The handler went away (its client closed) while the job ran.
    Abandoned,
    Done(Result<u16, &'static str>),
}

struct Inner {
    slot: Slot,
    uplink: Option<Waker>,
    handler: Option<Waker>,
}

/// The mailbox between `POST /report` and the platform's uplink task.
pub struct Reports {
    inner: Mutex<RefCell<Inner>>,
    /// An uplink task has asked for work at least once.
    served: AtomicBool,
}

impl Default for Reports {
    fn default() -> Self {
        Self::new()
    }
}

impl Reports {
    pub const fn new() -> Self {
        Reports {
            inner: Mutex::new(RefCell::new(Inner {
                slot: Slot::Empty,
                uplink: None,
                handler: None,
            })),
            served: AtomicBool::new(false),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        critical_section::with(|cs| f(&mut self.inner.borrow_ref_mut(cs)))
    }

    /// The uplink task: wait for the next report to send.
    pub async fn next(&self) -> ReportJob {
        self.served.store(true, Relaxed);
        poll_fn(|cx| {
            self.with(|inner| match core::mem::replace(&mut inner.slot, Slot::Running) {
                Slot::Requested(job) => Poll::Ready(job),
                other => {
                    inner.slot = other;
                    inner.uplink = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
        })
        .await
    }

    /// The uplink task: the status code the server answered, or why there
    /// is none.
    pub fn finish(&self, result: Result<u16, &'static str>) {
        self.with(|inner| {
            inner.slot = match inner.slot {
                Slot::Abandoned => Slot::Empty,
                _ => Slot::Done(result),
            };
            if let Some(waker) = inner.handler.take() {
                waker.wake();
            }
        });
    }

    /// Hand a job over and wait for its result.
    async fn send(&self, job: ReportJob) -> Result<Result<u16, &'static str>, Rejection> {
        if !self.served.load(Relaxed) {
            return Err(Rejection::new(
                Status::SERVICE_UNAVAILABLE,
                "no uplink runs on this platform",
            ));
        }
        self.with(|inner| match inner.slot {
            Slot::Empty => {
                inner.slot = Slot::Requested(job);
                if let Some(waker) = inner.uplink.take() {
                    waker.wake();
                }
                Ok(())
            }
            _ => Err(Rejection::new(
                Status::SERVICE_UNAVAILABLE,
                "a report is already being sent",
            )),
        })?;
        let waiting = Waiting { reports: self };
        Ok(poll_fn(|cx| {
            waiting
                .reports
                .with(|inner| match core::mem::replace(&mut inner.slot, Slot::Empty) {
                    Slot::Done(result) => Poll::Ready(result),
                    other => {
                        inner.slot = other;
                        inner.handler = Some(cx.waker().clone());
                        Poll::Pending
                    }
                })
        })
        .await)
    }
}

/// Cleans up if the handler is dropped before the result came.
struct Waiting<'a> {
    reports: &'a Reports,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.reports.with(|inner| {
            inner.slot = match inner.slot {
                Slot::Requested(_) | Slot::Done(_) | Slot::Empty => Slot::Empty,
                Slot::Running | Slot::Abandoned => Slot::Abandoned,
            };
            inner.handler = None;
        });
    }
}

/// `{"status": N}`: the server's status code.
#[derive(Serialize)]
pub struct Sent {
    pub status: u16,
}

/// `{"error": ".."}`: why no status came back.
#[derive(Serialize)]
pub struct Failed<'a> {
    pub error: &'a str,
}

/// `POST /report` `{"host":..,"port":..,"path":..}`: `200 {"status": N}`
/// with the server's status code, `502 {"error": ".."}` when there was
/// none, `400` for a target that cannot be one.
pub(crate) async fn report(
    State(cam): State<&crate::Camera>,
    Json(target): Json<ReportTarget<'_>>,
) -> Result<(Status, Json<Sent>), (Status, Json<Failed<'static>>)> {
    let bad = |error| (Status::BAD_REQUEST, Json(Failed { error }));
    if !target.path.starts_with('/') {
        return Err(bad("path must start with /"));
    }
    if target.port == 0 {
        return Err(bad("port must be 1..=65535"));
    }
    let mut body = [0u8; BODY_MAX];
    let body_len = serde_json_core::to_slice(&cam.status(), &mut body).unwrap_or(0);
    let job = ReportJob {
        host: copy(target.host.as_bytes()).ok_or(bad("host too long"))?,
        port: target.port,
        path: copy(target.path.as_bytes()).ok_or(bad("path too long"))?,
        body: (body, body_len),
    };
    match cam.reports.send(job).await {
        Ok(Ok(status)) => Ok((Status::OK, Json(Sent { status }))),
        Ok(Err(error)) => Err((Status::BAD_GATEWAY, Json(Failed { error }))),
        Err(rejection) => Err((
            rejection.status,
            Json(Failed {
                error: rejection.reason,
            }),
        )),
    }
}

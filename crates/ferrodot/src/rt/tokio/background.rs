//! A server on a thread of its own (the seed faces' `start()`), stopped
//! and joined on request or when dropped.
//!
//! ```no_run
//! use ferrodot::rt::tokio::Background;
//!
//! let server = Background::spawn("my server".into(), |stop| {
//!     // Build a runtime, serve until `stop.wait()` completes.
//!     # let _ = stop;
//!     Ok(())
//! })?;
//! server.stop()?; // or drop it
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::string::String;
use std::thread::JoinHandle;

/// Completes when the owner of the [`Background`] asks the server to stop
/// (or drops it).
pub struct StopSignal(tokio::sync::oneshot::Receiver<()>);

impl StopSignal {
    /// Wait for the request to stop: hand this to `serve_with_shutdown`.
    pub async fn wait(self) {
        let _ = self.0.await;
    }
}

/// The thread and the way to stop it.
pub struct Background {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Background {
    /// Run `serve` on a new thread named `name`.
    pub fn spawn(name: String, serve: impl FnOnce(StopSignal) -> io::Result<()> + Send + 'static) -> io::Result<Self> {
        let (stop, signal) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || serve(StopSignal(signal)))?;
        Ok(Background {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Ask the server to stop and wait for its thread: what it returned.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

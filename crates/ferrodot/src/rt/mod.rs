//! Runtime adapters: accept connections and implement [`crate::io::Transport`].
//!
//! ```no_run
//! use ferrodot::prelude::*;
//!
//! async fn hello() -> &'static str { "hello" }
//! ferrodot::routes! { Hello<()> { GET "/" => hello } }
//! static APP: App<(), Hello> = App::new((), Hello);
//!
//! // On a host (feature `tokio`): serve until Ctrl-C. On a device,
//! // `rt::embassy` (feature `embassy`) serves the same `APP`.
//! ferrodot::rt::tokio::run(&APP, "0.0.0.0:8080")?;
//! # Ok::<(), std::io::Error>(())
//! ```

#[cfg(feature = "embassy")]
pub mod embassy;
pub mod idle;
#[cfg(feature = "tokio")]
pub mod tokio;

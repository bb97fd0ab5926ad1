//! Runtime adapters: accept connections and implement [`crate::io::Transport`].

#[cfg(feature = "embassy")]
pub mod embassy;
pub mod idle;
#[cfg(feature = "tokio")]
pub mod tokio;

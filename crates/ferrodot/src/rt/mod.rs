//! Runtime adapters: accept connections and implement [`crate::io::Transport`].

#[cfg(feature = "tokio")]
pub mod tokio;

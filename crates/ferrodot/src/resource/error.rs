//! What can go wrong in the resource store: the errors of its operations
//! and of keeping it across restarts. Both the store and its persistence
//! report these, so they live below both.
//!
//! ```
//! use ferrodot::resource::{MediaType, ResourceStore, StoreError};
//!
//! let store = ResourceStore::<1, 16, 8>::new();
//! assert_eq!(store.add("no-slash", MediaType::Plain, b"").err(), Some(StoreError::BadUri));
//! assert_eq!(StoreError::BadUri.to_string(), StoreError::BadUri.message());
//! ```

/// Why a store operation failed (Pycom raises these as `RuntimeError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// A URI must start with `/` and contain no `?`, `#`, space or control byte.
    BadUri,
    /// Longer than the store's URI capacity `U`.
    UriTooLong,
    /// A resource with this URI exists already.
    Duplicate,
    /// All `N` resources are in use, or as many as the store's `max_uri`
    /// limit allows (or, for POST, the five-digit ids ran out).
    Full,
    /// No resource has this URI.
    NotFound,
    /// Longer than the store's value capacity `V` (or a caller's buffer).
    ValueTooLarge,
    /// The store was used from inside one of its own closures.
    Busy,
    /// [`ResourceStore::load`](super::ResourceStore::load) fills an empty store only.
    NotEmpty,
    /// The change was made in memory but could not be saved.
    Persist(PersistError),
}

impl StoreError {
    /// The error as one sentence, for a log or a response body.
    pub const fn message(self) -> &'static str {
        match self {
            StoreError::BadUri => "URI must start with \"/\" and contain no '?', '#', spaces or control characters",
            StoreError::UriTooLong => "URI longer than the store allows",
            StoreError::Duplicate => "resource already added",
            StoreError::Full => "no more resources can be added",
            StoreError::NotFound => "resource does not exist",
            StoreError::ValueTooLarge => "value larger than the store allows",
            StoreError::Busy => "resource store used from inside its own callback",
            StoreError::NotEmpty => "a saved store can only be loaded into an empty store",
            StoreError::Persist(e) => e.message(),
        }
    }
}

impl core::error::Error for StoreError {}

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

impl From<PersistError> for StoreError {
    fn from(e: PersistError) -> Self {
        StoreError::Persist(e)
    }
}

/// Why the store could not be saved or loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersistError {
    /// The backing failed to read or write.
    Io,
    /// The saved image is damaged (bad magic, checksum or record).
    Corrupt,
    /// The saved image has more resources, or longer URIs or values,
    /// than this store's capacities; or an image to save is larger than
    /// the backing holds (a flash sector).
    DoesNotFit,
}

impl PersistError {
    /// The error as one sentence, for a log or a response body.
    pub const fn message(self) -> &'static str {
        match self {
            PersistError::Io => "could not read or write the saved resource store",
            PersistError::Corrupt => "the saved resource store is damaged",
            PersistError::DoesNotFit => "the resource store image does not fit this store's capacities or its backing",
        }
    }
}

impl core::error::Error for PersistError {}

impl core::fmt::Display for PersistError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

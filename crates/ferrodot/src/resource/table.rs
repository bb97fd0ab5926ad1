//! The store's table: fixed arrays of resource slots and the operations
//! on them that do not lock (the caller holds the store's lock). Both the
//! store and its persistence work on this table; it imports neither.
//!
//! ```
//! use ferrodot::resource::UriBuf;
//!
//! let uri = UriBuf::<16>::copy_of("/resource1").unwrap();
//! assert_eq!(uri.as_str(), "/resource1");
//! assert!(UriBuf::<4>::copy_of("/resource1").is_none());
//! ```

use super::error::StoreError;
use super::event::Callback;
use super::media::{MediaType, Methods};

/// The first id given to a sub-resource created by POST (`/res/10000`).
pub const FIRST_ID: u32 = 10_000;
/// The last one: ids are five digits.
pub const LAST_ID: u32 = 99_999;

/// A URI of at most `U` bytes, copied out of the store.
#[derive(Clone, Copy)]
pub struct UriBuf<const U: usize> {
    bytes: [u8; U],
    len: usize,
}

impl<const U: usize> Default for UriBuf<U> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const U: usize> UriBuf<U> {
    /// An empty URI.
    pub const fn new() -> Self {
        UriBuf { bytes: [0; U], len: 0 }
    }

    /// A copy of `uri`; `None` if it is longer than `U`.
    pub fn copy_of(uri: &str) -> Option<Self> {
        let mut buf = Self::new();
        buf.push(uri.as_bytes()).then_some(buf)
    }

    /// The URI as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The URI's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// Append; `false` (and nothing appended) if it does not fit.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> bool {
        match self.bytes.get_mut(self.len..).and_then(|d| d.get_mut(..bytes.len())) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len = self.len.saturating_add(bytes.len());
                true
            }
            None => false,
        }
    }

    /// Room for `n` bytes read from elsewhere; they count once written.
    pub(crate) fn fill(&mut self, n: usize) -> Option<&mut [u8]> {
        let dst = self.bytes.get_mut(..n)?;
        self.len = n;
        Some(dst)
    }
}

/// One resource.
#[derive(Clone, Copy)]
pub(crate) struct Slot<const U: usize, const V: usize> {
    pub(crate) used: bool,
    /// Made by a POST: answers with its parent's callback unless it has one.
    pub(crate) created: bool,
    pub(crate) media: MediaType,
    pub(crate) methods: Methods,
    pub(crate) callback: Option<Callback>,
    /// The id the next POST to this resource tries first.
    pub(crate) next_id: u32,
    pub(crate) uri: UriBuf<U>,
    pub(crate) value_len: usize,
    pub(crate) value: [u8; V],
}

impl<const U: usize, const V: usize> Slot<U, V> {
    pub(crate) const EMPTY: Self = Slot {
        used: false,
        created: false,
        media: MediaType::Html,
        methods: Methods::NONE,
        callback: None,
        next_id: FIRST_ID,
        uri: UriBuf::new(),
        value_len: 0,
        value: [0; V],
    };

    pub(crate) fn value(&self) -> &[u8] {
        self.value.get(..self.value_len).unwrap_or(&[])
    }

    pub(crate) fn set_value(&mut self, value: &[u8]) -> Result<(), StoreError> {
        let dst = self.value.get_mut(..value.len()).ok_or(StoreError::ValueTooLarge)?;
        dst.copy_from_slice(value);
        self.value_len = value.len();
        Ok(())
    }
}

pub(crate) struct Inner<const N: usize, const U: usize, const V: usize> {
    pub(crate) slots: [Slot<U, V>; N],
    pub(crate) count: usize,
    /// Bumped by every change; a value sent in pieces checks it.
    pub(crate) generation: u32,
    /// Changes are saved (set by a successful `load`).
    pub(crate) armed: bool,
    /// Most resources allowed now (Pycom's `max_uri`), at most `N`.
    pub(crate) limit: usize,
}

impl<const N: usize, const U: usize, const V: usize> Inner<N, U, V> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Inner {
            slots: [Slot::EMPTY; N],
            count: 0,
            generation: 0,
            armed: false,
            limit: N,
        }
    }

    pub(crate) fn find(&self, uri: &str) -> Option<usize> {
        self.slots.iter().position(|s| s.used && s.uri.as_str() == uri)
    }

    pub(crate) fn slot(&self, uri: &str) -> Result<&Slot<U, V>, StoreError> {
        self.find(uri)
            .and_then(|i| self.slots.get(i))
            .ok_or(StoreError::NotFound)
    }

    pub(crate) fn slot_mut(&mut self, uri: &str) -> Result<&mut Slot<U, V>, StoreError> {
        let i = self.find(uri).ok_or(StoreError::NotFound)?;
        self.slots.get_mut(i).ok_or(StoreError::NotFound)
    }

    /// A free slot, marked used and counted; the caller fills it.
    pub(crate) fn take_free(&mut self) -> Result<&mut Slot<U, V>, StoreError> {
        if self.count >= self.limit {
            return Err(StoreError::Full);
        }
        let slot = self.slots.iter_mut().find(|s| !s.used).ok_or(StoreError::Full)?;
        *slot = Slot::EMPTY;
        slot.used = true;
        self.count = self.count.saturating_add(1);
        Ok(slot)
    }

    pub(crate) fn insert(&mut self, uri: &str, media: MediaType, value: &[u8]) -> Result<&mut Slot<U, V>, StoreError> {
        check_uri::<U>(uri)?;
        if value.len() > V {
            return Err(StoreError::ValueTooLarge);
        }
        if self.find(uri).is_some() {
            return Err(StoreError::Duplicate);
        }
        let uri = UriBuf::copy_of(uri).ok_or(StoreError::UriTooLong)?;
        let slot = self.take_free()?;
        slot.uri = uri;
        slot.media = media;
        slot.set_value(value)?;
        Ok(slot)
    }

    pub(crate) fn clear(&mut self) {
        for slot in self.slots.iter_mut() {
            *slot = Slot::EMPTY;
        }
        self.count = 0;
    }

    /// The callback of slot `i`: its own, or for a POST-made resource the
    /// nearest ancestor's.
    pub(crate) fn callback_for(&self, mut i: usize) -> Option<Callback> {
        // Each step drops one path segment, so this ends within `U` steps.
        for _ in 0..=U {
            let slot = self.slots.get(i)?;
            if slot.callback.is_some() || !slot.created {
                return slot.callback;
            }
            let (parent, _) = slot.uri.as_str().rsplit_once('/')?;
            i = self.find(parent)?;
        }
        None
    }
}

/// A URI the store accepts: `/…`, at most `U` bytes, and nothing a request
/// path could never be (query, fragment, spaces, control bytes).
pub(crate) fn check_uri<const U: usize>(uri: &str) -> Result<(), StoreError> {
    if !uri.starts_with('/') || uri.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'?' || b == b'#') {
        return Err(StoreError::BadUri);
    }
    if uri.len() > U {
        return Err(StoreError::UriTooLong);
    }
    Ok(())
}

//! The store itself: `N` resources of at most `U` bytes of URI and `V`
//! bytes of value, in fixed arrays behind a `critical-section` mutex.
//!
//! Application code reads and changes resources through `&self` while the
//! server runs (from another task, thread or an interrupt handler); every
//! access is one short critical section that copies bytes in or out, never
//! held across an `.await`.

use core::cell::RefCell;

use critical_section::Mutex;

use super::error::{PersistError, StoreError};
use super::event::Callback;
use super::media::{MediaType, Methods};
use super::persist::{self, Persistence};
use super::table::{Inner, Slot, UriBuf, FIRST_ID, LAST_ID};
use crate::http::query::Encoded;

/// The value of a resource added without one ([`ResourceStore::add_default`]):
/// Pycom's default `value=0`, which its documentation calls "decimal 0", as
/// the text `0`. (Pycom's firmware stores the integer as the raw byte
/// `0x00`; a NUL byte in a `text/html` body shows nothing in a browser.)
pub const DEFAULT_VALUE: &[u8] = b"0";

/// A resource found for a request, copied out of the store.
pub(crate) struct Found<const U: usize> {
    pub(crate) uri: UriBuf<U>,
    pub(crate) media: MediaType,
    pub(crate) methods: Methods,
    pub(crate) callback: Option<Callback>,
}

/// Size and kind of a resource (see [`ResourceStore::info`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// The media type its value is sent and accepted as.
    pub media: MediaType,
    /// The methods it answers.
    pub methods: Methods,
    /// Bytes of value.
    pub len: usize,
}

/// Pycom's `network.HTTP_Server` resource store: up to `N` resources
/// (Pycom's `max_uri`, default 100), URIs of up to `U` bytes, values of up
/// to `V` bytes — all in fixed arrays, no heap.
///
/// ```
/// use ferrodot::resource::{MediaType, Methods, ResourceStore};
///
/// static STORE: ResourceStore<8, 32, 64> = ResourceStore::new();
///
/// STORE.add("/temp", MediaType::Plain, b"21.5")?.register(Methods::GET | Methods::PUT, None)?;
/// STORE.set_value("/temp", b"22.0")?;
/// let mut buf = [0u8; 64];
/// assert_eq!(STORE.read_value("/temp", &mut buf)?, b"22.0");
/// # Ok::<(), ferrodot::resource::StoreError>(())
/// ```
pub struct ResourceStore<const N: usize = 100, const U: usize = 64, const V: usize = 1024> {
    inner: Mutex<RefCell<Inner<N, U, V>>>,
    backing: Option<&'static (dyn Persistence + Sync)>,
}

impl<const N: usize, const U: usize, const V: usize> Default for ResourceStore<N, U, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const U: usize, const V: usize> AsRef<ResourceStore<N, U, V>> for ResourceStore<N, U, V> {
    fn as_ref(&self) -> &Self {
        self
    }
}

/// A handle on one resource (Pycom's `HTTP_Resource`).
pub struct ResourceRef<'s, 'u, const N: usize, const U: usize, const V: usize> {
    store: &'s ResourceStore<N, U, V>,
    uri: &'u str,
}

impl<const N: usize, const U: usize, const V: usize> ResourceStore<N, U, V> {
    /// An empty store; `const`, so it can be a `static`.
    pub const fn new() -> Self {
        ResourceStore {
            inner: Mutex::new(RefCell::new(Inner::new())),
            backing: None,
        }
    }

    /// Keep the store in `backing` (a file with `std`, a flash region on
    /// a device). Call [`ResourceStore::load`] once at start-up: it
    /// restores the saved resources, and from then on every change is saved.
    pub const fn persisted(mut self, backing: &'static (dyn Persistence + Sync)) -> Self {
        self.backing = Some(backing);
        self
    }

    /// Most resources (Pycom's `max_uri`).
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Longest URI in bytes.
    pub const fn uri_capacity(&self) -> usize {
        U
    }

    /// Longest value in bytes (a larger PUT or POST body is refused with 413).
    pub const fn value_capacity(&self) -> usize {
        V
    }

    /// Allow at most `max_uri` resources (Pycom's `init(max_uri=…)`), up to
    /// the capacity `N`: adding more is [`StoreError::Full`], a POST beyond
    /// it is 507. Resources already there stay. Returns the limit now in
    /// force (`N` when `max_uri` is larger).
    pub fn set_max_uri(&self, max_uri: usize) -> usize {
        let limit = max_uri.min(N);
        // Only fails when called from inside the store's own closure.
        let _ = self.with(|inner| {
            inner.limit = limit;
            Ok(())
        });
        limit
    }

    /// Most resources allowed now (see [`ResourceStore::set_max_uri`]).
    pub fn max_uri(&self) -> usize {
        self.with(|inner| Ok(inner.limit)).unwrap_or(N)
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner<N, U, V>) -> Result<R, StoreError>) -> Result<R, StoreError> {
        critical_section::with(|cs| match self.inner.borrow(cs).try_borrow_mut() {
            Ok(mut inner) => f(&mut inner),
            Err(_) => Err(StoreError::Busy),
        })
    }

    /// Apply a change, then save the store if it is persisted. A failed
    /// save is reported, but the change stays made in memory.
    fn change<R>(&self, f: impl FnOnce(&mut Inner<N, U, V>) -> Result<R, StoreError>) -> Result<R, StoreError> {
        let (result, armed) = self.with(|inner| {
            let result = f(inner)?;
            inner.generation = inner.generation.wrapping_add(1);
            Ok((result, inner.armed))
        })?;
        if armed {
            self.save()?;
        }
        Ok(result)
    }

    /// How many resources there are.
    pub fn len(&self) -> usize {
        self.with(|inner| Ok(inner.count)).unwrap_or(0)
    }

    /// Whether the store holds no resource.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Add a resource (Pycom's `add_resource`). It answers no request
    /// until a handler is registered with [`ResourceRef::register`].
    pub fn add<'u>(
        &self,
        uri: &'u str,
        media: MediaType,
        value: &[u8],
    ) -> Result<ResourceRef<'_, 'u, N, U, V>, StoreError> {
        self.change(|inner| inner.insert(uri, media, value).map(|_| ()))?;
        Ok(ResourceRef { store: self, uri })
    }

    /// Add a resource with Pycom's defaults, as `add_resource(uri)` does:
    /// media type `text/html` (Pycom's `TEXT`) and the value `0`, the
    /// text [`DEFAULT_VALUE`].
    pub fn add_default<'u>(&self, uri: &'u str) -> Result<ResourceRef<'_, 'u, N, U, V>, StoreError> {
        self.add(uri, MediaType::Html, DEFAULT_VALUE)
    }

    /// Add a resource unless it exists (restored by [`ResourceStore::load`],
    /// say); an existing one keeps its value and type.
    pub fn ensure<'u>(
        &self,
        uri: &'u str,
        media: MediaType,
        value: &[u8],
    ) -> Result<ResourceRef<'_, 'u, N, U, V>, StoreError> {
        match self.add(uri, media, value) {
            Err(StoreError::Duplicate) => Ok(ResourceRef { store: self, uri }),
            other => other,
        }
    }

    /// The resource at `uri` (Pycom's `get_resource`).
    pub fn resource<'u>(&self, uri: &'u str) -> Result<ResourceRef<'_, 'u, N, U, V>, StoreError> {
        self.with(|inner| inner.slot(uri).map(|_| ()))?;
        Ok(ResourceRef { store: self, uri })
    }

    /// Whether a resource with this URI exists.
    pub fn contains(&self, uri: &str) -> bool {
        self.with(|inner| Ok(inner.find(uri).is_some())).unwrap_or(false)
    }

    /// Remove a resource (Pycom's `remove_resource`). Sub-resources made
    /// by POST stay; remove them on their own.
    pub fn remove(&self, uri: &str) -> Result<(), StoreError> {
        self.change(|inner| {
            let slot = inner.slot_mut(uri)?;
            *slot = Slot::EMPTY;
            inner.count = inner.count.saturating_sub(1);
            Ok(())
        })
    }

    /// Choose the methods the server answers for `uri` and the callback
    /// told about each request (Pycom's `register_request_handler`): the
    /// previous choice is replaced. `Methods::NONE` unpublishes it (404).
    pub fn register(&self, uri: &str, methods: Methods, callback: Option<Callback>) -> Result<(), StoreError> {
        self.change(|inner| {
            let slot = inner.slot_mut(uri)?;
            slot.methods = methods;
            slot.callback = callback;
            Ok(())
        })
    }

    /// Media type, methods and value length of `uri`.
    pub fn info(&self, uri: &str) -> Result<Info, StoreError> {
        self.with(|inner| {
            inner.slot(uri).map(|s| Info {
                media: s.media,
                methods: s.methods,
                len: s.value_len,
            })
        })
    }

    /// Copy the value of `uri` into `buf` and borrow it from there
    /// ([`StoreError::ValueTooLarge`] if `buf` is too small).
    pub fn read_value<'b>(&self, uri: &str, buf: &'b mut [u8]) -> Result<&'b [u8], StoreError> {
        let n = self.with(|inner| {
            let value = inner.slot(uri)?.value();
            let dst = buf.get_mut(..value.len()).ok_or(StoreError::ValueTooLarge)?;
            dst.copy_from_slice(value);
            Ok(value.len())
        })?;
        Ok(buf.get(..n).unwrap_or(&[]))
    }

    /// Run `f` on the value and media type of `uri`, inside the store's
    /// critical section: keep it short, and do not use the store from it
    /// (that fails with [`StoreError::Busy`]).
    pub fn with_value<R>(&self, uri: &str, f: impl FnOnce(&[u8], MediaType) -> R) -> Result<R, StoreError> {
        self.with(|inner| inner.slot(uri).map(|s| f(s.value(), s.media)))
    }

    /// Replace the value of `uri` (Pycom's `res.value(new)`).
    pub fn set_value(&self, uri: &str, value: &[u8]) -> Result<(), StoreError> {
        self.change(|inner| inner.slot_mut(uri)?.set_value(value))
    }

    /// Replace the value and the media type of `uri`.
    pub fn set(&self, uri: &str, media: MediaType, value: &[u8]) -> Result<(), StoreError> {
        self.change(|inner| {
            let slot = inner.slot_mut(uri)?;
            slot.set_value(value)?;
            slot.media = media;
            Ok(())
        })
    }

    /// Call `f` with every URI that starts with `prefix` (Pycom's
    /// `list_resource`; `"/"` lists them all), in storage order. Each URI
    /// is copied out first, so `f` may use the store.
    pub fn for_each_uri(&self, prefix: &str, mut f: impl FnMut(&str)) {
        for i in 0..N {
            let uri = self.with(|inner| {
                let slot = inner
                    .slots
                    .get(i)
                    .filter(|s| s.used && s.uri.as_str().starts_with(prefix));
                Ok(slot.map(|s| s.uri))
            });
            if let Ok(Some(uri)) = uri {
                f(uri.as_str());
            }
        }
    }

    /// The URIs that start with `prefix`, sorted.
    #[cfg(feature = "alloc")]
    pub fn list(&self, prefix: &str) -> alloc::vec::Vec<alloc::string::String> {
        let mut uris = alloc::vec::Vec::new();
        self.for_each_uri(prefix, |uri| uris.push(alloc::string::String::from(uri)));
        uris.sort();
        uris
    }

    /// The value of `uri` as an owned vector.
    #[cfg(feature = "alloc")]
    pub fn value(&self, uri: &str) -> Result<alloc::vec::Vec<u8>, StoreError> {
        self.with_value(uri, |value, _| value.to_vec())
    }

    /// Restore the saved resources into this (empty) store, then save
    /// every later change. `Ok(false)`: nothing was saved yet (or the
    /// store is not persisted). A damaged image leaves the store empty
    /// and is an error; it is replaced by the next save.
    pub fn load(&self) -> Result<bool, StoreError> {
        let Some(backing) = self.backing else { return Ok(false) };
        if !self.is_empty() {
            return Err(StoreError::NotEmpty);
        }
        let found = persist::verify::<N, U, V>(backing)?;
        self.with(|inner| {
            if inner.count != 0 {
                return Err(StoreError::NotEmpty);
            }
            if found {
                if let Err(e) = persist::fill(backing, inner) {
                    inner.clear();
                    return Err(e.into());
                }
            }
            inner.armed = true;
            inner.generation = inner.generation.wrapping_add(1);
            Ok(())
        })?;
        Ok(found)
    }

    /// Save the whole store now (changes are saved automatically once
    /// [`ResourceStore::load`] ran). Without a backing this does nothing.
    pub fn save(&self) -> Result<(), StoreError> {
        let Some(backing) = self.backing else { return Ok(()) };
        let mut image = |sink: &mut persist::Sink<'_>| {
            self.with(|inner| persist::encode(inner, sink).map_err(StoreError::Persist))
                .map_err(|e| match e {
                    StoreError::Persist(p) => p,
                    _ => PersistError::Io,
                })
        };
        backing.save(&mut image).map_err(StoreError::Persist)
    }

    // ----- Pycom's names, for code ported from `network.HTTP_Server` -----

    /// Pycom's `add_resource`: the same as [`ResourceStore::add`].
    pub fn add_resource<'u>(
        &self,
        uri: &'u str,
        media: MediaType,
        value: &[u8],
    ) -> Result<ResourceRef<'_, 'u, N, U, V>, StoreError> {
        self.add(uri, media, value)
    }

    /// Pycom's `get_resource`: the same as [`ResourceStore::resource`].
    pub fn get_resource<'u>(&self, uri: &'u str) -> Result<ResourceRef<'_, 'u, N, U, V>, StoreError> {
        self.resource(uri)
    }

    /// Pycom's `list_resource`: the same as [`ResourceStore::list`].
    #[cfg(feature = "alloc")]
    pub fn list_resource(&self, prefix: &str) -> alloc::vec::Vec<alloc::string::String> {
        self.list(prefix)
    }

    /// Pycom's `remove_resource`: the same as [`ResourceStore::remove`].
    pub fn remove_resource(&self, uri: &str) -> Result<(), StoreError> {
        self.remove(uri)
    }

    /// Pycom's `register_request_handler`: the same as [`ResourceStore::register`].
    pub fn register_request_handler(
        &self,
        uri: &str,
        methods: Methods,
        callback: Option<Callback>,
    ) -> Result<(), StoreError> {
        self.register(uri, methods, callback)
    }

    // ----- for the request handler -----

    /// The published resource whose URI is the (percent-decoded) `path`.
    pub(crate) fn lookup(&self, path: &str) -> Option<Found<U>> {
        let path = Encoded::path(path);
        self.with(|inner| {
            let i = inner
                .slots
                .iter()
                .position(|s| s.used && path.eq_decoded(s.uri.as_str()))
                .ok_or(StoreError::NotFound)?;
            let slot = inner.slots.get(i).ok_or(StoreError::NotFound)?;
            Ok(Found {
                uri: slot.uri,
                media: slot.media,
                methods: slot.methods,
                callback: inner.callback_for(i),
            })
        })
        .ok()
    }

    /// Copy value bytes of `uri` from `offset` into `dst`: returns how
    /// many, the whole length, the media type and the store's generation.
    pub(crate) fn copy_value(
        &self,
        uri: &str,
        offset: usize,
        dst: &mut [u8],
    ) -> Result<(usize, usize, MediaType, u32), StoreError> {
        self.with(|inner| {
            let slot = inner.slot(uri)?;
            let rest = slot.value().get(offset..).unwrap_or(&[]);
            let n = rest.len().min(dst.len());
            if let (Some(d), Some(s)) = (dst.get_mut(..n), rest.get(..n)) {
                d.copy_from_slice(s);
            }
            Ok((n, slot.value_len, slot.media, inner.generation))
        })
    }

    /// PUT: a new value, and the media type if one was given.
    pub(crate) fn put(&self, uri: &str, media: Option<MediaType>, value: &[u8]) -> Result<(), StoreError> {
        self.change(|inner| {
            let slot = inner.slot_mut(uri)?;
            slot.set_value(value)?;
            if let Some(media) = media {
                slot.media = media;
            }
            Ok(())
        })
    }

    /// POST: a sub-resource `<uri>/<id>` holding `value`, answering the
    /// parent's methods with the parent's callback. Ids count up from
    /// [`FIRST_ID`] per parent and are never given twice while the parent
    /// exists, even after the sub-resource was deleted.
    pub(crate) fn post(&self, uri: &str, media: Option<MediaType>, value: &[u8]) -> Result<UriBuf<U>, StoreError> {
        self.change(|inner| {
            let parent = inner.slot(uri)?;
            let (methods, parent_media, first) = (parent.methods, parent.media, parent.next_id.max(FIRST_ID));
            if inner.count >= inner.limit {
                return Err(StoreError::Full);
            }
            if value.len() > V {
                return Err(StoreError::ValueTooLarge);
            }
            let mut id = first;
            let child = loop {
                if id > LAST_ID {
                    return Err(StoreError::Full);
                }
                let child = child_uri::<U>(uri, id)?;
                if inner.find(child.as_str()).is_none() {
                    break child;
                }
                id = id.saturating_add(1);
            };
            inner.slot_mut(uri)?.next_id = id.saturating_add(1);
            let slot = inner.insert(child.as_str(), media.unwrap_or(parent_media), value)?;
            slot.methods = methods;
            slot.created = true;
            Ok(child)
        })
    }
}

/// `<uri>/<id>`, with `id` in five digits.
fn child_uri<const U: usize>(uri: &str, id: u32) -> Result<UriBuf<U>, StoreError> {
    let mut buf = UriBuf::<U>::copy_of(uri).ok_or(StoreError::UriTooLong)?;
    let mut digits = [b'/', 0, 0, 0, 0, 0];
    let mut n = id;
    for d in digits.iter_mut().skip(1).rev() {
        *d = char::from_digit(n % 10, 10).map_or(b'0', |c| c as u8);
        n /= 10;
    }
    if !buf.push(&digits) {
        return Err(StoreError::UriTooLong);
    }
    Ok(buf)
}

impl<'s, 'u, const N: usize, const U: usize, const V: usize> ResourceRef<'s, 'u, N, U, V> {
    /// The resource's URI.
    pub fn uri(&self) -> &'u str {
        self.uri
    }

    /// Choose the methods and callback (see [`ResourceStore::register`]).
    pub fn register(self, methods: Methods, callback: Option<Callback>) -> Result<Self, StoreError> {
        self.store.register(self.uri, methods, callback)?;
        Ok(self)
    }

    /// Pycom's `res.register_request_handler`: the same as [`ResourceRef::register`].
    pub fn register_request_handler(self, methods: Methods, callback: Option<Callback>) -> Result<Self, StoreError> {
        self.register(methods, callback)
    }

    /// Media type, methods and value length (see [`ResourceStore::info`]).
    pub fn info(&self) -> Result<Info, StoreError> {
        self.store.info(self.uri)
    }

    /// Copy the value into `buf` (see [`ResourceStore::read_value`]).
    pub fn read_value<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], StoreError> {
        self.store.read_value(self.uri, buf)
    }

    /// Replace the value (Pycom's `res.value(new)`).
    pub fn set_value(&self, value: &[u8]) -> Result<(), StoreError> {
        self.store.set_value(self.uri, value)
    }

    /// Replace the value and the media type.
    pub fn set(&self, media: MediaType, value: &[u8]) -> Result<(), StoreError> {
        self.store.set(self.uri, media, value)
    }

    /// Remove the resource (see [`ResourceStore::remove`]).
    pub fn remove(self) -> Result<(), StoreError> {
        self.store.remove(self.uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_get_list_remove() {
        let store = ResourceStore::<4, 16, 8>::new();
        store
            .add("/a", MediaType::Plain, b"1")
            .unwrap()
            .register(Methods::GET, None)
            .unwrap();
        assert_eq!(
            store.add("/a", MediaType::Plain, b"").err(),
            Some(StoreError::Duplicate)
        );
        assert_eq!(store.add("a", MediaType::Plain, b"").err(), Some(StoreError::BadUri));
        assert_eq!(store.add("/a?x", MediaType::Plain, b"").err(), Some(StoreError::BadUri));
        assert_eq!(
            store.add("/0123456789abcdefg", MediaType::Plain, b"").err(),
            Some(StoreError::UriTooLong)
        );
        assert_eq!(
            store.add("/big", MediaType::Plain, b"123456789").err(),
            Some(StoreError::ValueTooLarge)
        );
        store.add("/a/b", MediaType::Json, b"{}").unwrap();
        store.add("/c", MediaType::Json, b"{}").unwrap();
        store.add("/d", MediaType::Json, b"{}").unwrap();
        assert_eq!(store.add("/e", MediaType::Json, b"{}").err(), Some(StoreError::Full));
        let mut seen = std::vec::Vec::new();
        store.for_each_uri("/a", |u| seen.push(std::string::String::from(u)));
        assert_eq!(seen, ["/a", "/a/b"]);
        store.set_value("/a", b"22").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(store.read_value("/a", &mut buf).unwrap(), b"22");
        let mut small = [0u8; 1];
        assert_eq!(
            store.read_value("/a", &mut small).err(),
            Some(StoreError::ValueTooLarge)
        );
        store.remove("/a").unwrap();
        assert_eq!(store.remove("/a"), Err(StoreError::NotFound));
        assert_eq!(store.len(), 3);
        assert_eq!(
            store.with_value("/c", |_, _| store.len()),
            Ok(0),
            "re-entry is refused, not a panic"
        );
    }

    #[test]
    fn pycom_defaults_and_max_uri() {
        let store = ResourceStore::<4, 16, 8>::new();
        let res = store.add_default("/r").unwrap();
        assert_eq!(
            res.info().unwrap(),
            Info {
                media: MediaType::Html,
                methods: Methods::NONE,
                len: 1
            }
        );
        let mut buf = [0u8; 8];
        assert_eq!(res.read_value(&mut buf).unwrap(), b"0");
        res.register_request_handler(Methods::ALL, None).unwrap();
        assert_eq!(store.max_uri(), 4);
        assert_eq!(store.set_max_uri(2), 2);
        store.add_resource("/s", MediaType::Plain, b"").unwrap();
        assert_eq!(store.add_default("/t").err(), Some(StoreError::Full));
        assert_eq!(
            store.post("/r", None, b"x").err(),
            Some(StoreError::Full),
            "POST is 507 at max_uri"
        );
        assert_eq!(store.set_max_uri(99), 4, "never above the capacity");
        assert_eq!(store.post("/r", None, b"x").unwrap().as_str(), "/r/10000");
        store.remove_resource("/s").unwrap();
        assert_eq!(store.get_resource("/s").err(), Some(StoreError::NotFound));
    }

    #[test]
    fn post_ids_are_never_reused() {
        let store = ResourceStore::<8, 24, 8>::new();
        store
            .add("/r", MediaType::Plain, b"")
            .unwrap()
            .register(Methods::ALL, None)
            .unwrap();
        let a = store.post("/r", None, b"x").unwrap();
        assert_eq!(a.as_str(), "/r/10000");
        store.remove(a.as_str()).unwrap();
        let b = store.post("/r", Some(MediaType::Json), b"y").unwrap();
        assert_eq!(b.as_str(), "/r/10001");
        assert_eq!(store.info("/r/10001").unwrap().media, MediaType::Json);
        store.add("/r/10002", MediaType::Plain, b"").unwrap();
        assert_eq!(store.post("/r", None, b"z").unwrap().as_str(), "/r/10003");
        let long = ResourceStore::<8, 12, 8>::new();
        long.add("/abcdefgh", MediaType::Plain, b"").unwrap();
        assert_eq!(long.post("/abcdefgh", None, b"").err(), Some(StoreError::UriTooLong));
    }
}

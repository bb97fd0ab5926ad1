//! Keeping a resource store across restarts.
//!
//! The store writes itself as one *image* through a [`Persistence`]
//! backing, which must replace the previous image atomically: after a
//! crash at any moment, the backing holds the old image or the new one,
//! never a mix. [`FileBacking`] (with `std`) writes a temporary file and
//! renames it over the old one; on a device, `FlashBacking` (feature
//! `flash-store`) alternates between two NOR flash sectors and writes a
//! copy's header once the copy is complete — the trait asks for nothing
//! more than that.
//!
//! Image format (little-endian): `FDRS`, version `1`, three zero bytes;
//! then per resource a 16-byte header (URI length `u16`, media code `u8`,
//! flags `u8`, methods `u8`, three zero bytes, next POST id `u32`, value
//! length `u32`), the URI and the value; then a header with URI length 0;
//! then an FNV-1a checksum (`u32`) of everything before it. Callbacks are
//! code, not data: register them again after loading.

use super::error::PersistError;
use super::media::{MediaType, Methods};
use super::table::{check_uri, Inner, UriBuf};

/// Where an image is written, piece by piece.
pub type Sink<'a> = dyn FnMut(&[u8]) -> Result<(), PersistError> + 'a;
/// Writes a whole image into the sink it is given.
pub type ImageWriter<'a> = dyn FnMut(&mut Sink<'_>) -> Result<(), PersistError> + 'a;

/// Storage for the image of a resource store.
pub trait Persistence {
    /// Replace the stored image with the one `write_image` produces. All
    /// or nothing: if this fails, or the device loses power at any point,
    /// [`Persistence::read_at`] afterwards reads either the complete old
    /// image or the complete new one. `write_image` runs while the store
    /// is locked: buffer its pieces, write them after it returns (a
    /// backing without a heap, like the flash one, writes them as they
    /// come, and erases before).
    fn save(&self, write_image: &mut ImageWriter<'_>) -> Result<(), PersistError>;

    /// Read the current image from `offset` into `buf`; `Ok(0)` at its end
    /// (or at once when nothing was ever saved).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, PersistError>;
}

const MAGIC: [u8; 8] = *b"FDRS\x01\0\0\0";
const HEADER: usize = 16;
const CREATED: u8 = 1;

/// FNV-1a, 32 bits: enough to tell a damaged image from a good one.
/// The flash backing checks its copies with it too, the portal its image.
pub(crate) struct Fnv(pub(crate) u32);

impl Fnv {
    pub(crate) const fn new() -> Self {
        Fnv(0x811c_9dc5)
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    }
}

struct Record {
    uri_len: usize,
    media: MediaType,
    created: bool,
    methods: Methods,
    next_id: u32,
    value_len: usize,
}

fn header(
    uri_len: usize,
    media: MediaType,
    created: bool,
    methods: Methods,
    next_id: u32,
    value_len: usize,
) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    let uri_len = u16::try_from(uri_len).unwrap_or(u16::MAX).to_le_bytes();
    let value_len = u32::try_from(value_len).unwrap_or(u32::MAX).to_le_bytes();
    let fields: [(usize, &[u8]); 6] = [
        (0, &uri_len),
        (2, &[media.code()]),
        (3, &[if created { CREATED } else { 0 }]),
        (4, &[methods.0]),
        (8, &next_id.to_le_bytes()),
        (12, &value_len),
    ];
    for (at, bytes) in fields {
        if let Some(dst) = h.get_mut(at..).and_then(|d| d.get_mut(..bytes.len())) {
            dst.copy_from_slice(bytes);
        }
    }
    h
}

fn le_u32(h: &[u8; HEADER], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(src) = h.get(at..).and_then(|s| s.get(..4)) {
        b.copy_from_slice(src);
    }
    u32::from_le_bytes(b)
}

/// `None` for the end marker.
fn parse(h: &[u8; HEADER]) -> Result<Option<Record>, PersistError> {
    let uri_len = usize::from(u16::from_le_bytes([h[0], h[1]]));
    if uri_len == 0 {
        return Ok(None);
    }
    let media = MediaType::from_code(h[2]).ok_or(PersistError::Corrupt)?;
    Ok(Some(Record {
        uri_len,
        media,
        created: h[3] & CREATED != 0,
        methods: Methods(h[4] & 15),
        next_id: le_u32(h, 8),
        value_len: usize::try_from(le_u32(h, 12)).map_err(|_| PersistError::DoesNotFit)?,
    }))
}

/// Write the image of `inner` into `sink`.
pub(crate) fn encode<const N: usize, const U: usize, const V: usize>(
    inner: &Inner<N, U, V>,
    sink: &mut Sink<'_>,
) -> Result<(), PersistError> {
    let mut sum = Fnv::new();
    let mut put = |bytes: &[u8]| -> Result<(), PersistError> {
        sum.update(bytes);
        sink(bytes)
    };
    put(&MAGIC)?;
    for slot in inner.slots.iter().filter(|s| s.used) {
        put(&header(
            slot.uri.as_bytes().len(),
            slot.media,
            slot.created,
            slot.methods,
            slot.next_id,
            slot.value_len,
        ))?;
        put(slot.uri.as_bytes())?;
        put(slot.value())?;
    }
    put(&[0u8; HEADER])?;
    let checksum = sum.0.to_le_bytes();
    sink(&checksum)
}

fn read_exact(backing: &dyn Persistence, offset: u64, buf: &mut [u8]) -> Result<(), PersistError> {
    let mut done = 0;
    while done < buf.len() {
        let rest = buf.get_mut(done..).unwrap_or(&mut []);
        let n = backing.read_at(offset.saturating_add(done as u64), rest)?;
        if n == 0 {
            return Err(PersistError::Corrupt);
        }
        done = done.saturating_add(n.min(rest.len()));
    }
    Ok(())
}

/// Check the saved image: its magic, that every record fits a store of
/// these capacities, and its checksum. `Ok(false)` when there is none.
pub(crate) fn verify<const N: usize, const U: usize, const V: usize>(
    backing: &dyn Persistence,
) -> Result<bool, PersistError> {
    let mut magic = [0u8; 8];
    if backing.read_at(0, &mut magic)? == 0 {
        return Ok(false);
    }
    read_exact(backing, 0, &mut magic)?;
    if magic != MAGIC {
        return Err(PersistError::Corrupt);
    }
    let mut sum = Fnv::new();
    sum.update(&magic);
    let mut at = MAGIC.len() as u64;
    let mut count = 0usize;
    loop {
        let mut h = [0u8; HEADER];
        read_exact(backing, at, &mut h)?;
        sum.update(&h);
        at = at.saturating_add(HEADER as u64);
        let Some(record) = parse(&h)? else { break };
        count = count.saturating_add(1);
        if count > N || record.uri_len > U || record.value_len > V {
            return Err(PersistError::DoesNotFit);
        }
        let mut rest = record.uri_len.saturating_add(record.value_len);
        let mut piece = [0u8; 64];
        while rest > 0 {
            let n = rest.min(piece.len());
            let buf = piece.get_mut(..n).unwrap_or(&mut []);
            read_exact(backing, at, buf)?;
            sum.update(buf);
            at = at.saturating_add(n as u64);
            rest = rest.saturating_sub(n);
        }
    }
    let mut checksum = [0u8; 4];
    read_exact(backing, at, &mut checksum)?;
    if u32::from_le_bytes(checksum) != sum.0 {
        return Err(PersistError::Corrupt);
    }
    Ok(true)
}

/// Read a verified image into the empty store `inner`.
pub(crate) fn fill<const N: usize, const U: usize, const V: usize>(
    backing: &dyn Persistence,
    inner: &mut Inner<N, U, V>,
) -> Result<(), PersistError> {
    let mut at = MAGIC.len() as u64;
    loop {
        let mut h = [0u8; HEADER];
        read_exact(backing, at, &mut h)?;
        at = at.saturating_add(HEADER as u64);
        let Some(r) = parse(&h)? else { return Ok(()) };
        let mut uri = UriBuf::<U>::new();
        read_exact(backing, at, uri.fill(r.uri_len).ok_or(PersistError::DoesNotFit)?)?;
        at = at.saturating_add(r.uri_len as u64);
        if core::str::from_utf8(uri.as_bytes()).is_err() || check_uri::<U>(uri.as_str()).is_err() {
            return Err(PersistError::Corrupt);
        }
        if inner.slots.iter().any(|s| s.used && s.uri.as_str() == uri.as_str()) {
            return Err(PersistError::Corrupt);
        }
        let slot = inner.take_free().map_err(|_| PersistError::DoesNotFit)?;
        slot.uri = uri;
        slot.media = r.media;
        slot.created = r.created;
        slot.methods = r.methods;
        slot.next_id = r.next_id;
        read_exact(
            backing,
            at,
            slot.value.get_mut(..r.value_len).ok_or(PersistError::DoesNotFit)?,
        )?;
        slot.value_len = r.value_len;
        at = at.saturating_add(r.value_len as u64);
    }
}

/// A store kept in a file (feature `std`): each save writes
/// `<file>.tmp`, syncs it and renames it over the file, so the file is
/// always a whole image. A stale `.tmp` from a crash is ignored.
#[cfg(feature = "std")]
pub struct FileBacking {
    path: std::path::PathBuf,
    /// The image read by `load`, kept while it reads it piece by piece.
    cache: std::sync::Mutex<Option<std::vec::Vec<u8>>>,
    /// One save at a time (they share the temporary file).
    saving: std::sync::Mutex<()>,
}

#[cfg(feature = "std")]
impl FileBacking {
    /// A backing that keeps the image in the file at `path` (written through
    /// `<path>.tmp`).
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        FileBacking {
            path: path.into(),
            cache: std::sync::Mutex::new(None),
            saving: std::sync::Mutex::new(()),
        }
    }

    /// A backing that lives as long as the program, for
    /// [`super::ResourceStore::persisted`].
    pub fn leak(path: impl Into<std::path::PathBuf>) -> &'static FileBacking {
        std::boxed::Box::leak(std::boxed::Box::new(FileBacking::new(path)))
    }

    /// The file the image is kept in.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    fn temp_path(&self) -> std::path::PathBuf {
        let mut name = self.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".tmp");
        self.path.with_file_name(name)
    }

    fn write_atomically(&self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let temp = self.temp_path();
        let written = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&temp, &self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
            return written;
        }
        // Make the rename itself durable (best effort: not every platform
        // can open a directory).
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

#[cfg(feature = "std")]
impl Persistence for FileBacking {
    fn save(&self, write_image: &mut ImageWriter<'_>) -> Result<(), PersistError> {
        let _one_at_a_time = self.saving.lock().unwrap_or_else(|e| e.into_inner());
        let mut image = std::vec::Vec::new();
        write_image(&mut |bytes: &[u8]| {
            image.extend_from_slice(bytes);
            Ok(())
        })?;
        self.write_atomically(&image).map_err(|_| PersistError::Io)?;
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, PersistError> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.is_none() {
            *cache = Some(match std::fs::read(&self.path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::vec::Vec::new(),
                Err(_) => return Err(PersistError::Io),
            });
        }
        let image = cache.as_deref().unwrap_or(&[]);
        let from = usize::try_from(offset).unwrap_or(usize::MAX);
        let rest = image.get(from..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::resource::{ResourceStore, StoreError};

    // Room for the test's store with short values, not with a 64-byte one.
    const SECTOR: usize = 128;

    /// What a device would do: two flash sectors and a byte saying which
    /// one holds the current image. A save writes the other sector and
    /// flips the byte last, so a failed save leaves the old image.
    struct TwoSectors {
        state: Mutex<Sectors>,
    }

    struct Sectors {
        data: [[u8; SECTOR]; 2],
        len: [usize; 2],
        current: Option<usize>,
    }

    impl TwoSectors {
        const fn new() -> Self {
            TwoSectors {
                state: Mutex::new(Sectors {
                    data: [[0; SECTOR]; 2],
                    len: [0; 2],
                    current: None,
                }),
            }
        }
    }

    impl Persistence for TwoSectors {
        fn save(&self, write_image: &mut ImageWriter<'_>) -> Result<(), PersistError> {
            let mut s = self.state.lock().unwrap();
            let target = s.current.map_or(0, |c| 1 - c);
            let mut len = 0;
            let sector = &mut s.data[target];
            write_image(&mut |bytes: &[u8]| {
                let dst = sector.get_mut(len..len + bytes.len()).ok_or(PersistError::Io)?;
                dst.copy_from_slice(bytes);
                len += bytes.len();
                Ok(())
            })?;
            s.len[target] = len;
            s.current = Some(target);
            Ok(())
        }

        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, PersistError> {
            let s = self.state.lock().unwrap();
            let Some(c) = s.current else { return Ok(0) };
            let image = &s.data[c][..s.len[c]];
            let rest = image.get(offset as usize..).unwrap_or(&[]);
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            Ok(n)
        }
    }

    static FLASH: TwoSectors = TwoSectors::new();

    #[test]
    fn a_flash_like_backing_keeps_the_store_without_a_heap() {
        let store = ResourceStore::<4, 16, 64>::new().persisted(&FLASH);
        assert_eq!(store.load(), Ok(false));
        store
            .add("/a", MediaType::Plain, b"one")
            .unwrap()
            .register(Methods::GET | Methods::POST, None)
            .unwrap();
        let child = store.post("/a", Some(MediaType::Json), b"[1]").unwrap();
        store.set_value("/a", b"two").unwrap();

        // "Reboot": a new store reads what the last save wrote.
        let again = ResourceStore::<4, 16, 64>::new().persisted(&FLASH);
        assert_eq!(again.load(), Ok(true));
        let mut buf = [0u8; 64];
        assert_eq!(again.read_value("/a", &mut buf).unwrap(), b"two");
        assert_eq!(again.info(child.as_str()).unwrap().media, MediaType::Json);
        assert_eq!(again.info("/a").unwrap().methods, Methods::GET | Methods::POST);
        // The POST counter came back too.
        assert_eq!(again.post("/a", None, b"").unwrap().as_str(), "/a/10001");

        // A save that does not fit fails as a whole: the change stays in
        // memory, reported; the backing still holds the previous image.
        let big = [b'x'; 64];
        assert!(matches!(
            again.set_value("/a", &big),
            Err(StoreError::Persist(PersistError::Io))
        ));
        let mut buf = [0u8; 64];
        assert_eq!(again.read_value("/a", &mut buf).unwrap(), &big[..]);
        let third = ResourceStore::<4, 16, 64>::new().persisted(&FLASH);
        assert_eq!(third.load(), Ok(true));
        assert_eq!(third.read_value("/a", &mut buf).unwrap(), b"two");
        assert_eq!(third.len(), 3);

        // A store with smaller capacities refuses the image.
        let small = ResourceStore::<2, 16, 64>::new().persisted(&FLASH);
        assert_eq!(small.load(), Err(StoreError::Persist(PersistError::DoesNotFit)));
        assert!(small.is_empty());
    }
}

//! A [`Persistence`] backing over two NOR flash sectors (feature
//! `flash-store`), for any driver of the `embedded-storage` 0.3 traits.
//!
//! Design: the two sectors (each a multiple of the flash's `ERASE_SIZE`,
//! one after the other from the offset the caller gives) each hold one
//! copy of the image. A copy is a header at the sector's start, padded to
//! `WRITE_SIZE`, then the image, its tail padded with `0xFF`. The header
//! (little-endian, 16 bytes): `FDFS`, a sequence number (`u32`), the image
//! length (`u32`), FNV-1a (`u32`) of the image, the sequence number and the
//! length.
//!
//! - `save` erases the sector that does not hold the newest valid copy,
//!   writes the image (through a 64-byte stack buffer, in `WRITE_SIZE`
//!   units), then the header with the sequence number plus one. The header
//!   is written last: until it is complete, the sector reads as erased or
//!   fails its checksum, and the other copy is untouched — a power cut at
//!   any moment leaves the old image or the new one.
//! - `read_at` serves the newest copy (sequence numbers compared with
//!   wrapping) whose header and checksum are valid; none is `Ok(0)`,
//!   nothing saved. A header that claims more than the sector holds is
//!   invalid, and so is a sector the flash cannot read (an ECC error after
//!   a torn write); no flash content makes it panic. The copy found is
//!   kept (next to the flash, under the same mutex) until the next save.
//!
//! Each flash operation runs in its own critical section (the flash sits in
//! a `critical_section::Mutex`), an erase one `ERASE_SIZE` unit at a time.
//! The erase comes before the image is asked for; the image itself is
//! written while the resource store holds its lock, since without a heap
//! it cannot be buffered whole.

use core::cell::RefCell;

use critical_section::Mutex;
use embedded_storage::nor_flash::NorFlash;

use super::error::PersistError;
use super::persist::{Fnv, ImageWriter, Persistence};

const MAGIC: [u8; 4] = *b"FDFS";
const HEADER: usize = 16;
/// The stack buffer reads and writes go through, so also the largest
/// `READ_SIZE` and `WRITE_SIZE` supported.
const BUF: usize = 64;
const ERASED: u8 = 0xFF;

/// Resource-store (or portal) persistence in two sectors of NOR flash:
/// power-fail safe, no heap. `flash` is the driver, `offset` the start of
/// the first sector, `sector_size` the size of each (a multiple of the
/// flash's `ERASE_SIZE`); the second sector follows the first. An image
/// larger than [`FlashBacking::capacity`] is [`PersistError::DoesNotFit`];
/// a flash error, a layout the flash cannot address, or a save while
/// another runs is [`PersistError::Io`].
///
/// ```
/// use embedded_storage::nor_flash::{ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash};
/// use ferrodot::resource::{FlashBacking, MediaType, Methods, ResourceStore};
///
/// // Stands for the chip's flash driver: 8 KiB, two 4 KiB erase units.
/// struct Chip([u8; 8192]);
/// impl ErrorType for Chip {
///     type Error = NorFlashErrorKind;
/// }
/// impl ReadNorFlash for Chip {
///     const READ_SIZE: usize = 1;
///     fn read(&mut self, at: u32, out: &mut [u8]) -> Result<(), Self::Error> {
///         let at = at as usize;
///         out.copy_from_slice(&self.0[at..at + out.len()]);
///         Ok(())
///     }
///     fn capacity(&self) -> usize {
///         self.0.len()
///     }
/// }
/// impl NorFlash for Chip {
///     const WRITE_SIZE: usize = 4;
///     const ERASE_SIZE: usize = 4096;
///     fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
///         self.0[from as usize..to as usize].fill(0xFF);
///         Ok(())
///     }
///     fn write(&mut self, at: u32, data: &[u8]) -> Result<(), Self::Error> {
///         self.0[at as usize..].iter_mut().zip(data).for_each(|(cell, b)| *cell &= b);
///         Ok(())
///     }
/// }
///
/// static FLASH: FlashBacking<Chip> = FlashBacking::new(Chip([0xFF; 8192]), 0, 4096);
/// static STORE: ResourceStore<4, 16, 64> = ResourceStore::new().persisted(&FLASH);
///
/// assert_eq!(STORE.load(), Ok(false)); // erased flash: first boot
/// STORE.add("/name", MediaType::Plain, b"camera")?.register(Methods::GET, None)?; // saved
/// assert!(FLASH.capacity() > 4000);
/// # Ok::<(), ferrodot::resource::StoreError>(())
/// ```
///
/// Each sector holds one copy: a header (sequence number, length,
/// checksum) written after the image. A save erases the sector without
/// the newest valid copy and writes there, so the other stays whole until
/// the new header is; reads serve the newest copy whose header and
/// checksum hold, and erased flash reads as nothing saved. A sector the
/// flash cannot read counts as holding no copy. Every flash operation
/// runs in a critical section of its own (an erase one `ERASE_SIZE` unit
/// at a time); the image is written while the store holds its lock.
/// `READ_SIZE` and `WRITE_SIZE` may be up to 64 bytes.
pub struct FlashBacking<F> {
    state: Mutex<RefCell<State<F>>>,
    base: u32,
    sector: u32,
}

struct State<F> {
    flash: F,
    /// The copy `read_at` serves, once found; dropped by every save.
    current: Option<Option<Found>>,
    saving: bool,
    /// Counts saves begun and ended, so that a scan that raced a save is
    /// not cached.
    generation: u32,
}

/// A valid copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Found {
    /// The flash address of its sector.
    start: u32,
    seq: u32,
    len: u32,
}

/// The addresses and sizes, checked against the flash's constants.
#[derive(Clone, Copy)]
struct Layout {
    starts: [u32; 2],
    sector: u32,
    erase: u32,
    /// Where the image starts in a sector: the header rounded up to `WRITE_SIZE`.
    slot: u32,
    /// The largest image.
    room: u32,
    /// The bytes written at once: the most whole `WRITE_SIZE` units in `BUF`.
    chunk: usize,
}

fn round_up(n: usize, to: usize) -> Option<usize> {
    n.checked_add(to.checked_sub(1)?)?.checked_div(to)?.checked_mul(to)
}

fn multiple(n: u32, of: u32) -> bool {
    of != 0 && n.checked_rem(of) == Some(0)
}

/// The flash address `n` bytes after `at`.
fn advance(at: u32, n: usize) -> Result<u32, PersistError> {
    u32::try_from(n)
        .ok()
        .and_then(|n| at.checked_add(n))
        .ok_or(PersistError::Io)
}

/// `a` was written after `b` (sequence numbers wrap).
fn newer(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < 0x8000_0000
}

impl<F: NorFlash> FlashBacking<F> {
    /// A backing in the sectors at `offset` and `offset + sector_size` of
    /// `flash` (`const`, so it can be a `static`). The layout is checked
    /// when it is used: a bad one makes every call fail with
    /// [`PersistError::Io`].
    pub const fn new(flash: F, offset: u32, sector_size: u32) -> Self {
        FlashBacking {
            state: Mutex::new(RefCell::new(State {
                flash,
                current: None,
                saving: false,
                generation: 0,
            })),
            base: offset,
            sector: sector_size,
        }
    }

    /// The largest image this backing keeps: the sector size minus the
    /// header (0 if the layout does not suit the flash).
    pub fn capacity(&self) -> usize {
        self.layout()
            .ok()
            .and_then(|l| usize::try_from(l.room).ok())
            .unwrap_or(0)
    }

    fn layout(&self) -> Result<Layout, PersistError> {
        let size = |n: usize| u32::try_from(n).map_err(|_| PersistError::Io);
        let (read, write, erase) = (size(F::READ_SIZE)?, size(F::WRITE_SIZE)?, size(F::ERASE_SIZE)?);
        let fits = |n: u32| n != 0 && n as usize <= BUF;
        if !fits(read) || !fits(write) || !multiple(erase, read) || !multiple(erase, write) {
            return Err(PersistError::Io);
        }
        if !multiple(self.sector, erase) || !multiple(self.base, erase) {
            return Err(PersistError::Io);
        }
        let second = self.base.checked_add(self.sector).ok_or(PersistError::Io)?;
        let end = second.checked_add(self.sector).ok_or(PersistError::Io)?;
        // Both sectors on the chip: with one only, saves would still "work".
        let chip = self.with_state(|s| s.flash.capacity())?;
        if usize::try_from(end).map_err(|_| PersistError::Io)? > chip {
            return Err(PersistError::Io);
        }
        let slot = size(round_up(HEADER, F::WRITE_SIZE).ok_or(PersistError::Io)?)?;
        let room = self.sector.checked_sub(slot).ok_or(PersistError::Io)?;
        let chunk = BUF
            .checked_div(F::WRITE_SIZE)
            .and_then(|n| n.checked_mul(F::WRITE_SIZE))
            .ok_or(PersistError::Io)?;
        Ok(Layout {
            starts: [self.base, second],
            sector: self.sector,
            erase,
            slot,
            room,
            chunk,
        })
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State<F>) -> R) -> Result<R, PersistError> {
        critical_section::with(|cs| match self.state.borrow(cs).try_borrow_mut() {
            Ok(mut state) => Ok(f(&mut state)),
            Err(_) => Err(PersistError::Io),
        })
    }

    /// Read `out.len()` bytes at `addr`, in `READ_SIZE`-aligned pieces.
    fn read(&self, addr: u32, out: &mut [u8]) -> Result<(), PersistError> {
        let unit = F::READ_SIZE;
        let most = BUF
            .checked_div(unit)
            .and_then(|n| n.checked_mul(unit))
            .ok_or(PersistError::Io)?;
        let mut done = 0usize;
        while let Some(rest) = out.get_mut(done..).filter(|r| !r.is_empty()) {
            let at = advance(addr, done)?;
            let skip = u32::try_from(unit)
                .ok()
                .and_then(|u| at.checked_rem(u))
                .ok_or(PersistError::Io)?;
            let start = at.checked_sub(skip).ok_or(PersistError::Io)?;
            let skip = skip as usize;
            let want = skip
                .checked_add(rest.len())
                .and_then(|n| round_up(n, unit))
                .ok_or(PersistError::Io)?
                .min(most);
            let mut buf = [0u8; BUF];
            let piece = buf.get_mut(..want).ok_or(PersistError::Io)?;
            self.with_state(|s| s.flash.read(start, piece))?
                .map_err(|_| PersistError::Io)?;
            let take = want.saturating_sub(skip).min(rest.len());
            let src = buf.get(skip..).and_then(|b| b.get(..take)).ok_or(PersistError::Io)?;
            rest.get_mut(..take).ok_or(PersistError::Io)?.copy_from_slice(src);
            if take == 0 {
                return Err(PersistError::Io);
            }
            done = done.saturating_add(take);
        }
        Ok(())
    }

    /// The copy in the sector at `start`, if its header and checksum hold.
    fn copy_at(&self, l: &Layout, start: u32) -> Result<Option<Found>, PersistError> {
        let mut h = [0u8; HEADER];
        self.read(start, &mut h)?;
        let word = |at: usize| {
            let mut w = [0u8; 4];
            if let Some(src) = h.get(at..).and_then(|s| s.get(..4)) {
                w.copy_from_slice(src);
            }
            w
        };
        let (seq, len, sum) = (word(4), word(8), word(12));
        let len_n = u32::from_le_bytes(len);
        if word(0) != MAGIC || len_n > l.room {
            return Ok(None);
        }
        let mut fnv = Fnv::new();
        let mut at = start.checked_add(l.slot).ok_or(PersistError::Io)?;
        let mut rest = len_n as usize;
        let mut piece = [0u8; BUF];
        while rest > 0 {
            let n = rest.min(BUF);
            let buf = piece.get_mut(..n).ok_or(PersistError::Io)?;
            self.read(at, buf)?;
            fnv.update(buf);
            at = advance(at, n)?;
            rest = rest.saturating_sub(n);
        }
        fnv.update(&seq);
        fnv.update(&len);
        if fnv.0.to_le_bytes() != sum {
            return Ok(None);
        }
        Ok(Some(Found {
            start,
            seq: u32::from_le_bytes(seq),
            len: len_n,
        }))
    }

    /// The newest valid copy. A sector the flash cannot read (an ECC error
    /// after a torn write) holds none; both unreadable is an error.
    fn newest(&self, l: &Layout) -> Result<Option<Found>, PersistError> {
        let [a, b] = l.starts;
        Ok(match (self.copy_at(l, a), self.copy_at(l, b)) {
            (Err(e), Err(_)) => return Err(e),
            (Ok(Some(a)), Ok(Some(b))) => Some(if newer(b.seq, a.seq) { b } else { a }),
            (a, b) => a.ok().flatten().or(b.ok().flatten()),
        })
    }

    /// The newest valid copy, scanned once and then kept until a save.
    fn current(&self, l: &Layout) -> Result<Option<Found>, PersistError> {
        let (cached, generation) = self.with_state(|s| (s.current, s.generation))?;
        if let Some(found) = cached {
            return Ok(found);
        }
        let found = self.newest(l)?;
        self.with_state(|s| {
            if !s.saving && s.generation == generation {
                s.current = Some(found);
            }
        })?;
        Ok(found)
    }

    fn write_copy(&self, l: &Layout, write_image: &mut ImageWriter<'_>) -> Result<(), PersistError> {
        let [first, second] = l.starts;
        let (start, seq) = match self.newest(l)? {
            Some(f) if f.start == first => (second, f.seq.wrapping_add(1)),
            Some(f) => (first, f.seq.wrapping_add(1)),
            None => (first, 1),
        };
        let end = start.checked_add(l.sector).ok_or(PersistError::Io)?;
        // One erase unit per critical section: interrupts stay off for
        // one unit's erase time at most.
        let mut at = start;
        while at < end {
            let next = at.checked_add(l.erase).ok_or(PersistError::Io)?;
            self.with_state(|s| s.flash.erase(at, next))?
                .map_err(|_| PersistError::Io)?;
            at = next;
        }
        let mut w = Writer {
            backing: self,
            at: start.checked_add(l.slot).ok_or(PersistError::Io)?,
            buf: [ERASED; BUF],
            fill: 0,
            chunk: l.chunk,
            room: l.room as usize,
            len: 0,
            sum: Fnv::new(),
        };
        write_image(&mut |bytes: &[u8]| w.put(bytes))?;
        w.flush()?;
        let len = u32::try_from(w.len).map_err(|_| PersistError::DoesNotFit)?;
        let mut sum = w.sum;
        sum.update(&seq.to_le_bytes());
        sum.update(&len.to_le_bytes());
        let mut header = [ERASED; BUF];
        let fields = [MAGIC, seq.to_le_bytes(), len.to_le_bytes(), sum.0.to_le_bytes()];
        for (dst, src) in header.chunks_exact_mut(4).zip(fields) {
            dst.copy_from_slice(&src);
        }
        let header = header.get(..l.slot as usize).ok_or(PersistError::Io)?;
        // Last: the copy counts from here on.
        self.with_state(|s| s.flash.write(start, header))?
            .map_err(|_| PersistError::Io)
    }
}

/// Writes the image after the header slot, a chunk at a time.
struct Writer<'b, F> {
    backing: &'b FlashBacking<F>,
    /// The flash address of the next chunk.
    at: u32,
    buf: [u8; BUF],
    fill: usize,
    chunk: usize,
    room: usize,
    len: usize,
    sum: Fnv,
}

impl<F: NorFlash> Writer<'_, F> {
    fn put(&mut self, mut bytes: &[u8]) -> Result<(), PersistError> {
        let len = self
            .len
            .checked_add(bytes.len())
            .filter(|&n| n <= self.room)
            .ok_or(PersistError::DoesNotFit)?;
        self.sum.update(bytes);
        self.len = len;
        while !bytes.is_empty() {
            let free = self.buf.get_mut(self.fill..self.chunk).ok_or(PersistError::Io)?;
            let n = free.len().min(bytes.len());
            let (now, later) = bytes.split_at(n);
            free.get_mut(..n).ok_or(PersistError::Io)?.copy_from_slice(now);
            self.fill = self.fill.saturating_add(n);
            bytes = later;
            if self.fill >= self.chunk {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Write what is buffered, the tail padded to `WRITE_SIZE` with `0xFF`
    /// (the erased value, so the padding changes no bit).
    fn flush(&mut self) -> Result<(), PersistError> {
        if self.fill == 0 {
            return Ok(());
        }
        let n = round_up(self.fill, F::WRITE_SIZE).ok_or(PersistError::Io)?;
        self.buf.get_mut(self.fill..n).ok_or(PersistError::Io)?.fill(ERASED);
        let data = self.buf.get(..n).ok_or(PersistError::Io)?;
        let at = self.at;
        self.backing
            .with_state(|s| s.flash.write(at, data))?
            .map_err(|_| PersistError::Io)?;
        self.at = advance(self.at, n)?;
        self.fill = 0;
        Ok(())
    }
}

impl<F: NorFlash> Persistence for FlashBacking<F> {
    fn save(&self, write_image: &mut ImageWriter<'_>) -> Result<(), PersistError> {
        let l = self.layout()?;
        self.with_state(|s| {
            if s.saving {
                return Err(PersistError::Io);
            }
            s.saving = true;
            s.current = None;
            s.generation = s.generation.wrapping_add(1);
            Ok(())
        })??;
        let saved = self.write_copy(&l, write_image);
        let ended = self.with_state(|s| {
            s.saving = false;
            s.current = None;
            s.generation = s.generation.wrapping_add(1);
        });
        saved.and(ended)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, PersistError> {
        let l = self.layout()?;
        let Some(found) = self.current(&l)? else {
            return Ok(0);
        };
        let Ok(offset) = u32::try_from(offset) else {
            return Ok(0);
        };
        let rest = usize::try_from(found.len.saturating_sub(offset)).unwrap_or(usize::MAX);
        let n = rest.min(buf.len());
        if n == 0 {
            return Ok(0);
        }
        let addr = found
            .start
            .checked_add(l.slot)
            .and_then(|a| a.checked_add(offset))
            .ok_or(PersistError::Io)?;
        self.read(addr, buf.get_mut(..n).ok_or(PersistError::Io)?)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::boxed::Box;
    use std::sync::{Arc, Mutex, MutexGuard};
    use std::vec;
    use std::vec::Vec;

    use embedded_storage::nor_flash::{
        check_erase, check_read, check_write, ErrorType, NorFlashErrorKind, ReadNorFlash,
    };

    use super::*;
    use crate::resource::{MediaType, Methods, ResourceStore, StoreError};

    const ERASE: usize = 128;
    const SIZE: usize = 1024;
    /// Two erase units per sector; the first sector at 256, not at 0.
    const SECTOR: u32 = 256;

    /// A NOR chip in RAM that can lose power after a number of bytes
    /// written or erased.
    #[derive(Clone)]
    struct Chip {
        bytes: Vec<u8>,
        /// Written since its last erase, per byte.
        written: Vec<bool>,
        /// Bytes it may still write or erase before the power goes.
        budget: Option<usize>,
        off: bool,
        /// Bytes written or erased so far.
        touched: usize,
        /// Reads touching these bytes fail (an ECC error).
        unreadable: core::ops::Range<usize>,
    }

    impl Chip {
        /// One byte written or erased; `false` when the power went first.
        fn spend(&mut self) -> bool {
            match self.budget {
                Some(0) => {
                    self.off = true;
                    false
                }
                Some(ref mut n) => {
                    *n -= 1;
                    self.touched += 1;
                    true
                }
                None => {
                    self.touched += 1;
                    true
                }
            }
        }
    }

    /// A handle on a chip: a "restart" is a new backing on a clone.
    #[derive(Clone)]
    struct Ram<const R: usize, const W: usize>(Arc<Mutex<Chip>>);

    impl<const R: usize, const W: usize> Ram<R, W> {
        fn new() -> Self {
            Ram(Arc::new(Mutex::new(Chip {
                bytes: vec![0xFF; SIZE],
                written: vec![false; SIZE],
                budget: None,
                off: false,
                touched: 0,
                unreadable: 0..0,
            })))
        }

        fn chip(&self) -> MutexGuard<'_, Chip> {
            self.0.lock().unwrap()
        }

        fn cut_after(&self, bytes: usize) {
            self.chip().budget = Some(bytes);
        }

        fn power_on(&self) {
            let mut chip = self.chip();
            chip.budget = None;
            chip.off = false;
        }
    }

    /// Out of bounds is the flash's error; misaligned is the backing's bug.
    fn refuse(checked: Result<(), NorFlashErrorKind>) -> Result<(), NorFlashErrorKind> {
        assert_ne!(checked, Err(NorFlashErrorKind::NotAligned));
        checked
    }

    impl<const R: usize, const W: usize> ErrorType for Ram<R, W> {
        type Error = NorFlashErrorKind;
    }

    impl<const R: usize, const W: usize> ReadNorFlash for Ram<R, W> {
        const READ_SIZE: usize = R;

        fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
            refuse(check_read(self, offset, bytes.len()))?;
            let chip = self.chip();
            if chip.off {
                return Err(NorFlashErrorKind::Other);
            }
            let at = offset as usize;
            let bad = &chip.unreadable;
            if at < bad.end && bad.start < at + bytes.len() {
                return Err(NorFlashErrorKind::Other);
            }
            bytes.copy_from_slice(&chip.bytes[at..at + bytes.len()]);
            Ok(())
        }

        fn capacity(&self) -> usize {
            SIZE
        }
    }

    impl<const R: usize, const W: usize> NorFlash for Ram<R, W> {
        const WRITE_SIZE: usize = W;
        const ERASE_SIZE: usize = ERASE;

        fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
            refuse(check_erase(self, from, to))?;
            let mut chip = self.chip();
            for at in from as usize..to as usize {
                if chip.off || !chip.spend() {
                    return Err(NorFlashErrorKind::Other);
                }
                chip.bytes[at] = 0xFF;
                chip.written[at] = false;
            }
            Ok(())
        }

        fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
            refuse(check_write(self, offset, bytes.len()))?;
            let mut chip = self.chip();
            let at = offset as usize;
            assert!(
                chip.written[at..at + bytes.len()].iter().all(|w| !w),
                "a word written twice since its erase, at {at}"
            );
            for (i, &b) in bytes.iter().enumerate() {
                if chip.off || !chip.spend() {
                    return Err(NorFlashErrorKind::Other);
                }
                let old = chip.bytes[at + i];
                assert_eq!(old & b, b, "NOR writes only clear bits (at {})", at + i);
                chip.bytes[at + i] = old & b;
                chip.written[at + i] = true;
            }
            Ok(())
        }
    }

    fn backing<const R: usize, const W: usize>(ram: &Ram<R, W>) -> &'static FlashBacking<Ram<R, W>> {
        Box::leak(Box::new(FlashBacking::new(ram.clone(), SECTOR, SECTOR)))
    }

    /// The whole image, read in small pieces as the store does.
    fn image(backing: &dyn Persistence) -> Vec<u8> {
        let mut out = Vec::new();
        let mut piece = [0u8; 7];
        loop {
            let n = backing.read_at(out.len() as u64, &mut piece).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&piece[..n]);
        }
    }

    type Store = ResourceStore<4, 16, 64>;

    fn value(store: &Store, uri: &str) -> Vec<u8> {
        let mut buf = [0u8; 64];
        store.read_value(uri, &mut buf).unwrap().to_vec()
    }

    /// A store persisted on `ram` that saved twice: both sectors hold a copy.
    fn two_saves<const R: usize, const W: usize>(ram: &Ram<R, W>) -> Store {
        let store = Store::new().persisted(backing(ram));
        assert_eq!(store.load(), Ok(false));
        store
            .add("/ssid", MediaType::Plain, b"Home")
            .unwrap()
            .register(Methods::GET, None)
            .unwrap();
        store.set_value("/ssid", b"Office").unwrap();
        store
    }

    fn every_power_cut_leaves_the_old_image_or_the_new<const R: usize, const W: usize>() {
        let ram = Ram::<R, W>::new();
        two_saves(&ram);
        let old = image(backing(&ram));
        let before = ram.chip().clone();

        // One whole save, measured.
        let store = Store::new().persisted(backing(&ram));
        assert_eq!(store.load(), Ok(true));
        store.set_value("/ssid", b"Cafe 5G").unwrap();
        let new = image(backing(&ram));
        let whole = ram.chip().touched - before.touched;
        assert_ne!(old, new);
        assert!(whole > SECTOR as usize, "an erase and a write: {whole} bytes");

        let (mut olds, mut news) = (0, 0);
        for k in 0..=whole {
            *ram.chip() = before.clone();
            let store = Store::new().persisted(backing(&ram));
            assert_eq!(store.load(), Ok(true));
            ram.cut_after(k);
            let saved = store.set_value("/ssid", b"Cafe 5G");
            ram.power_on();

            let again = Store::new().persisted(backing(&ram));
            assert_eq!(again.load(), Ok(true), "cut after {k} bytes");
            let got = image(backing(&ram));
            let v = value(&again, "/ssid");
            if saved.is_ok() {
                assert_eq!((&got, &v[..]), (&new, &b"Cafe 5G"[..]), "cut after {k} bytes");
            } else {
                assert_eq!(saved, Err(StoreError::Persist(PersistError::Io)));
                assert!(got == old || got == new, "cut after {k} bytes: a mix");
            }
            if got == old {
                assert_eq!(v, b"Office");
                assert_eq!(news, 0, "cut after {k} bytes: old after new");
                olds += 1;
            } else {
                assert_eq!(v, b"Cafe 5G");
                news += 1;
            }
        }
        // New from the header's last byte on; past it, only the header's
        // padding (up to WRITE_SIZE) is written.
        let padding = round_up(HEADER, W).unwrap() - HEADER;
        assert_eq!((olds, news), (whole - padding, 1 + padding), "R={R} W={W}");
    }

    #[test]
    fn a_power_cut_at_any_byte_leaves_one_whole_image() {
        every_power_cut_leaves_the_old_image_or_the_new::<1, 1>();
        every_power_cut_leaves_the_old_image_or_the_new::<4, 4>();
        every_power_cut_leaves_the_old_image_or_the_new::<1, 8>();
        every_power_cut_leaves_the_old_image_or_the_new::<8, 8>();
        every_power_cut_leaves_the_old_image_or_the_new::<2, 32>();
    }

    #[test]
    fn erased_or_blank_flash_reads_nothing() {
        let ram = Ram::<1, 4>::new();
        let b = backing(&ram);
        assert_eq!(b.read_at(0, &mut [0u8; 8]), Ok(0));
        assert_eq!(Store::new().persisted(b).load(), Ok(false));
        // Zeros (never erased) hold no valid header either.
        ram.chip().bytes.fill(0);
        assert_eq!(backing(&ram).read_at(0, &mut [0u8; 8]), Ok(0));
        assert_eq!(b.capacity(), SECTOR as usize - HEADER);
    }

    #[test]
    fn a_damaged_newest_copy_falls_back_to_the_older() {
        for at in [0, 4, 8, 12, HEADER, HEADER + 20] {
            let ram = Ram::<1, 4>::new();
            two_saves(&ram);
            let newest = backing(&ram)
                .current(&backing(&ram).layout().unwrap())
                .unwrap()
                .unwrap();
            ram.chip().bytes[newest.start as usize + at] ^= 0x10;
            let store = Store::new().persisted(backing(&ram));
            assert_eq!(store.load(), Ok(true));
            assert_eq!(value(&store, "/ssid"), b"Home", "byte {at} damaged");
            // The next save replaces the damaged copy, not the good one.
            store.set_value("/ssid", b"Again").unwrap();
            let again = Store::new().persisted(backing(&ram));
            assert_eq!(again.load(), Ok(true));
            assert_eq!(value(&again, "/ssid"), b"Again");
            let l = backing(&ram).layout().unwrap();
            assert_eq!(backing(&ram).current(&l).unwrap().unwrap().start, newest.start);
        }
    }

    #[test]
    fn an_unreadable_sector_holds_no_copy() {
        let ram = Ram::<1, 4>::new();
        two_saves(&ram);
        let b = backing(&ram);
        let newest = b.current(&b.layout().unwrap()).unwrap().unwrap();
        let start = newest.start as usize;
        ram.chip().unreadable = start + 40..start + 41;
        let store = Store::new().persisted(backing(&ram));
        assert_eq!(store.load(), Ok(true));
        assert_eq!(value(&store, "/ssid"), b"Home");
        // Both unreadable: an error, not "nothing saved".
        ram.chip().unreadable = 0..SIZE;
        assert_eq!(backing(&ram).read_at(0, &mut [0u8; 4]), Err(PersistError::Io));
        assert_eq!(
            Store::new().persisted(backing(&ram)).load(),
            Err(StoreError::Persist(PersistError::Io))
        );
    }

    #[test]
    fn saves_alternate_between_the_sectors() {
        let ram = Ram::<1, 8>::new();
        let store = Store::new().persisted(backing(&ram));
        assert_eq!(store.load(), Ok(false));
        store.add("/n", MediaType::Plain, b"").unwrap();
        let mut last = None;
        for i in 0..100u32 {
            let text = std::format!("{}", i * 7919);
            store.set_value("/n", text.as_bytes()).unwrap();
            let again = Store::new().persisted(backing(&ram));
            assert_eq!(again.load(), Ok(true));
            assert_eq!(value(&again, "/n"), text.as_bytes());
            let b = backing(&ram);
            let found = b.current(&b.layout().unwrap()).unwrap().unwrap();
            assert_eq!(found.seq, i + 2, "the add saved first");
            assert_ne!(Some(found.start), last, "save {i} wrote the other sector");
            last = Some(found.start);
        }
    }

    #[test]
    fn sequence_numbers_compare_across_the_wrap() {
        assert!(newer(1, 0));
        assert!(newer(0, u32::MAX));
        assert!(!newer(u32::MAX, 0));
        assert!(!newer(7, 7));
    }

    fn too_large<const R: usize, const W: usize>() {
        let ram = Ram::<R, W>::new();
        two_saves(&ram);
        let b = backing(&ram);
        let room = b.capacity();
        assert_eq!(room, SECTOR as usize - round_up(HEADER, W).unwrap());
        let old = image(b);
        let big = vec![0x5Au8; room + 1];
        assert_eq!(b.save(&mut |sink| sink(&big)), Err(PersistError::DoesNotFit));
        assert_eq!(image(backing(&ram)), old, "W={W}");
        // Exactly the room fits.
        b.save(&mut |sink| sink(&big[..room])).unwrap();
        assert_eq!(image(backing(&ram)), &big[..room], "W={W}");
    }

    #[test]
    fn too_large_an_image_is_refused_and_the_old_one_kept() {
        too_large::<1, 1>();
        too_large::<4, 4>();
        too_large::<1, 8>();
        // Through the store: the change stays in memory, the flash keeps the old image.
        let ram = Ram::<1, 4>::new();
        let b = backing(&ram);
        let store = ResourceStore::<4, 16, 300>::new().persisted(b);
        assert_eq!(store.load(), Ok(false));
        store.add("/v", MediaType::Plain, b"small").unwrap();
        assert_eq!(
            store.set_value("/v", &[b'x'; 300]),
            Err(StoreError::Persist(PersistError::DoesNotFit))
        );
        let again = ResourceStore::<4, 16, 300>::new().persisted(backing(&ram));
        assert_eq!(again.load(), Ok(true));
        let mut buf = [0u8; 300];
        assert_eq!(again.read_value("/v", &mut buf).unwrap(), b"small");
    }

    /// A header written by hand at the first sector.
    fn forge(ram: &Ram<1, 4>, seq: u32, len: u32, sum: u32) {
        let mut chip = ram.chip();
        let at = SECTOR as usize;
        chip.bytes[at..at + 4].copy_from_slice(&MAGIC);
        chip.bytes[at + 4..at + 8].copy_from_slice(&seq.to_le_bytes());
        chip.bytes[at + 8..at + 12].copy_from_slice(&len.to_le_bytes());
        chip.bytes[at + 12..at + 16].copy_from_slice(&sum.to_le_bytes());
    }

    #[test]
    fn any_flash_content_is_read_without_a_panic() {
        let room = SECTOR - HEADER as u32;
        for len in [room + 1, u32::MAX, 0x8000_0000, room] {
            let ram = Ram::<1, 4>::new();
            forge(&ram, 1, len, 0);
            assert_eq!(backing(&ram).read_at(0, &mut [0u8; 4]), Ok(0), "length {len}");
        }
        // A hand-made header with the right checksum and the longest image is valid.
        let ram = Ram::<1, 4>::new();
        let mut sum = Fnv::new();
        sum.update(&[0xFF; SECTOR as usize - HEADER]);
        sum.update(&9u32.to_le_bytes());
        sum.update(&room.to_le_bytes());
        forge(&ram, 9, room, sum.0);
        let b = backing(&ram);
        assert_eq!(image(b).len(), room as usize);
        assert_eq!(b.read_at(u64::from(room) - 1, &mut [0u8; 4]), Ok(1));
        assert_eq!(b.read_at(u64::MAX, &mut [0u8; 4]), Ok(0));
        assert_eq!(b.read_at(0, &mut []), Ok(0));
        // Noise: whatever it reads, no panic (and loading reports, not crashes).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200 {
            let ram = Ram::<1, 4>::new();
            for byte in ram.chip().bytes.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *byte = x as u8;
            }
            let b = backing(&ram);
            let _ = image(b);
            let _ = Store::new().persisted(b).load();
        }
    }

    #[test]
    fn a_bad_layout_or_a_nested_save_is_an_io_error() {
        let ram = Ram::<1, 4>::new();
        for (offset, sector) in [(0, 100), (64, 256), (0, 0), (u32::MAX - 127, 128), (512, 512)] {
            let b = Box::leak(Box::new(FlashBacking::new(ram.clone(), offset, sector)));
            assert_eq!(b.capacity(), 0, "{offset} {sector}");
            assert_eq!(b.read_at(0, &mut [0u8; 4]), Err(PersistError::Io), "{offset} {sector}");
            assert_eq!(
                b.save(&mut |sink| sink(b"x")),
                Err(PersistError::Io),
                "{offset} {sector}"
            );
        }
        // One save at a time: a save from inside a save is refused.
        let b = backing(&ram);
        let nested = b.save(&mut |sink| {
            assert_eq!(b.save(&mut |s| s(b"inner")), Err(PersistError::Io));
            sink(b"outer")
        });
        assert_eq!(nested, Ok(()));
        assert_eq!(image(b), b"outer");
    }

    #[cfg(feature = "portal")]
    #[test]
    fn the_portal_keeps_its_credentials_across_a_restart() {
        use crate::portal::routes::{Credentials, Portal};

        let ram = Ram::<1, 4>::new();
        let first: &'static Portal = Box::leak(Box::new(Portal::new("http://x/setup").persist(backing(&ram))));
        assert_eq!(first.load(), Ok(false));
        first.save(Credentials::new("Home", "hunter2hunter2").unwrap()).unwrap();
        // "Restart": a new portal on a new backing over the same flash.
        let second: &'static Portal = Box::leak(Box::new(Portal::new("http://x/setup").persist(backing(&ram))));
        assert_eq!(second.load(), Ok(true));
        let c = second.credentials().unwrap();
        assert_eq!((c.ssid(), c.password()), ("Home", "hunter2hunter2"));
        second
            .save(Credentials::new("Office", "correct horse").unwrap())
            .unwrap();
        second.reset().unwrap();
        let third: &'static Portal = Box::leak(Box::new(Portal::new("http://x/setup").persist(backing(&ram))));
        assert_eq!(third.load(), Ok(false), "the reset was saved");

        // A power cut while saving new credentials: the old ones or the new.
        third.save(Credentials::new("Home", "hunter2hunter2").unwrap()).unwrap();
        let before = ram.chip().clone();
        let (mut olds, mut k) = (0, 0);
        loop {
            *ram.chip() = before.clone();
            ram.cut_after(k);
            let saved = third.save(Credentials::new("Office", "correct horse").unwrap());
            ram.power_on();
            let after: &'static Portal = Box::leak(Box::new(Portal::new("u").persist(backing(&ram))));
            assert_eq!(after.load(), Ok(true), "cut after {k} bytes");
            let ssid = std::string::String::from(after.credentials().unwrap().ssid());
            match ssid.as_str() {
                "Home" => olds += 1,
                "Office" => assert_eq!(after.credentials().unwrap().password(), "correct horse"),
                other => panic!("cut after {k} bytes: {other}"),
            }
            if saved.is_ok() {
                assert_eq!(ssid, "Office");
                break;
            }
            k += 1;
        }
        assert_eq!(olds, k, "old until the header's last byte");
    }
}

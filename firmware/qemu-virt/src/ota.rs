//! Firmware updates on QEMU `virt`: two 2 MiB slots, A and B, in a
//! flash-like partition at the top of the 16 MiB of DRAM (QEMU runs with
//! `-m 16M`), outside every region of `memory.x`.
//!
//! ```text
//! curl --data-binary @fw.bin -H "X-Firmware-SHA256: <hex>" http://10.0.2.15/firmware
//! serial: ota: erasing slot B … ota: slot B 65536 bytes … ota: slot B pending (1048576 bytes, sha256 …)
//! ```
//!
//! [`RamFlash`] behaves as NOR flash does: erasing sets a sector's bytes to
//! 0xFF, writing can only clear bits, so writing where nothing was erased is
//! an error, not a silent merge. Slot A holds the running image; the boot
//! record (which slot boots next) is kept in RAM, as a real device keeps it
//! in a flash page of its own. The running slot is never erased or written,
//! and a slot is marked to boot only after its contents, read back, hash to
//! the digest the upload was checked against.

use core::cell::RefCell;

use camera::ota::{FirmwareSlots, FlashError, Slot};
use critical_section::Mutex;
use sha2::{Digest, Sha256};

/// Bytes of one slot: room for a 1 MiB image and then some.
pub const SLOT_SIZE: usize = 2 << 20;
/// The erase unit.
pub const SECTOR: usize = 4096;
/// Where the partition starts: 4 MiB below the end of DRAM.
const PARTITION_BASE: usize = 0x8100_0000 - 2 * SLOT_SIZE;
/// A progress line on the serial log every this many bytes.
const PROGRESS_EVERY: u64 = 128 << 10;

unsafe extern "C" {
    /// The top of the stack: the highest address the linker places anything at.
    static __sstack: u8;
}

/// A NOR-flash-like memory over RAM.
pub struct RamFlash {
    mem: &'static mut [u8],
}

impl RamFlash {
    /// Erase the sectors of `from..to` (sector-aligned) to 0xFF.
    pub fn erase(&mut self, from: usize, to: usize) -> Result<(), FlashError> {
        if !from.is_multiple_of(SECTOR) || !to.is_multiple_of(SECTOR) {
            return Err(FlashError::Erase);
        }
        self.mem.get_mut(from..to).ok_or(FlashError::OutOfBounds)?.fill(0xFF);
        Ok(())
    }

    /// Program `data` at `offset`: bits go from 1 to 0 only.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), FlashError> {
        let end = offset.checked_add(data.len()).ok_or(FlashError::OutOfBounds)?;
        let dst = self.mem.get_mut(offset..end).ok_or(FlashError::OutOfBounds)?;
        if dst.iter().zip(data).any(|(&old, &new)| old & new != new) {
            return Err(FlashError::Write);
        }
        for (d, &s) in dst.iter_mut().zip(data) {
            *d &= s;
        }
        Ok(())
    }

    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<(), FlashError> {
        let end = offset.checked_add(out.len()).ok_or(FlashError::OutOfBounds)?;
        out.copy_from_slice(self.mem.get(offset..end).ok_or(FlashError::OutOfBounds)?);
        Ok(())
    }
}

struct State {
    /// `None` until first used; `Some(None)` when the partition would
    /// overlap what the linker placed (then every operation fails).
    flash: Option<Option<RamFlash>>,
    pending: Option<Slot>,
    /// Bytes written into the slot being updated, for the progress log.
    written: u64,
}

/// The camera's [`FirmwareSlots`] over the partition.
pub struct OtaSlots {
    state: Mutex<RefCell<State>>,
}

pub static SLOTS: OtaSlots = OtaSlots {
    state: Mutex::new(RefCell::new(State {
        flash: None,
        pending: None,
        written: 0,
    })),
};

fn offset(slot: Slot) -> usize {
    match slot {
        Slot::A => 0,
        Slot::B => SLOT_SIZE,
    }
}

impl OtaSlots {
    fn with<T>(&self, f: impl FnOnce(&mut RamFlash, &mut State) -> Result<T, FlashError>) -> Result<T, FlashError> {
        critical_section::with(|cs| {
            let mut state = self.state.borrow_ref_mut(cs);
            let mut flash = match state.flash.take() {
                Some(flash) => flash,
                None => take_partition(),
            };
            let result = match &mut flash {
                Some(f_) => f(f_, &mut state),
                None => Err(FlashError::Write),
            };
            state.flash = Some(flash);
            result
        })
    }
}

/// The partition, once, if it lies above everything the linker placed.
fn take_partition() -> Option<RamFlash> {
    let top = &raw const __sstack as usize;
    if top > PARTITION_BASE {
        crate::println!(
            "ota: disabled, the partition at {:#x} overlaps RAM (ends {:#x})",
            PARTITION_BASE,
            top
        );
        return None;
    }
    crate::println!(
        "ota: slots A and B at {:#x}, {} KiB each",
        PARTITION_BASE,
        SLOT_SIZE / 1024
    );
    // SAFETY: 4 MiB of DRAM below 0x8100_0000 (QEMU virt with -m 16M), above
    // the stack, the highest region memory.x defines (checked just above):
    // nothing else uses it, and this runs once (the result is kept in
    // `SLOTS`, behind a critical section).
    let mem = unsafe { core::slice::from_raw_parts_mut(PARTITION_BASE as *mut u8, 2 * SLOT_SIZE) };
    Some(RamFlash { mem })
}

impl FirmwareSlots for OtaSlots {
    fn capacity(&self) -> u64 {
        SLOT_SIZE as u64
    }

    fn active(&self) -> Slot {
        Slot::A
    }

    fn pending(&self) -> Option<Slot> {
        critical_section::with(|cs| self.state.borrow_ref(cs).pending)
    }

    fn erase(&self, slot: Slot) -> Result<(), FlashError> {
        if slot == self.active() {
            return Err(FlashError::Erase);
        }
        crate::println!("ota: erasing slot {}", slot.name());
        // The boot record first: a slot being erased never boots.
        critical_section::with(|cs| {
            let mut state = self.state.borrow_ref_mut(cs);
            if state.pending == Some(slot) {
                state.pending = None;
            }
            state.written = 0;
        });
        // A sector per critical section, so the network keeps running.
        let base = offset(slot);
        for sector in (base..base + SLOT_SIZE).step_by(SECTOR) {
            self.with(|flash, _| flash.erase(sector, sector + SECTOR))?;
        }
        Ok(())
    }

    fn write(&self, slot: Slot, at: u64, data: &[u8]) -> Result<(), FlashError> {
        if slot == self.active() {
            return Err(FlashError::Write);
        }
        let at = usize::try_from(at).map_err(|_| FlashError::OutOfBounds)?;
        let end = at.checked_add(data.len()).ok_or(FlashError::OutOfBounds)?;
        if end > SLOT_SIZE {
            return Err(FlashError::OutOfBounds);
        }
        let written = self.with(|flash, state| {
            flash.write(offset(slot) + at, data)?;
            let before = state.written;
            state.written = state.written.max(end as u64);
            Ok((before, state.written))
        })?;
        let (mark0, mark1) = (written.0 / PROGRESS_EVERY, written.1 / PROGRESS_EVERY);
        if mark0 != mark1 {
            crate::println!("ota: slot {} {} bytes", slot.name(), mark1 * PROGRESS_EVERY);
        }
        Ok(())
    }

    fn mark_pending(&self, slot: Slot, len: u64, sha256: &[u8; 32]) -> Result<(), FlashError> {
        if slot == self.active() {
            return Err(FlashError::Write);
        }
        // Check what the flash holds, not what was streamed into it.
        let len_usize = usize::try_from(len).map_err(|_| FlashError::OutOfBounds)?;
        if len_usize > SLOT_SIZE {
            return Err(FlashError::OutOfBounds);
        }
        let mut hash = Sha256::new();
        let mut buf = [0u8; 512];
        let base = offset(slot);
        for at in (0..len_usize).step_by(buf.len()) {
            let piece = buf
                .get_mut(..(len_usize - at).min(512))
                .ok_or(FlashError::OutOfBounds)?;
            self.with(|flash, _| flash.read(base + at, piece))?;
            hash.update(&*piece);
        }
        if hash.finalize().as_slice() != sha256.as_slice() {
            crate::println!("ota: slot {} does not read back as written: not marked", slot.name());
            return Err(FlashError::Write);
        }
        critical_section::with(|cs| self.state.borrow_ref_mut(cs).pending = Some(slot));
        let mut hex = [0u8; 64];
        for (pair, b) in hex.chunks_exact_mut(2).zip(sha256) {
            let digit = |n: u8| if n < 10 { b'0' + n } else { b'a' + n - 10 };
            pair.copy_from_slice(&[digit(b >> 4), digit(b & 15)]);
        }
        crate::println!(
            "ota: slot {} pending ({} bytes, sha256 {})",
            slot.name(),
            len,
            core::str::from_utf8(&hex).unwrap_or("")
        );
        Ok(())
    }
}

//! A small NOR flash partition over RAM, behind `embedded-storage`'s
//! `NorFlash` traits: what a board's flash driver offers, so the portal's
//! credentials go through `resource::FlashBacking` exactly as on a board.
//!
//! NOR rules, enforced: it starts erased (0xFF), erasing works on whole
//! `ERASE_SIZE` units, and programming only clears bits — writing a 1
//! where a 0 is is an error, not a silent merge. Being RAM, it does not
//! survive a QEMU reset: every boot is a first boot here.

use embedded_storage::nor_flash::{ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash};

/// `N` bytes of NOR, erase unit `E` (256 B, like the page-erase of small
/// SPI NOR chips: two units cost 512 B of RAM, not 8 KB).
pub struct RamNor<const N: usize, const E: usize> {
    mem: [u8; N],
}

impl<const N: usize, const E: usize> RamNor<N, E> {
    /// Erased, as a new chip is.
    pub const fn new() -> Self {
        RamNor { mem: [0xFF; N] }
    }
}

/// Why an operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error(NorFlashErrorKind);

impl NorFlashError for Error {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl<const N: usize, const E: usize> ErrorType for RamNor<N, E> {
    type Error = Error;
}

fn range(offset: u32, len: usize, capacity: usize) -> Result<core::ops::Range<usize>, Error> {
    let start = usize::try_from(offset).map_err(|_| Error(NorFlashErrorKind::OutOfBounds))?;
    let end = start.checked_add(len).filter(|&e| e <= capacity);
    end.map(|end| start..end).ok_or(Error(NorFlashErrorKind::OutOfBounds))
}

impl<const N: usize, const E: usize> ReadNorFlash for RamNor<N, E> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let r = range(offset, bytes.len(), N)?;
        bytes.copy_from_slice(self.mem.get(r).ok_or(Error(NorFlashErrorKind::OutOfBounds))?);
        Ok(())
    }

    fn capacity(&self) -> usize {
        N
    }
}

impl<const N: usize, const E: usize> NorFlash for RamNor<N, E> {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = E;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = to.checked_sub(from).ok_or(Error(NorFlashErrorKind::OutOfBounds))? as usize;
        let r = range(from, len, N)?;
        if !r.start.is_multiple_of(E) || !r.end.is_multiple_of(E) {
            return Err(Error(NorFlashErrorKind::NotAligned));
        }
        self.mem
            .get_mut(r)
            .ok_or(Error(NorFlashErrorKind::OutOfBounds))?
            .fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let r = range(offset, bytes.len(), N)?;
        if !r.start.is_multiple_of(Self::WRITE_SIZE) || !bytes.len().is_multiple_of(Self::WRITE_SIZE) {
            return Err(Error(NorFlashErrorKind::NotAligned));
        }
        let cells = self.mem.get_mut(r).ok_or(Error(NorFlashErrorKind::OutOfBounds))?;
        if cells.iter().zip(bytes).any(|(&old, &new)| old & new != new) {
            // A bit would go from 0 to 1: the sector was not erased.
            return Err(Error(NorFlashErrorKind::Other));
        }
        cells.iter_mut().zip(bytes).for_each(|(cell, &b)| *cell &= b);
        Ok(())
    }
}

//! The demo's firmware slots: two files, so an upload of any size costs
//! the process no memory. With `--firmware-dir DIR` they are
//! `DIR/slot-a.bin` and `DIR/slot-b.bin`; without, two files in the temp
//! directory unlinked as soon as they are open, so nothing is left behind
//! however the demo ends. Slot A "runs"; the pending mark is kept in
//! memory, as a device keeps it in its boot record until the reboot that
//! would apply it.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use camera::ota::{FirmwareSlots, FlashError, Slot};

pub struct FileSlots {
    capacity: u64,
    state: Mutex<State>,
}

struct State {
    pending: Option<Slot>,
    /// Slot A's file, slot B's file.
    files: [File; 2],
}

impl FileSlots {
    /// Slots of `capacity` bytes each, in `dir` (created) or anonymous.
    pub fn new(dir: Option<&Path>, capacity: u64) -> std::io::Result<Self> {
        let open = |name: &str| -> std::io::Result<File> {
            let path = match dir {
                Some(dir) => {
                    std::fs::create_dir_all(dir)?;
                    dir.join(name)
                }
                None => std::env::temp_dir().join(format!("ferrodot-demo-{}-{name}", std::process::id())),
            };
            let file = OpenOptions::new()
                .create(true)
                .read(true)
                .write(true)
                .truncate(true)
                .open(&path)?;
            if dir.is_none() {
                std::fs::remove_file(&path)?;
            }
            Ok(file)
        };
        Ok(FileSlots {
            capacity,
            state: Mutex::new(State {
                pending: None,
                files: [open("slot-a.bin")?, open("slot-b.bin")?],
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn index(slot: Slot) -> usize {
    match slot {
        Slot::A => 0,
        Slot::B => 1,
    }
}

impl FirmwareSlots for FileSlots {
    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn active(&self) -> Slot {
        Slot::A
    }

    fn pending(&self) -> Option<Slot> {
        self.state().pending
    }

    fn erase(&self, slot: Slot) -> Result<(), FlashError> {
        let mut state = self.state();
        if state.pending == Some(slot) {
            state.pending = None;
        }
        // An empty file stands for an erased slot.
        state.files[index(slot)].set_len(0).map_err(|_| FlashError::Erase)
    }

    fn write(&self, slot: Slot, offset: u64, data: &[u8]) -> Result<(), FlashError> {
        let end = offset.checked_add(data.len() as u64).ok_or(FlashError::OutOfBounds)?;
        if end > self.capacity {
            return Err(FlashError::OutOfBounds);
        }
        let file = &mut self.state().files[index(slot)];
        file.seek(SeekFrom::Start(offset)).map_err(|_| FlashError::Write)?;
        file.write_all(data).map_err(|_| FlashError::Write)
    }

    fn mark_pending(&self, slot: Slot, _len: u64, _sha256: &[u8; 32]) -> Result<(), FlashError> {
        self.state().pending = Some(slot);
        Ok(())
    }
}

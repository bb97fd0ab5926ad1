//! `'static` bodies without the copy into the socket (Linux): each body is
//! copied once into a file nobody can change, and every response sends it
//! from there with `sendfile(2)`, which hands the socket references to the
//! file's cached pages instead of copying the bytes (nginx's `sendfile on`).
//!
//! Why this way:
//! - `sendfile` lets the kernel reference the pages after the call returns,
//!   until the data is acknowledged, so they must never change. The file is
//!   an unnamed one (`O_TMPFILE`) kept only through a read-only descriptor,
//!   or a memfd sealed against writes, growing and shrinking; neither is
//!   ever closed (regions are never removed).
//! - Not `MSG_ZEROCOPY`: it pins user pages per send and reports their
//!   release on the error queue (a second syscall and bookkeeping per
//!   response), is only worth it for large sends, and to a local peer the
//!   kernel copies anyway.
//! - Not `vmsplice` + `splice`: without `SPLICE_F_GIFT` the pipe references
//!   our memory as well, which would be correct only because `'static`
//!   bytes never change, and costs two syscalls and a pipe per connection.
//! - Not `sendfile` from the executable, where the bytes already are: the
//!   file may be replaced or written in place, and finding the offset needs
//!   `/proc/self/maps`.
//!
//! `'static` is what makes the cache sound: a `&'static [u8]` is never
//! freed or changed, so the address range keeps meaning the same bytes, and
//! a later sub-slice (the rest after a short send, a `Range` of the asset)
//! is found in the region of the whole. The cache is bounded; a body that
//! does not fit it, or a failure anywhere (no file or memfd in a sandbox, a
//! socket that refuses `sendfile`), means a plain copying write, for good.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::vec::Vec;

/// At most this many bodies are kept.
const MAX_REGIONS: usize = 256;
/// At most this many bytes are kept in files, over all regions.
const MAX_BYTES: usize = 64 << 20;

/// One `'static` body and the file holding a copy of it.
struct Region {
    start: usize,
    len: usize,
    fd: OwnedFd,
}

struct Cache {
    regions: Vec<Region>,
    bytes: usize,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache {
    regions: Vec::new(),
    bytes: 0,
});
/// Set once anything failed: every later body is written by copy.
static OFF: AtomicBool = AtomicBool::new(false);

/// Where `bytes` can be sent from: a file holding them, and their offset
/// in it. `None`: write them by copy.
pub(super) fn source(bytes: &'static [u8]) -> Option<(RawFd, i64)> {
    if OFF.load(Ordering::Relaxed) || bytes.is_empty() {
        return None;
    }
    let start = bytes.as_ptr() as usize;
    let end = start.checked_add(bytes.len())?;
    let mut cache = CACHE.lock().ok()?;
    let found = cache
        .regions
        .iter()
        .find(|r| r.start <= start && r.start.checked_add(r.len).is_some_and(|e| end <= e));
    if let Some(r) = found {
        let offset = i64::try_from(start.checked_sub(r.start)?).ok()?;
        return Some((r.fd.as_raw_fd(), offset));
    }
    let total = cache.bytes.checked_add(bytes.len())?;
    if cache.regions.len() >= MAX_REGIONS || total > MAX_BYTES {
        return None;
    }
    let Ok(fd) = sealed_copy(bytes) else {
        OFF.store(true, Ordering::Relaxed);
        return None;
    };
    let raw = fd.as_raw_fd();
    cache.regions.push(Region {
        start,
        len: bytes.len(),
        fd,
    });
    cache.bytes = total;
    Some((raw, 0))
}

/// Sends up to `len` bytes of `file` from `offset` on `socket`.
/// `Ok(None)`: the kernel refuses `sendfile` here (zero copy is then off);
/// write by copy.
#[allow(unsafe_code)]
pub(super) fn send(socket: RawFd, (file, offset): (RawFd, i64), len: usize) -> io::Result<Option<usize>> {
    let mut offset: libc::off_t = offset;
    // One call sends at most this much anyway (Linux's MAX_RW_COUNT).
    let count = len.min(0x7fff_f000);
    // SAFETY: `file` is a region's file, open for the life of the process
    // (regions are never removed); `socket` is the caller's open socket;
    // `offset` is a local the kernel may write; no memory of ours is
    // passed beyond that.
    let sent = unsafe { libc::sendfile(socket, file, &mut offset, count) };
    match usize::try_from(sent) {
        Ok(n) => Ok(Some(n)),
        Err(_) => {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => {
                    OFF.store(true, Ordering::Relaxed);
                    Ok(None)
                }
                _ => Err(e),
            }
        }
    }
}

/// A descriptor of a file holding `bytes` that nobody can change: an
/// unnamed file in the temporary directory when that is on a disk
/// filesystem, else a sealed memfd.
fn sealed_copy(bytes: &[u8]) -> io::Result<OwnedFd> {
    disk_copy(bytes).or_else(|_| memfd_copy(bytes))
}

/// An unnamed (`O_TMPFILE`) file holding `bytes`, open read-only. Preferred
/// to a memfd: ext4 and xfs keep it in large folios, so each `sendfile`
/// looks up one or two of them where shmem looks up every 4 KiB page (W7:
/// about 4 % less server CPU per response, as nginx reading its file).
/// Nothing can change it: it has no name, the descriptor that wrote it is
/// closed, and the one kept is read-only; only a process allowed to write
/// this one's memory could reopen it through `/proc` for writing.
fn disk_copy(bytes: &[u8]) -> io::Result<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::temp_dir();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o400)
        .custom_flags(libc::O_TMPFILE | libc::O_CLOEXEC)
        .open(&dir)?;
    if on_tmpfs(&file) {
        // No large folios there: a memfd, which can also be sealed.
        return Err(io::ErrorKind::Unsupported.into());
    }
    io::Write::write_all(&mut file, bytes)?;
    let path = std::format!("/proc/self/fd/{}", file.as_raw_fd());
    let read_only = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)?;
    let written = read_only.metadata()?.len();
    if usize::try_from(written).ok() != Some(bytes.len()) {
        return Err(io::ErrorKind::InvalidData.into());
    }
    Ok(OwnedFd::from(read_only))
}

/// Whether `file` lies on tmpfs (shmem).
#[allow(unsafe_code)]
fn on_tmpfs(file: &std::fs::File) -> bool {
    let mut stat = core::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `stat` is writable memory of the size fstatfs fills; `file`
    // is an open descriptor.
    if unsafe { libc::fstatfs(file.as_raw_fd(), stat.as_mut_ptr()) } != 0 {
        return true;
    }
    // SAFETY: fstatfs returned 0, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    stat.f_type == libc::TMPFS_MAGIC
}

/// A new memfd holding `bytes`, sealed so that nobody can change it.
#[allow(unsafe_code)]
fn memfd_copy(bytes: &[u8]) -> io::Result<OwnedFd> {
    // SAFETY: the name is a NUL-terminated C string literal; the flags are
    // valid for memfd_create.
    let raw = unsafe { libc::memfd_create(c"ferrodot-static".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a descriptor just returned by memfd_create, owned by
    // nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut file = std::fs::File::from(fd);
    io::Write::write_all(&mut file, bytes)?;
    let fd = OwnedFd::from(file);
    let seals = libc::F_SEAL_WRITE | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL;
    // SAFETY: `fd` is an open memfd created with MFD_ALLOW_SEALING;
    // F_ADD_SEALS takes an int argument. It fails (and we give up) if a
    // shared writable mapping existed, which none does.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

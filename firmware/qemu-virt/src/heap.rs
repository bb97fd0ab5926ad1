//! The firmware's heap, for TLS only: MbedTLS allocates each connection's
//! context and record buffers with `calloc`. ferrodot itself never
//! allocates (the plain-HTTP build has no allocator at all).
//!
//! ```ignore
//! heap::init();
//! let before = heap::stats();
//! // ... one TLS connection ...
//! println!("heap high-water {} bytes", heap::stats().peak - before.used);
//! ```
//!
//! A linked-list allocator (`embedded-alloc`'s LLFF) over a static array,
//! wrapped to count the bytes in use and their high-water mark, which the
//! firmware prints so the RAM of a TLS connection is measured, not guessed.
use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;

use embedded_alloc::LlffHeap;
use portable_atomic::{AtomicUsize, Ordering};

/// Heap size, measured (TLS 1.3; the README has TLS 1.2 too): a handshake
/// peaks at 32 KB with a 4 KB send buffer (`tls-small-records`) or 57 KB
/// with the prebuilt 16 KB one, an open connection holds 32 KB or 44 KB
/// (mostly MbedTLS' record buffers), the parsed certificate and key 1.4 KB.
/// Sized for one handshake beside `tls::CONNECTIONS - 1` open connections,
/// with room against fragmentation. When it runs out, the connection that
/// asked is refused (MbedTLS reports `ALLOC_FAILED`).
pub const HEAP_SIZE: usize = if cfg!(feature = "tls-small-records") {
    80 * 1024
} else {
    120 * 1024
};

#[repr(C, align(16))]
struct Arena([u8; HEAP_SIZE]);
static mut ARENA: Arena = Arena([0; HEAP_SIZE]);

pub struct Counting {
    heap: LlffHeap,
    used: AtomicUsize,
    peak: AtomicUsize,
}

#[global_allocator]
static HEAP: Counting = Counting {
    heap: LlffHeap::empty(),
    used: AtomicUsize::new(0),
    peak: AtomicUsize::new(0),
};

/// Hand the arena to the allocator; call once, before anything allocates.
pub fn init() {
    // SAFETY: called once at boot, before any allocation; the arena is used
    // by nothing else.
    unsafe { HEAP.heap.init((&raw mut ARENA).cast::<u8>() as usize, HEAP_SIZE) }
}

#[derive(Clone, Copy)]
pub struct Stats {
    /// Bytes handed out now (as asked for, without the allocator's overhead).
    pub used: usize,
    /// The most ever in use at once.
    pub peak: usize,
}

pub fn stats() -> Stats {
    Stats {
        used: HEAP.used.load(Ordering::Relaxed),
        peak: HEAP.peak.load(Ordering::Relaxed),
    }
}

/// Start a new high-water mark from what is in use now.
pub fn reset_peak() {
    HEAP.peak.store(HEAP.used.load(Ordering::Relaxed), Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { self.heap.alloc(layout) };
        if !p.is_null() {
            let now = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { self.heap.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

/// C's `calloc`/`free` for MbedTLS, on the Rust heap. `free` gets no size,
/// so each block starts with a header that holds it; 8-byte alignment is
/// what rv32 C code needs (`long long`, `double`).
const HEADER: usize = 8;

fn block_layout(payload: usize) -> Option<Layout> {
    Layout::from_size_align(payload.checked_add(HEADER)?, HEADER).ok()
}

#[unsafe(no_mangle)]
extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
    let Some(layout) = count.checked_mul(size).and_then(block_layout) else {
        return core::ptr::null_mut();
    };
    // SAFETY: the layout has a non-zero size (it holds the header).
    let p = unsafe { alloc::alloc::alloc_zeroed(layout) };
    if p.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: the block is at least HEADER bytes and 8-aligned.
    unsafe {
        p.cast::<usize>().write(layout.size());
        p.add(HEADER).cast()
    }
}

#[unsafe(no_mangle)]
extern "C" fn free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: `ptr` came from `calloc` above: its header is HEADER bytes
    // before it and holds the block's size, which made a valid layout.
    unsafe {
        let block = ptr.cast::<u8>().sub(HEADER);
        let size = block.cast::<usize>().read();
        alloc::alloc::dealloc(block, Layout::from_size_align_unchecked(size, HEADER));
    }
}

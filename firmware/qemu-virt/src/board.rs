//! QEMU `virt` board bits: the NS16550A UART, the CLINT `mtime` counter,
//! the sifive_test exit device, and a painted stack for a high-water mark.
use core::fmt;

const UART0: usize = 0x1000_0000;
const MTIME: usize = 0x0200_BFF8; // CLINT mtime, 10 MHz on QEMU virt
const SIFIVE_TEST: usize = 0x0010_0000;
pub const MTIME_HZ: u64 = 10_000_000;

/// The UART as a `fmt::Write`. QEMU's 16550 needs no set-up.
pub struct Uart;

impl fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            // SAFETY: the UART's registers on QEMU virt.
            unsafe {
                // Wait for the transmit holding register to empty (LSR bit 5).
                while core::ptr::read_volatile((UART0 + 5) as *const u8) & 0x20 == 0 {}
                core::ptr::write_volatile(UART0 as *mut u8, b);
            }
        }
        Ok(())
    }
}

/// `println!` to the UART.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::board::Uart, $($arg)*);
    }};
}

/// The 64-bit `mtime` read on a 32-bit hart: hi, lo, hi, retried if hi moved.
pub fn mtime() -> u64 {
    // SAFETY: the CLINT's mtime register on QEMU virt.
    unsafe {
        loop {
            let hi = core::ptr::read_volatile((MTIME + 4) as *const u32);
            let lo = core::ptr::read_volatile(MTIME as *const u32);
            if hi == core::ptr::read_volatile((MTIME + 4) as *const u32) {
                return (u64::from(hi) << 32) | u64::from(lo);
            }
        }
    }
}

pub fn now_us() -> u64 {
    mtime() / (MTIME_HZ / 1_000_000)
}

/// Stop QEMU through the sifive_test device: 0 exits with status 0, any
/// other code with that status.
pub fn exit(code: u32) -> ! {
    let v = if code == 0 { 0x5555 } else { (code << 16) | 0x3333 };
    // SAFETY: the sifive_test register on QEMU virt.
    unsafe { core::ptr::write_volatile(SIFIVE_TEST as *mut u32, v) };
    loop {
        core::hint::spin_loop();
    }
}

unsafe extern "C" {
    /// Lowest stack address (riscv-rt's linker script; the stack grows down from `__sstack`).
    static __estack: u8;
    /// Top of the stack.
    static __sstack: u8;
}

const PAINT: u32 = 0xDEAD_BEEF;

/// Fill the unused stack (from its bottom to 256 bytes below the current
/// `sp`) with a pattern. Call once, first thing, before interrupts are on.
pub fn paint_stack() {
    let lo = &raw const __estack as usize;
    let sp: usize;
    // SAFETY: reads sp.
    unsafe { core::arch::asm!("mv {}, sp", out(reg) sp) };
    let mut p = lo;
    while p + 256 < sp {
        // SAFETY: stack memory below the live frames.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Bytes of stack ever used (interrupt handlers included).
pub fn stack_high_water() -> usize {
    let lo = &raw const __estack as usize;
    let top = &raw const __sstack as usize;
    let mut p = lo;
    // SAFETY: reads the stack region.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    top - p
}

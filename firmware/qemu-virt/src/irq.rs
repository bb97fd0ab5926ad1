//! PLIC (QEMU virt, hart 0 M-mode context 0) routing the virtio-mmio IRQ to an AtomicWaker.
use embassy_sync::waitqueue::AtomicWaker;
use portable_atomic::{AtomicU32, AtomicUsize, Ordering};
use riscv::interrupt::Interrupt;

const PLIC: usize = 0x0C00_0000;
const PLIC_ENABLE_CTX0: usize = PLIC + 0x2000;
const PLIC_THRESHOLD_CTX0: usize = PLIC + 0x20_0000;
const PLIC_CLAIM_CTX0: usize = PLIC + 0x20_0004;

pub static NET_WAKER: AtomicWaker = AtomicWaker::new();
static NET_IRQ: AtomicU32 = AtomicU32::new(0);
static NET_MMIO: AtomicUsize = AtomicUsize::new(0);

unsafe fn w(addr: usize, v: u32) {
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}
unsafe fn r(addr: usize) -> u32 {
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Route virtio-mmio device `irq` (slot + 1) whose registers live at `mmio` to hart 0.
pub fn init_net_irq(irq: u32, mmio: usize) {
    NET_IRQ.store(irq, Ordering::SeqCst);
    NET_MMIO.store(mmio, Ordering::SeqCst);
    unsafe {
        w(PLIC + 4 * irq as usize, 1); // priority 1
        let en = PLIC_ENABLE_CTX0 + 4 * (irq as usize / 32);
        w(en, r(en) | 1 << (irq % 32));
        w(PLIC_THRESHOLD_CTX0, 0);
        riscv::interrupt::enable_interrupt(Interrupt::MachineExternal);
    }
}

#[riscv_rt::core_interrupt(Interrupt::MachineExternal)]
fn machine_external() {
    unsafe {
        let irq = r(PLIC_CLAIM_CTX0);
        if irq != 0 && irq == NET_IRQ.load(Ordering::Relaxed) {
            // virtio-mmio InterruptStatus (0x60) -> InterruptACK (0x64): drop the level line
            let base = NET_MMIO.load(Ordering::Relaxed);
            let st = r(base + 0x60);
            w(base + 0x64, st);
            NET_WAKER.wake();
        }
        if irq != 0 {
            w(PLIC_CLAIM_CTX0, irq); // complete
        }
    }
}

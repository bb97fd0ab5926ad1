//! Entropy from QEMU's virtio RNG (`-device virtio-rng-device`), which reads
//! the host's `/dev/urandom`: the random source of TLS.
//!
//! ```ignore
//! let Some(rng) = rng::VirtioRng::find() else {
//!     println!("no entropy source: HTTPS off");
//!     return;
//! };
//! ```
//!
//! Every random byte TLS asks for comes from the device (mbedtls-rs calls
//! the RNG directly, with no DRBG of its own): the host's kernel CSPRNG is
//! a better generator than one we would seed from it. A real board puts its
//! TRNG here (the ESP32-C3's `Trng`, the RP2040's ROSC, the STM32's RNG).
use core::convert::Infallible;
use core::ptr::NonNull;

use rand_core::{TryCryptoRng, TryRng};
use virtio_drivers::device::rng::VirtIORng;
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};

use crate::println;
use crate::virtio_hal::VirtioHal;

pub struct VirtioRng(VirtIORng<VirtioHal, MmioTransport<'static>>);

impl VirtioRng {
    /// The virtio entropy device, if QEMU has one; `None` also when it
    /// does not answer a first request (a device that gives nothing must
    /// not become the source of keys).
    pub fn find() -> Option<Self> {
        for i in 0..8 {
            let base = crate::VIRTIO_MMIO_BASE + i * 0x1000;
            // Read the device ID register (offset 8) before making a
            // transport: dropping a transport resets its device, and the
            // other slots hold the NIC, which is running already.
            // SAFETY: a virtio-mmio register block on QEMU virt.
            let id = unsafe { core::ptr::read_volatile((base + 8) as *const u32) };
            if id != DeviceType::EntropySource as u32 {
                continue;
            }
            let Some(header) = NonNull::new(base as *mut VirtIOHeader) else {
                continue;
            };
            // SAFETY: the slot holding the entropy device, used only here.
            let found = unsafe { MmioTransport::new(header, 0x1000) }.ok();
            let Some(transport) = found.filter(|t| t.device_type() == DeviceType::EntropySource) else {
                continue;
            };
            let mut device = match VirtIORng::new(transport) {
                Ok(device) => device,
                Err(e) => {
                    println!("virtio-rng at slot {}: init failed: {:?}", i, e);
                    return None;
                }
            };
            // Polled, never interrupt-driven: keep the device quiet.
            device.disable_interrupts();
            let mut probe = [0u8; 16];
            let mut rng = VirtioRng(device);
            if rng.fill(&mut probe).is_err() {
                println!("virtio-rng at slot {}: no data", i);
                return None;
            }
            println!("virtio-rng at slot {} ({:#x})", i, base);
            return Some(rng);
        }
        None
    }

    /// Fill `dst` with device bytes (a request may return fewer bytes than
    /// asked: ask again for the rest).
    fn fill(&mut self, dst: &mut [u8]) -> Result<(), ()> {
        let mut at = 0;
        let mut empty = 0;
        while let Some(rest) = dst.get_mut(at..).filter(|r| !r.is_empty()) {
            match self.0.request_entropy(rest) {
                Ok(0) if empty < 16 => empty += 1,
                Ok(n) if n > 0 => at += n.min(rest.len()),
                _ => return Err(()),
            }
        }
        Ok(())
    }
}

impl TryRng for VirtioRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// An entropy device that stops answering after the start-up probe is
    /// broken hardware: stop (QEMU exits through the panic handler; a board
    /// reboots) rather than hand TLS predictable bytes.
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        if self.fill(dst).is_err() {
            panic!("virtio-rng stopped giving entropy");
        }
        Ok(())
    }
}

impl TryCryptoRng for VirtioRng {}

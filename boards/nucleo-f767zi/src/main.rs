//! ferrodot on a NUCLEO-F767ZI: the camera app (`apps/camera`) over wired
//! Ethernet.
//!
//! - NIC: the STM32F767's Ethernet MAC (`embassy-stm32` ETH, RMII) and the
//!   board's LAN8742A PHY (found on the MDIO bus by `GenericPhy`).
//! - Clock: 216 MHz from the ST-LINK's 8 MHz MCO (HSE bypass).
//! - Executor and time: embassy's thread-mode executor, a TIM time driver.
//! - Network: `embassy-net` with DHCP, seeded by the RNG; the slots, frame
//!   clock and uplink are `boards/common/app.rs`.
//! - Log: USART3 TX (PD8), the ST-LINK's virtual COM port, 115200 8N1.
//!   No heap anywhere.
#![no_std]
#![no_main]

use core::cell::RefCell;
use core::fmt::Write as _;

use critical_section::Mutex;
use embassy_executor::Spawner;
use embassy_net::StackResources;
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::mode::Blocking;
use embassy_stm32::peripherals::{ETH, ETH_SMA};
use embassy_stm32::rng::Rng;
use embassy_stm32::time::Hertz;
use embassy_stm32::usart::{self, UartTx};
use embassy_stm32::{bind_interrupts, eth, peripherals, rng};
use static_cell::StaticCell;

/// The serial console: USART3, blocking writes (a log line is short).
static CONSOLE: Mutex<RefCell<Option<UartTx<'static, Blocking>>>> = Mutex::new(RefCell::new(None));

struct Console<'a>(&'a mut UartTx<'static, Blocking>);

impl core::fmt::Write for Console<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.blocking_write(s.as_bytes()).map_err(|_| core::fmt::Error)
    }
}

fn console(args: core::fmt::Arguments) {
    critical_section::with(|cs| {
        if let Some(tx) = CONSOLE.borrow_ref_mut(cs).as_mut() {
            let _ = Console(tx).write_fmt(args);
            let _ = tx.blocking_write(b"\r\n");
            let _ = tx.blocking_flush();
        }
    });
}

macro_rules! log {
    ($($arg:tt)*) => { $crate::console(format_args!($($arg)*)) };
}

#[path = "../../common/app.rs"]
mod app;

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<peripherals::RNG>;
});

type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

/// A locally administered MAC address (bit 1 of the first byte); give
/// each board its own, e.g. from the chip's 96-bit unique ID.
const MAC: [u8; 6] = [0x02, 0x00, 0xFE, 0x77, 0x67, 0x01];

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, Device>) -> ! {
    runner.run().await
}

fn clocks() -> embassy_stm32::Config {
    use embassy_stm32::rcc::*;
    let mut config = embassy_stm32::Config::default();
    // 8 MHz / 4 * 216 / 2 = 216 MHz; APB1 54 MHz, APB2 108 MHz.
    config.rcc.hse = Some(Hse {
        freq: Hertz(8_000_000),
        mode: HseMode::Bypass,
    });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL216,
        divp: Some(PllPDiv::DIV2),
        divq: None,
        divr: None,
    });
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.sys = Sysclk::PLL1_P;
    config
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());
    if let Ok(tx) = UartTx::new_blocking(p.USART3, p.PD8, usart::Config::default()) {
        critical_section::with(|cs| CONSOLE.borrow_ref_mut(cs).replace(tx));
    }
    log!("ferrodot nucleo-f767zi: boot");

    let mut seed = [0; 8];
    Rng::new(p.RNG, Irqs).fill_bytes(&mut seed);

    // RMII on the NUCLEO-144: REF_CLK PA1, CRS_DV PA7, RXD0 PC4, RXD1 PC5,
    // TXD0 PG13, TXD1 PB13, TX_EN PG11; MDIO PA2, MDC PC1.
    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    let device = Ethernet::new(
        PACKETS.init(PacketQueue::new()),
        p.ETH,
        Irqs,
        p.PA1,
        p.PA7,
        p.PC4,
        p.PC5,
        p.PG13,
        p.PB13,
        p.PG11,
        MAC,
        p.ETH_SMA,
        p.PA2,
        p.PC1,
    );

    static RESOURCES: StaticCell<StackResources<{ app::SOCKETS + 1 }>> = StaticCell::new(); // + DHCP
    let (stack, runner) = embassy_net::new(
        device,
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        u64::from_le_bytes(seed),
    );
    spawner.spawn(net_task(runner).unwrap());
    log!("eth: waiting for the link and a DHCP lease");
    app::serve(spawner, stack).await;
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    log!("PANIC: {}", info);
    // A permanent fault: the debugger stops here, and without one the
    // core locks up until reset.
    cortex_m::asm::udf()
}

//! ferrodot on a Raspberry Pi Pico W: the camera app (`apps/camera`) over
//! Wi-Fi.
//!
//! - Radio: the CYW43439 on PIO0's SPI (`cyw43` + `cyw43-pio`), joining
//!   `WIFI_SSID` with `WIFI_PASSWORD` (WPA2), both read at build time; its
//!   firmware blobs are in `cyw43-firmware/`.
//! - Executor and time: embassy-rp (thread-mode executor, TIMER alarm).
//! - Network: `embassy-net` with DHCP; the slots, frame clock and uplink
//!   are `boards/common/app.rs`.
//! - Log: UART0 TX on GP0, 115200 8N1. No heap anywhere.
#![no_std]
#![no_main]

use core::cell::RefCell;
use core::fmt::Write as _;

use critical_section::Mutex;
use cyw43::{JoinOptions, aligned_bytes};
use cyw43_pio::{DEFAULT_CLOCK_DIVIDER, PioSpi};
use embassy_executor::Spawner;
use embassy_net::StackResources;
use embassy_rp::clocks::RoscRng;
use embassy_rp::gpio::{Level, Output};
use embassy_rp::peripherals::{DMA_CH0, PIO0};
use embassy_rp::pio::{InterruptHandler, Pio};
use embassy_rp::uart::{self, Blocking, UartTx};
use embassy_rp::{bind_interrupts, dma};
use embassy_time::{Duration, Timer};
use static_cell::StaticCell;

/// The serial console: UART0, blocking writes (a log line is short).
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
        }
    });
}

macro_rules! log {
    ($($arg:tt)*) => { $crate::console(format_args!($($arg)*)) };
}

#[path = "../../common/app.rs"]
mod app;

/// Build with `WIFI_SSID=... WIFI_PASSWORD=... cargo build --release`;
/// without them (CI) the image builds with placeholders.
const SSID: &str = match option_env!("WIFI_SSID") {
    Some(s) => s,
    None => "ferrodot",
};
const PASSWORD: &str = match option_env!("WIFI_PASSWORD") {
    Some(s) => s,
    None => "ferrodot-password",
};

bind_interrupts!(struct Irqs {
    PIO0_IRQ_0 => InterruptHandler<PIO0>;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>;
});

type Cyw43Bus = cyw43::SpiBus<Output<'static>, PioSpi<'static, PIO0, 0>>;

#[embassy_executor::task]
async fn cyw43_task(runner: cyw43::Runner<'static, Cyw43Bus>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, cyw43::NetDriver<'static>>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_rp::init(Default::default());
    let tx = UartTx::new_blocking(p.UART0, p.PIN_0, uart::Config::default());
    critical_section::with(|cs| CONSOLE.borrow_ref_mut(cs).replace(tx));
    log!("ferrodot pico-w: boot");

    let firmware = aligned_bytes!("../cyw43-firmware/43439A0.bin");
    let clm = aligned_bytes!("../cyw43-firmware/43439A0_clm.bin");
    let nvram = aligned_bytes!("../cyw43-firmware/nvram_rp2040.bin");

    // The CYW43439's wiring on the Pico W: power GP23, chip select GP25,
    // data GP24, clock GP29.
    let power = Output::new(p.PIN_23, Level::Low);
    let cs = Output::new(p.PIN_25, Level::High);
    let mut pio = Pio::new(p.PIO0, Irqs);
    let spi = PioSpi::new(
        &mut pio.common,
        pio.sm0,
        DEFAULT_CLOCK_DIVIDER,
        pio.irq0,
        cs,
        p.PIN_24,
        p.PIN_29,
        dma::Channel::new(p.DMA_CH0, Irqs),
    );
    static STATE: StaticCell<cyw43::State> = StaticCell::new();
    let (device, mut control, runner) = cyw43::new(STATE.init(cyw43::State::new()), power, spi, firmware, nvram).await;
    spawner.spawn(cyw43_task(runner).unwrap());
    control.init(clm).await;
    control
        .set_power_management(cyw43::PowerManagementMode::PowerSave)
        .await;

    static RESOURCES: StaticCell<StackResources<{ app::SOCKETS + 1 }>> = StaticCell::new(); // + DHCP
    let (stack, runner) = embassy_net::new(
        device,
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        RoscRng.next_u64(),
    );
    spawner.spawn(net_task(runner).unwrap());

    log!("wifi: joining {:?}", SSID);
    while let Err(e) = control.join(SSID, JoinOptions::new(PASSWORD.as_bytes())).await {
        log!("wifi: cannot join ({:?}), retrying", e);
        Timer::after(Duration::from_secs(5)).await;
    }
    log!("wifi: connected");
    app::serve(spawner, stack).await;
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    log!("PANIC: {}", info);
    // A permanent fault: the debugger stops here, and without one the
    // core locks up until reset.
    cortex_m::asm::udf()
}

//! ferrodot on an ESP32-C3: the camera app (`apps/camera`) over Wi-Fi.
//!
//! - Radio: `esp-radio` in station mode, joining `WIFI_SSID` with
//!   `WIFI_PASSWORD` (WPA2-Personal), both read at build time.
//! - Scheduler: `esp-rtos` (the Wi-Fi driver's threads) with its embassy
//!   executor; time from TIMG0.
//! - Network: `embassy-net` with DHCP; the slots, frame clock and uplink
//!   are `boards/common/app.rs`.
//! - Log: `esp-println` (USB-serial-JTAG when a host has it open, else UART0).
//! - Heap: `esp-radio` allocates (Wi-Fi buffers, driver state), so the
//!   board gives it one with `esp-alloc`; ferrodot and the app do not.
#![no_std]
#![no_main]

use embassy_executor::Spawner;
use embassy_net::{Runner, StackResources};
use embassy_time::{Duration, Timer};
use esp_alloc as _;
use esp_backtrace as _;
use esp_hal::clock::CpuClock;
use esp_hal::rng::Rng;
use esp_hal::timer::timg::TimerGroup;
use esp_println::println;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{AuthenticationMethodConfig, ControllerConfig, Interface, WifiController};
use static_cell::StaticCell;

macro_rules! log {
    ($($arg:tt)*) => { esp_println::println!($($arg)*) };
}

#[path = "../../common/app.rs"]
mod app;

esp_bootloader_esp_idf::esp_app_desc!();

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

#[embassy_executor::task]
async fn wifi_task(mut controller: WifiController<'static>) -> ! {
    loop {
        println!("wifi: joining {:?}", SSID);
        match controller.connect_async().await {
            Ok(_) => {
                println!("wifi: connected");
                let _ = controller.wait_for_disconnect_async().await;
                println!("wifi: disconnected");
            }
            Err(e) => println!("wifi: cannot join: {:?}", e),
        }
        Timer::after(Duration::from_secs(5)).await;
    }
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Interface>) -> ! {
    runner.run().await
}

#[esp_rtos::main]
async fn main(spawner: Spawner) -> ! {
    let peripherals = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    println!("ferrodot esp32c3: boot");

    // The radio's heap: 64 KB of the RAM the bootloader leaves behind,
    // 32 KB more from .bss.
    esp_alloc::heap_allocator!(#[esp_hal::ram(reclaimed)] size: 64 * 1024);
    esp_alloc::heap_allocator!(size: 32 * 1024);

    let timg0 = TimerGroup::new(peripherals.TIMG0);
    esp_rtos::start(timg0.timer0, peripherals.FROM_CPU_INTR0);

    let station = esp_radio::wifi::Config::Station(
        StationConfig::default()
            .with_ssid(SSID.try_into().expect("SSID too long"))
            .with_authentication(AuthenticationMethodConfig::Wpa2Personal(
                PASSWORD.try_into().expect("password too long"),
            )),
    );
    let interface = Interface::station();
    let controller = WifiController::new(
        peripherals.WIFI,
        ControllerConfig::default().with_initial_config(station),
    )
    .expect("wifi init");

    let rng = Rng::new();
    let seed = (u64::from(rng.random()) << 32) | u64::from(rng.random());
    static RESOURCES: StaticCell<StackResources<{ app::SOCKETS + 1 }>> = StaticCell::new(); // + DHCP
    let (stack, runner) = embassy_net::new(
        interface,
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );

    spawner.spawn(wifi_task(controller).unwrap());
    spawner.spawn(net_task(runner).unwrap());
    app::serve(spawner, stack).await;

    loop {
        Timer::after(Duration::from_secs(3600)).await;
    }
}

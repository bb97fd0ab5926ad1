//! Twenty routes: json3's three, plus 17 more of the same kinds — five
//! text GETs, six JSON GETs with a `u32` capture, six JSON POSTs
//! answering 204. Every handler is its own function with its own body
//! (a distinct constant, so none are merged as identical code); the JSON
//! payload types are shared, so the growth over json3 is the cost of a
//! route and its handler, not of new serde types.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use ferrodot::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Led {
    id: u32,
    on: bool,
}

#[derive(Deserialize)]
struct SetLed {
    on: bool,
}

async fn hello() -> &'static str {
    "hello"
}

async fn get_led(Path(id): Path<u32>) -> Json<Led> {
    Json(Led {
        id,
        on: black_box(id) % 2 == 1,
    })
}

async fn set_led(Path(id): Path<u32>, Json(led): Json<SetLed>) -> Status {
    black_box((id, led.on));
    Status::NO_CONTENT
}

/// A text GET answering `$text`.
macro_rules! text_route {
    ($name:ident, $text:literal) => {
        async fn $name() -> &'static str {
            $text
        }
    };
}

/// A JSON GET and a JSON POST for one kind of device; `$key` makes each
/// pair's code distinct.
macro_rules! device_routes {
    ($get:ident, $set:ident, $key:literal) => {
        async fn $get(Path(id): Path<u32>) -> Json<Led> {
            Json(Led {
                id,
                on: black_box(id) & $key != 0,
            })
        }

        async fn $set(Path(id): Path<u32>, Json(dev): Json<SetLed>) -> Status {
            black_box((id ^ $key, dev.on));
            Status::NO_CONTENT
        }
    };
}

text_route!(version, "1.0.0");
text_route!(health, "ok");
text_route!(about, "ferrodot footprint");
text_route!(ping, "pong");
text_route!(uptime, "0");

device_routes!(get_fan, set_fan, 0x11);
device_routes!(get_relay, set_relay, 0x22);
device_routes!(get_pump, set_pump, 0x44);
device_routes!(get_valve, set_valve, 0x88);
device_routes!(get_heater, set_heater, 0x101);
device_routes!(get_buzzer, set_buzzer, 0x202);

ferrodot::routes! {
    Routes<()> {
        GET "/" => hello,
        GET "/api/led/:id" => get_led,
        POST "/api/led/:id" => set_led,
        GET "/version" => version,
        GET "/health" => health,
        GET "/about" => about,
        GET "/ping" => ping,
        GET "/uptime" => uptime,
        GET "/api/fan/:id" => get_fan,
        POST "/api/fan/:id" => set_fan,
        GET "/api/relay/:id" => get_relay,
        POST "/api/relay/:id" => set_relay,
        GET "/api/pump/:id" => get_pump,
        POST "/api/pump/:id" => set_pump,
        GET "/api/valve/:id" => get_valve,
        POST "/api/valve/:id" => set_valve,
        GET "/api/heater/:id" => get_heater,
        POST "/api/heater/:id" => set_heater,
        GET "/api/buzzer/:id" => get_buzzer,
        POST "/api/buzzer/:id" => set_buzzer,
    }
}

static APP: App<(), Routes> = App::new((), Routes);

#[entry]
fn main() -> ! {
    footprint::serve(&APP)
}

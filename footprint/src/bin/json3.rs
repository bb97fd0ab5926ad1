//! Three routes: hello, `GET /api/led/:id` answering JSON, and
//! `POST /api/led/:id` taking a JSON body and answering 204.
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

ferrodot::routes! {
    Routes<()> {
        GET "/" => hello,
        GET "/api/led/:id" => get_led,
        POST "/api/led/:id" => set_led,
    }
}

static APP: App<(), Routes> = App::new((), Routes);

#[entry]
fn main() -> ! {
    footprint::serve(&APP)
}

//! Seed 002 — MicroPython's tutorial server: every request gets an HTML
//! page with the light sensor's value. Unlike the tutorial it reads the
//! whole request, answers with a length, and keeps the connection.
//!
//! ```sh
//! cargo run --release --example sensor_page -- --port 8080
//! curl localhost:8080/            # ... Your light sensor value is: 517
//! ```

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

use ferrodot::prelude::*;

/// The last reading of a 10-bit light sensor.
struct LightSensor {
    value: AtomicU32,
}

async fn page(State(sensor): State<&LightSensor>) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Light sensor</title></head>\n\
         <body>Welcome to ferrodot! Your light sensor value is: <b id=\"value\">{}</b></body></html>\n",
        sensor.value.load(Relaxed)
    ))
}

ferrodot::routes! {
    SensorRoutes<LightSensor> {
        // Every path shows the page, as in the tutorial.
        GET "/:any*" => page,
    }
}

static APP: App<LightSensor, SensorRoutes> = App::new(LightSensor { value: AtomicU32::new(0) }, SensorRoutes);

fn main() {
    // A simulated sensor: the reading drifts between 112 and 912.
    let sample = async {
        let mut t = 0.0f64;
        loop {
            APP.state.value.store((512.0 + 400.0 * (t / 20.0).sin()) as u32, Relaxed);
            t += 0.5;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    examples::serve(&APP, sample);
}

//! Seed 000 — a camera's status API in the Microdot style, with no heap:
//! the app is a `static`, its state atomics, its routes a compiled table.
//!
//! ```sh
//! cargo run --release --example cam_status -- --port 8080
//! curl localhost:8080/status             # {"frames":12,"triggers":0}
//! curl -X POST localhost:8080/trigger    # {"frames":12,"triggers":1}
//! ```

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

use ferrodot::prelude::*;
use serde::Serialize;

struct Camera {
    frames: AtomicU32,
    triggers: AtomicU32,
}

#[derive(Serialize)]
struct CamStatus {
    frames: u32,
    triggers: u32,
}

impl Camera {
    fn status(&self) -> CamStatus {
        CamStatus {
            frames: self.frames.load(Relaxed),
            triggers: self.triggers.load(Relaxed),
        }
    }
}

async fn status(State(cam): State<&Camera>) -> Json<CamStatus> {
    Json(cam.status())
}

async fn trigger(State(cam): State<&Camera>) -> Json<CamStatus> {
    cam.triggers.fetch_add(1, Relaxed);
    Json(cam.status())
}

ferrodot::routes! {
    CamRoutes<Camera> {
        GET "/status" => status,
        POST "/trigger" => trigger,
    }
}

static APP: App<Camera, CamRoutes> = App::new(
    Camera {
        frames: AtomicU32::new(0),
        triggers: AtomicU32::new(0),
    },
    CamRoutes,
);

fn main() {
    // The sensor: a frame every 100 ms.
    let frames = async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            APP.state.frames.fetch_add(1, Relaxed);
        }
    };
    examples::serve(&APP, frames);
}

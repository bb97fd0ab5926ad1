//! The client alone: one `GET /api/led/7` and its JSON body parsed
//! (serde-json-core), over the same in-memory socket, which holds the
//! server's canned response.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use ferrodot::client::{Connection, RequestHead};
use ferrodot::Method;
use serde::Deserialize;

#[derive(Deserialize)]
struct Led {
    id: u32,
    on: bool,
}

async fn fetch(sock: &mut footprint::MemSocket<'_>, buf: &mut [u8]) -> Result<(), ferrodot::client::Error> {
    let mut conn = Connection::new(&mut *sock, buf);
    let head = RequestHead::new(Method::Get, "dev", "/api/led/7");
    let response = conn.send(&head, b"").await?;
    let led: Led = response.body.json().await?;
    if led.id == 7 && led.on {
        Ok(())
    } else {
        Err(ferrodot::client::Error::Json)
    }
}

#[entry]
fn main() -> ! {
    let mut out = [0u8; 1024];
    let mut buf = [0u8; 1024];
    let mut sock = footprint::MemSocket::new(core::hint::black_box(footprint::RESPONSE), &mut out);
    let fut = fetch(&mut sock, &mut buf);
    let future_size = core::mem::size_of_val(&fut);
    let ok = footprint::block_on(fut).is_ok();
    footprint::finish(future_size, ok, core::hint::black_box(sock.output()))
}

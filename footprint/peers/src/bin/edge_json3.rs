//! edge-http 0.8: footprint's json3 — hello, `GET /api/led/:id` answering
//! JSON and `POST /api/led/:id` taking a JSON body, answering 204. No
//! router and no extractors in edge-http: the handler parses the path,
//! reads the body and (de)serialises with serde-json-core itself.
#![no_std]
#![no_main]

use core::fmt::{Debug, Display};
use core::hint::black_box;

use cortex_m_rt::entry;
use edge_http::io::server::{Connection, Handler};
use edge_http::io::Error;
use edge_http::Method;
use edge_nal::TcpSplit;
use embedded_io_async::{Read, Write};
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

/// The route a request matched, copied out of the connection's buffer.
enum Route {
    Hello,
    GetLed(u32),
    SetLed(u32),
    NotFound,
}

fn route(method: Method, path: &str) -> Route {
    if path == "/" {
        return if method == Method::Get {
            Route::Hello
        } else {
            Route::NotFound
        };
    }
    match path.strip_prefix("/api/led/").and_then(|id| id.parse::<u32>().ok()) {
        Some(id) if method == Method::Get => Route::GetLed(id),
        Some(id) if method == Method::Post => Route::SetLed(id),
        _ => Route::NotFound,
    }
}

struct App;

impl Handler for App {
    type Error<E>
        = Error<E>
    where
        E: Debug;

    async fn handle<T, const N: usize>(
        &self,
        _task_id: impl Display + Copy,
        conn: &mut Connection<'_, T, N>,
    ) -> Result<(), Self::Error<T::Error>>
    where
        T: Read + Write + TcpSplit,
    {
        let headers = conn.headers()?;
        match route(headers.method, headers.path) {
            Route::Hello => {
                conn.initiate_response(
                    200,
                    Some("OK"),
                    &[("Content-Type", "text/plain"), ("Content-Length", "5")],
                )
                .await?;
                conn.write_all(b"hello").await?;
            }
            Route::GetLed(id) => {
                let led = Led {
                    id,
                    on: black_box(id) % 2 == 1,
                };
                let mut json = [0u8; 32];
                let len = serde_json_core::to_slice(&led, &mut json).unwrap_or(0);
                let mut digits = [0u8; 10];
                let length = core::str::from_utf8(footprint_peers::decimal(len as u32, &mut digits)).unwrap_or("0");
                let headers = [("Content-Type", "application/json"), ("Content-Length", length)];
                conn.initiate_response(200, Some("OK"), &headers).await?;
                conn.write_all(json.get(..len).unwrap_or(&[])).await?;
            }
            Route::SetLed(id) => {
                // The body, up to the buffer's size (the read ends at Content-Length).
                let mut body = [0u8; 64];
                let mut len = 0;
                while let Some(rest) = body.get_mut(len..).filter(|rest| !rest.is_empty()) {
                    match conn.read(rest).await? {
                        0 => break,
                        n => len += n,
                    }
                }
                match serde_json_core::from_slice::<SetLed>(body.get(..len).unwrap_or(&[])) {
                    Ok((led, _)) => {
                        black_box((id, led.on));
                        conn.initiate_response(204, Some("No Content"), &[]).await?;
                    }
                    Err(_) => {
                        conn.initiate_response(400, Some("Bad Request"), &[("Content-Length", "0")])
                            .await?;
                    }
                }
            }
            Route::NotFound => {
                conn.initiate_response(404, Some("Not Found"), &[("Content-Length", "0")])
                    .await?;
            }
        }
        Ok(())
    }
}

#[entry]
fn main() -> ! {
    footprint_peers::serve_edge(App)
}

//! edge-http 0.8: one route, `GET /` answers `hello`. edge-http has no
//! router: the handler matches method and path itself, as a user would.
#![no_std]
#![no_main]

use core::fmt::{Debug, Display};

use cortex_m_rt::entry;
use edge_http::io::server::{Connection, Handler};
use edge_http::io::Error;
use edge_http::Method;
use edge_nal::TcpSplit;
use embedded_io_async::{Read, Write};

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
        if headers.method == Method::Get && headers.path == "/" {
            conn.initiate_response(
                200,
                Some("OK"),
                &[("Content-Type", "text/plain"), ("Content-Length", "5")],
            )
            .await?;
            conn.write_all(b"hello").await?;
        } else {
            conn.initiate_response(404, Some("Not Found"), &[("Content-Length", "0")])
                .await?;
        }
        Ok(())
    }
}

#[entry]
fn main() -> ! {
    footprint_peers::serve_edge(App)
}

//! One route: `GET /` answers `hello`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use ferrodot::App;

async fn hello() -> &'static str {
    "hello"
}

ferrodot::routes! {
    Routes<()> {
        GET "/" => hello,
    }
}

static APP: App<(), Routes> = App::new((), Routes);

#[entry]
fn main() -> ! {
    footprint::serve(&APP)
}

//! No HTTP: the same socket, poll loop and output as the other variants,
//! echoing the request bytes back. Every other size is measured over this.
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    footprint::baseline()
}

//! No HTTP, as footprint's `baseline`: the same socket, poll loop and
//! output, echoing the request. The peers' flash is measured over this.
#![no_std]
#![no_main]

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    footprint_peers::baseline()
}

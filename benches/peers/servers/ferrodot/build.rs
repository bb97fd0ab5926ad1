//! The W7 asset: a generated 124 KB script (about 20 KB gzipped, like a
//! bundled dashboard), through the same asset pipeline a device uses.
use std::fmt::Write as _;

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let dir = out.join("bench-assets");
    std::fs::create_dir_all(&dir).expect("asset dir");
    std::fs::write(dir.join("app.js"), script(1800)).expect("app.js");
    ferrodot_assets_build::Pipeline::new(&dir)
        .dates(false)
        .write("bench_assets.rs")
        .expect("asset pipeline");
}

/// `lines` functions with pseudo-random names and constants: text that gzips
/// about 6:1, as minified JavaScript does. Deterministic (a fixed LCG seed).
fn script(lines: usize) -> String {
    const WORDS: [&str; 10] = [
        "frame", "light", "trigger", "sensor", "value", "state", "queue", "chart", "point", "delta",
    ];
    let mut seed: u64 = 42;
    let mut next = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut s = String::new();
    for _ in 0..lines {
        let (a, b) = (next(), next());
        let _ = writeln!(
            s,
            "export function {}{}(x, y) {{ return x * {} + y.{} - {}; }}",
            WORDS[(a % 10) as usize],
            a % 997,
            b % 65536,
            WORDS[(b % 10) as usize],
            a % 4099
        );
    }
    s
}

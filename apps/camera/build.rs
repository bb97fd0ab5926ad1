//! The dashboard in `assets/` becomes a `static` table (gzip copies made here,
//! once, at build time): see `ferrodot-assets-build`.
fn main() {
    if let Err(e) = ferrodot_assets_build::Pipeline::new("assets").write("assets.rs") {
        panic!("camera assets: {e}");
    }
}

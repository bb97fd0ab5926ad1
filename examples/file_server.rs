//! A directory on the web: every file under `--root` (default: the current
//! directory) at its path, with MIME types, `ETag`/`Last-Modified`, `304`,
//! `Range` and `HEAD`, streamed whatever its size (Microdot's `send_file`,
//! mpgameserver's `path_join_safe`). A folder answers its `index.html`;
//! names that leave the root (`..`, `%2e%2e`, absolute paths, NUL, links
//! pointing outside) answer 403.
//!
//! ```sh
//! cargo run --release --example file_server -- --root ./site --port 8080
//! curl -i http://127.0.0.1:8080/index.html
//! curl -r 0-99 http://127.0.0.1:8080/big.bin | wc -c
//! ```

use examples::Args;
use ferrodot::assets;
use ferrodot::prelude::*;

fn main() {
    let args = Args::parse(&["--root"]);
    let root = args.get("--root").unwrap_or(".");
    let root = match std::path::Path::new(root).canonicalize() {
        Ok(dir) if dir.is_dir() => dir,
        _ => examples::fail(&format!("--root {root}: not a directory")),
    };
    // The app lives as long as the program.
    let root: &'static str = Box::leak(root.to_string_lossy().into_owned().into_boxed_str());
    let app: &'static App<(), assets::Mount> = Box::leak(Box::new(App::new((), assets::dir("/:path*", root))));
    examples::serve_on(args.addr(), app, Default::default(), async {});
}

//! The build-time half of `ferrodot::assets`: point it at a folder in a `build.rs`
//! and it writes a `static` table of every file, gzipped once at build time.
//!
//! ```no_run
//! // In `build.rs`'s `main` of the crate that serves the files (with this crate
//! // as a build-dependency and `ferrodot` as a dependency):
//! ferrodot_assets_build::Pipeline::new("assets").write("assets.rs").unwrap();
//! ```
//!
//! and in that crate:
//!
//! ```ignore
//! include!(concat!(env!("OUT_DIR"), "/assets.rs")); // `pub static ASSETS: Assets`
//! static APP: App<(), ferrodot::assets::Mount> = App::new((), ferrodot::assets::serve("/static/:path*", &ASSETS));
//! ```
//!
//! For each file the pipeline:
//! - embeds it with `include_bytes!` (the bytes are not copied into the generated source);
//! - gzips it with `miniz_oxide` at level 10 (its best) and keeps the gzip copy only when it
//!   saves at least [`Pipeline::min_saving_percent`] percent *and* [`Pipeline::min_saving_bytes`]
//!   bytes: a copy that saves 20 bytes of 300 is not worth the flash;
//! - skips compression for formats that are compressed already (png, jpg, jpeg, gif, webp,
//!   woff, woff2, gz, zip, …);
//! - takes the MIME type from the extension ([`mime_for`]);
//! - computes a strong ETag per representation (64-bit FNV-1a over the bytes sent), so the
//!   identity and the gzip copy never share one;
//! - dates it for `Last-Modified` / `If-Modified-Since`: `SOURCE_DATE_EPOCH` when set (one
//!   date for a reproducible build), else the file's modification time ([`Pipeline::dates`]);
//! - marks *fingerprinted* names (a dot- or dash-separated run of at least 8 hex digits, as in
//!   `app.3f9a1c2e.js`): those may be cached `immutable`.
//!
//! The table is sorted by path, so the server finds a file by binary search, with no heap
//! and no compression at run time.
//!
//! # Why a `build.rs` and not a proc-macro
//!
//! - A build script may write files: the gzip copies go to `OUT_DIR` and are embedded with
//!   `include_bytes!`, so neither the compiler nor rust-analyzer parses megabytes of byte
//!   literals, as a proc-macro returning the bytes inline would make them do.
//! - `cargo:rerun-if-changed` on the folder rebuilds exactly when a file changes; a proc-macro
//!   has no stable way to tell Cargo what it read (`proc_macro::tracked_path` is unstable),
//!   so an edited stylesheet would not be picked up.
//! - Compression at level 10 is slow-ish; a build script runs once per change, a proc-macro
//!   runs again with every build of the crate using it (and with every IDE check).
//! - It keeps the compressor out of the device's dependency graph: it is a build-dependency,
//!   compiled for the host only, and `ferrodot` itself stays free of it.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// Extensions whose content is compressed already: gzip would gain nothing.
const PRECOMPRESSED: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "avif", "woff", "woff2", "gz", "zip", "br", "zst", "mp3", "mp4", "ogg", "webm",
];

/// The MIME type for a file extension: the table `ferrodot::assets` serves files with.
pub use ferrodot::assets::mime_for;

/// 64-bit FNV-1a: small, deterministic, good enough to tell two versions of a file apart
/// (an ETag is a validator, not a security boundary).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The strong ETag of a representation: `"<16 hex digits>"`, quotes included.
pub fn etag_for(bytes: &[u8]) -> String {
    format!("\"{:016x}\"", fnv1a64(bytes))
}

/// CRC-32 (IEEE, reflected, polynomial 0xEDB88320), as the gzip trailer needs (RFC 1952).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// `data` as a gzip member (RFC 1952): a fixed header (no name, no mtime, so builds are
/// reproducible), raw DEFLATE at `miniz_oxide`'s best level, CRC-32 and length.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let deflated = miniz_oxide::deflate::compress_to_vec(data, 10);
    let mut out = Vec::with_capacity(deflated.len() + 18);
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=2 (best compression) OS=255 (unknown)
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]);
    out.extend_from_slice(&deflated);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    // ISIZE is the length modulo 2^32 (RFC 1952 §2.3.1).
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// Whether a file name carries a content hash: a dot- or dash-separated part of at
/// least 8 hex digits before the extension (`app.3f9a1c2e.js`, `logo-0123abcd.svg`).
pub fn is_fingerprinted(file_name: &str) -> bool {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(stem, _)| stem);
    stem.split(['.', '-'])
        .skip(1)
        .any(|part| part.len() >= 8 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One file as the pipeline sees it, before code generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the folder, `/`-separated (`css/site.css`).
    pub path: String,
    pub mime: &'static str,
    pub source: PathBuf,
    pub identity_len: usize,
    pub identity_etag: String,
    /// The gzip copy, when it was kept.
    pub gzip: Option<Vec<u8>>,
    pub fingerprinted: bool,
    /// Its date in Unix seconds, when [`Pipeline::dates`] is on.
    pub modified: Option<u64>,
}

/// The pipeline's settings; [`Pipeline::write`] runs it.
#[derive(Debug, Clone)]
pub struct Pipeline {
    dir: PathBuf,
    name: String,
    min_saving_percent: u32,
    min_saving_bytes: usize,
    gzip_only: bool,
    dates: bool,
}

impl Pipeline {
    /// A pipeline over `dir` (relative paths are taken from `CARGO_MANIFEST_DIR`), writing
    /// a `pub static ASSETS`.
    pub fn new(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        let dir = match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(root) if dir.is_relative() => PathBuf::from(root).join(dir),
            _ => dir.to_path_buf(),
        };
        Pipeline {
            dir,
            name: "ASSETS".into(),
            min_saving_percent: 10,
            min_saving_bytes: 64,
            gzip_only: false,
            dates: true,
        }
    }

    /// Name of the generated `static` (default `ASSETS`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    /// Keep a gzip copy only if it is at least this many percent smaller (default 10).
    pub fn min_saving_percent(mut self, percent: u32) -> Self {
        self.min_saving_percent = percent;
        self
    }

    /// Keep a gzip copy only if it saves at least this many bytes (default 64).
    pub fn min_saving_bytes(mut self, bytes: usize) -> Self {
        self.min_saving_bytes = bytes;
        self
    }

    /// Drop the identity copy of every file that has a gzip copy, to halve the flash
    /// they take. A client that refuses gzip then gets 406 for those files, and `Range`
    /// is not served for them (it applies to the identity copy only).
    pub fn gzip_only(mut self, yes: bool) -> Self {
        self.gzip_only = yes;
        self
    }

    /// Date every file (on by default), for `Last-Modified` and `If-Modified-Since`:
    /// `SOURCE_DATE_EPOCH` when it is set, else each file's modification time. Off, the
    /// ETags alone validate and the table is 8 bytes a file smaller.
    pub fn dates(mut self, yes: bool) -> Self {
        self.dates = yes;
        self
    }

    /// Read and compress every file under the folder, sorted by path.
    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        let mut files = Vec::new();
        walk(&self.dir, &mut files)?;
        let epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        let mut entries = Vec::with_capacity(files.len());
        for source in files {
            let rel = source
                .strip_prefix(&self.dir)
                .map_err(|e| io::Error::other(e.to_string()))?;
            let path = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let data = std::fs::read(&source)?;
            let file_name = rel
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ext = file_name
                .rsplit_once('.')
                .map_or("", |(_, ext)| ext)
                .to_ascii_lowercase();
            let gzip = if PRECOMPRESSED.contains(&ext.as_str()) {
                None
            } else {
                Some(gzip(&data)).filter(|gz| self.worth_it(data.len(), gz.len()))
            };
            let modified = match (self.dates, epoch) {
                (false, _) => None,
                (true, Some(epoch)) => Some(epoch),
                (true, None) => std::fs::metadata(&source)?
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs()),
            };
            entries.push(Entry {
                modified,
                path,
                mime: mime_for(&ext),
                identity_len: data.len(),
                identity_etag: etag_for(&data),
                gzip,
                fingerprinted: is_fingerprinted(&file_name),
                source,
            });
        }
        entries.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        Ok(entries)
    }

    fn worth_it(&self, original: usize, compressed: usize) -> bool {
        let saved = original.saturating_sub(compressed);
        saved >= self.min_saving_bytes && saved as u128 * 100 >= original as u128 * u128::from(self.min_saving_percent)
    }

    /// Run the pipeline inside a build script: write `$OUT_DIR/<file>` (the table) and
    /// the gzip copies beside it, and tell Cargo to rerun when the folder changes.
    pub fn write(&self, file: &str) -> io::Result<()> {
        let out_dir = PathBuf::from(
            std::env::var_os("OUT_DIR")
                .ok_or_else(|| io::Error::other("OUT_DIR is not set: call this from a build script"))?,
        );
        println!("cargo:rerun-if-changed={}", self.dir.display());
        println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
        let mut dirs = Vec::new();
        walk_dirs(&self.dir, &mut dirs)?;
        for dir in dirs {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
        let entries = self.entries()?;
        for entry in &entries {
            println!("cargo:rerun-if-changed={}", entry.source.display());
        }
        let code = self.generate(&entries, &out_dir.join(format!("{file}-gz")))?;
        std::fs::write(out_dir.join(file), code)
    }

    /// The Rust source of the table; the gzip copies are written into `gz_dir`.
    pub fn generate(&self, entries: &[Entry], gz_dir: &Path) -> io::Result<String> {
        std::fs::create_dir_all(gz_dir)?;
        let mut code = String::new();
        let _ = writeln!(
            code,
            "// Generated by ferrodot-assets-build from {}: do not edit.",
            self.dir.display()
        );
        let _ = writeln!(
            code,
            "pub static {}: ::ferrodot::assets::Assets = ::ferrodot::assets::Assets::new(&[",
            self.name
        );
        for (i, entry) in entries.iter().enumerate() {
            let gzip = match &entry.gzip {
                Some(gz) => {
                    let gz_path = gz_dir.join(format!("{i}.gz"));
                    std::fs::write(&gz_path, gz)?;
                    format!(
                        "Some(::ferrodot::assets::Variant {{ bytes: include_bytes!({:?}), etag: {:?} }})",
                        gz_path.display().to_string(),
                        etag_for(gz)
                    )
                }
                None => "None".into(),
            };
            let identity = if self.gzip_only && entry.gzip.is_some() {
                "None".into()
            } else {
                format!(
                    "Some(::ferrodot::assets::Variant {{ bytes: include_bytes!({:?}), etag: {:?} }})",
                    entry.source.display().to_string(),
                    entry.identity_etag
                )
            };
            let _ = writeln!(
                code,
                "    ::ferrodot::assets::Asset {{ path: {:?}, mime: {:?}, fingerprinted: {}, identity: {identity}, gzip: {gzip}, modified: {:?} }},",
                entry.path, entry.mime, entry.fingerprinted, entry.modified
            );
        }
        code.push_str("]);\n");
        Ok(code)
    }
}

/// Every regular file under `dir`, recursively; hidden files (`.DS_Store`, editor swap
/// files) are left out.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn walk_dirs(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.push(path.clone());
            walk_dirs(&path, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn gzip_round_trips() {
        let data = b"hello hello hello hello hello hello hello hello".repeat(20);
        let gz = gzip(&data);
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 8]);
        let body = &gz[10..gz.len() - 8];
        let inflated = miniz_oxide::inflate::decompress_to_vec(body).unwrap();
        assert_eq!(inflated, data);
        assert_eq!(&gz[gz.len() - 8..gz.len() - 4], &crc32(&data).to_le_bytes());
        assert_eq!(&gz[gz.len() - 4..], &(data.len() as u32).to_le_bytes());
        assert!(gz.len() < data.len() / 4);
    }

    #[test]
    fn mime_and_fingerprints() {
        assert_eq!(mime_for("HTML"), "text/html; charset=utf-8");
        assert_eq!(mime_for("svg"), "image/svg+xml");
        assert_eq!(mime_for("bin"), "application/octet-stream");
        assert!(is_fingerprinted("app.3f9a1c2e.js"));
        assert!(is_fingerprinted("logo-0123abcd.svg"));
        assert!(!is_fingerprinted("app.js"));
        assert!(!is_fingerprinted("deadbeef.js")); // the whole stem is a name, not a fingerprint
        assert!(!is_fingerprinted("app.3f9a1c.js"));
    }

    #[test]
    fn etags_differ_per_representation() {
        let data = b"body { color: red; } ".repeat(50);
        assert_ne!(etag_for(&data), etag_for(&gzip(&data)));
        assert_eq!(etag_for(b"x").len(), 18);
    }

    #[test]
    fn folder_to_table() {
        let dir = std::env::temp_dir().join(format!("ferrodot-assets-build-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("css")).unwrap();
        std::fs::write(dir.join("index.html"), "<p>hello</p>\n".repeat(100)).unwrap();
        std::fs::write(dir.join("css/site.css"), "a{}").unwrap(); // too small to gain
        std::fs::write(dir.join("logo.png"), vec![0u8; 4096]).unwrap(); // compressible but skipped
        std::fs::write(dir.join(".hidden"), "x").unwrap();
        let pipeline = Pipeline::new(&dir);
        let entries = pipeline.entries().unwrap();
        let paths: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["css/site.css", "index.html", "logo.png"]);
        assert!(entries[0].gzip.is_none());
        assert!(entries[1].gzip.is_some());
        assert!(entries[2].gzip.is_none());
        assert_eq!(entries[2].mime, "image/png");
        let code = pipeline.generate(&entries, &dir.join("out")).unwrap();
        assert!(code.contains("pub static ASSETS: ::ferrodot::assets::Assets"));
        assert!(code.contains("path: \"index.html\", mime: \"text/html; charset=utf-8\""));
        assert!(dir.join("out/1.gz").exists());
        let gz_only = Pipeline::new(&dir)
            .name("WEB")
            .gzip_only(true)
            .generate(&entries, &dir.join("out"))
            .unwrap();
        assert!(gz_only.contains("pub static WEB"));
        assert!(gz_only.contains("fingerprinted: false, identity: None, gzip: Some"));
        // Dated by the file's time (a recent one), or not at all when asked.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(entries
            .iter()
            .all(|e| e.modified.is_some_and(|t| t + 3600 > now && t <= now + 60)));
        assert!(code.contains(", modified: Some("));
        let undated = Pipeline::new(&dir).dates(false).entries().unwrap();
        assert!(undated.iter().all(|e| e.modified.is_none()));
        let code = Pipeline::new(&dir).generate(&undated, &dir.join("out")).unwrap();
        assert!(code.contains(", modified: None }"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

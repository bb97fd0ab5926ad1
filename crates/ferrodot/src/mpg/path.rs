//! `path_join_safe`: a file name from the network, kept under a root.

use std::path::{Path, PathBuf};

/// Why [`path_join_safe`] refused a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafePath {
    /// Nothing but separators and `.`: it names the root itself.
    Empty,
    /// Starts with `/` or `\`, or a drive (`C:`): not relative.
    Absolute,
    /// Has a `..` component.
    ParentDir,
    /// Resolves (through a symbolic link) outside the root, or through a
    /// link that leads nowhere.
    Escapes,
    /// A NUL byte, or (on Windows) a `:` in a component.
    Invalid,
    /// The root itself does not exist or cannot be resolved.
    BadRoot,
}

impl UnsafePath {
    /// A one-line explanation, as `Display` writes it.
    pub const fn message(self) -> &'static str {
        match self {
            UnsafePath::Empty => "empty path",
            UnsafePath::Absolute => "absolute path",
            UnsafePath::ParentDir => "path goes up with '..'",
            UnsafePath::Escapes => "path leads outside the root",
            UnsafePath::Invalid => "invalid character in path",
            UnsafePath::BadRoot => "root directory not found",
        }
    }
}

impl core::fmt::Display for UnsafePath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for UnsafePath {}

/// Join `name` (untrusted: from a URL or a form) under `root` (trusted),
/// and make sure the result stays inside `root`.
///
/// `\` counts as `/`; empty and `.` components are skipped. Refused:
/// absolute names, drive prefixes, any `..`, NUL bytes, and names whose
/// existing part resolves outside the root through a symbolic link
/// (including a link that points nowhere). The result starts with the
/// root's canonical path. The check is made now: a link created later
/// inside the root is not seen, so do not give untrusted parties a way
/// to make links there.
///
/// mpgameserver's version returns an absolute `name` unchanged and does
/// not look at links; this one refuses both.
///
/// ```
/// use ferrodot::mpg::{path_join_safe, UnsafePath};
/// let root = std::env::temp_dir();
/// assert!(path_join_safe(&root, "a/b.txt").unwrap().starts_with(root.canonicalize().unwrap()));
/// assert_eq!(path_join_safe(&root, "../etc/passwd"), Err(UnsafePath::ParentDir));
/// assert_eq!(path_join_safe(&root, "/etc/passwd"), Err(UnsafePath::Absolute));
/// assert_eq!(path_join_safe(&root, "C:\\Windows"), Err(UnsafePath::Absolute));
/// ```
pub fn path_join_safe(root: impl AsRef<Path>, name: &str) -> Result<PathBuf, UnsafePath> {
    if name.contains('\0') {
        return Err(UnsafePath::Invalid);
    }
    let bytes = name.as_bytes();
    if matches!(bytes.first(), Some(b'/' | b'\\')) {
        return Err(UnsafePath::Absolute);
    }
    if bytes.len() >= 2 && bytes.first().is_some_and(u8::is_ascii_alphabetic) && bytes.get(1) == Some(&b':') {
        return Err(UnsafePath::Absolute);
    }
    let root = root.as_ref().canonicalize().map_err(|_| UnsafePath::BadRoot)?;
    let mut joined = root.clone();
    let mut named = false;
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(UnsafePath::ParentDir),
            part => {
                if cfg!(windows) && part.contains(':') {
                    return Err(UnsafePath::Invalid);
                }
                joined.push(part);
                named = true;
            }
        }
    }
    if !named {
        return Err(UnsafePath::Empty);
    }
    // The deepest part of the path that exists (as anything, a dangling
    // link included) must resolve inside the root; what does not exist
    // yet cannot be a link.
    let mut existing = joined.as_path();
    while std::fs::symlink_metadata(existing).is_err() {
        match existing.parent() {
            Some(parent) => existing = parent,
            None => return Err(UnsafePath::BadRoot),
        }
    }
    let resolved = existing.canonicalize().map_err(|_| UnsafePath::Escapes)?;
    if !resolved.starts_with(&root) {
        return Err(UnsafePath::Escapes);
    }
    let rest = joined.strip_prefix(existing).map_err(|_| UnsafePath::Escapes)?;
    Ok(if rest.as_os_str().is_empty() {
        resolved
    } else {
        resolved.join(rest)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(std::format!("ferrodot-path-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.canonicalize().unwrap()
    }

    #[test]
    fn plain_names_stay_under_the_root() {
        let root = scratch("plain");
        assert_eq!(path_join_safe(&root, "a.txt").unwrap(), root.join("a.txt"));
        assert_eq!(
            path_join_safe(&root, "sub/dir/b.txt").unwrap(),
            root.join("sub/dir/b.txt")
        );
        assert_eq!(path_join_safe(&root, "sub\\c.txt").unwrap(), root.join("sub/c.txt"));
        assert_eq!(path_join_safe(&root, "./a//b/.").unwrap(), root.join("a/b"));
        assert_eq!(path_join_safe(&root, "..a/b..").unwrap(), root.join("..a/b.."));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn escapes_are_refused() {
        let root = scratch("refuse");
        for (name, why) in [
            ("..", UnsafePath::ParentDir),
            ("../x", UnsafePath::ParentDir),
            ("a/../../x", UnsafePath::ParentDir),
            ("a\\..\\x", UnsafePath::ParentDir),
            ("/etc/passwd", UnsafePath::Absolute),
            ("\\x", UnsafePath::Absolute),
            ("C:\\Windows", UnsafePath::Absolute),
            ("c:x", UnsafePath::Absolute),
            ("", UnsafePath::Empty),
            ("./", UnsafePath::Empty),
            ("a\0b", UnsafePath::Invalid),
        ] {
            assert_eq!(path_join_safe(&root, name), Err(why), "{name:?}");
        }
        assert_eq!(path_join_safe(root.join("missing"), "a"), Err(UnsafePath::BadRoot));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let base = scratch("links");
        let root = base.join("root");
        let outside = base.join("outside");
        std::fs::create_dir_all(root.join("inner")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), root.join("secret")).unwrap();
        std::os::unix::fs::symlink(base.join("nowhere"), root.join("dangling")).unwrap();
        std::os::unix::fs::symlink(root.join("inner"), root.join("in")).unwrap();
        assert_eq!(path_join_safe(&root, "out"), Err(UnsafePath::Escapes));
        assert_eq!(path_join_safe(&root, "out/new/file"), Err(UnsafePath::Escapes));
        assert_eq!(path_join_safe(&root, "secret"), Err(UnsafePath::Escapes));
        assert_eq!(path_join_safe(&root, "dangling"), Err(UnsafePath::Escapes));
        // A link that stays inside resolves to its target.
        assert_eq!(path_join_safe(&root, "in/f").unwrap(), root.join("inner/f"));
        // A root that is itself a link is resolved first.
        std::os::unix::fs::symlink(&root, base.join("root-link")).unwrap();
        assert_eq!(path_join_safe(base.join("root-link"), "x").unwrap(), root.join("x"));
        let _ = std::fs::remove_dir_all(&base);
    }
}

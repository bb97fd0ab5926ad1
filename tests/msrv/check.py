"""MSRV check without a second toolchain: every crate `ferrodot` depends on
(normal and build dependencies, for the feature sets CI builds) must declare
a `rust-version` no newer than ferrodot's own.

This machine has one Rust toolchain, so the crate cannot be built with the
MSRV compiler itself. Two checks stand in for that: clippy's
`incompatible_msrv` lint (on by default, an error under `-D warnings`) flags
standard-library items newer than `rust-version` in ferrodot's code, and this
script flags dependencies whose own `rust-version` is newer (the usual way an
MSRV breaks: a `cargo update` pulls in a release that needs a newer Rust).

usage: python3 tests/msrv/check.py
"""

import json
import subprocess
import sys

FEATURE_SETS = [
    ["--features", "ferrodot/tls-rustls,ferrodot/middleware,ferrodot/portal,ferrodot/openapi,ferrodot/schemars,ferrodot/multipart"],
    ["--no-default-features", "--features", "ferrodot/json,ferrodot/ws,ferrodot/client,ferrodot/middleware,"
     "ferrodot/portal,ferrodot/openapi,ferrodot/embassy"],
]


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def metadata(flags):
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--manifest-path", "crates/ferrodot/Cargo.toml",
         *flags],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def reachable(meta, root):
    """Package ids `root` needs to build (normal and build dependencies, any target)."""
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                todo.append(dep["pkg"])
    return seen


def main():
    failures, checked = [], set()
    msrv = None
    for flags in FEATURE_SETS:
        meta = metadata(flags)
        packages = {p["id"]: p for p in meta["packages"]}
        root = next(p for p in meta["packages"] if p["name"] == "ferrodot")
        msrv = root["rust_version"]
        for pid in reachable(meta, root["id"]) - {root["id"]}:
            p = packages[pid]
            checked.add((p["name"], p["version"]))
            needs = p.get("rust_version")
            if needs and version(needs) > version(msrv):
                failures.append(f"{p['name']} {p['version']} needs Rust {needs}")
    print(f"ferrodot rust-version {msrv}: {len(checked)} dependencies checked")
    for f in sorted(set(failures)):
        print(f"  too new: {f}")
    if failures:
        print("pin an older release in Cargo.lock (cargo update -p NAME --precise VERSION) or raise rust-version")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

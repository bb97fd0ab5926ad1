"""Fixtures for the Python tests of the ferrodot demo.

The tests drive the real demo binary over TCP on 127.0.0.1 with an
OS-chosen port. This file does not build anything when a binary exists: it
uses the newest of ``target/release/demo`` and ``target/debug/demo`` (``cargo
test --workspace`` leaves the debug one), or ``$FERRODOT_DEMO`` if set. Only
when neither exists does it run ``cargo build -p demo``.
"""

import os
import queue
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20  # seconds for the demo to print its address
BUILD_TIMEOUT = 1800


def _target_dir() -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    return Path(env) if env else ROOT / "target"


def demo_binary() -> Path:
    override = os.environ.get("FERRODOT_DEMO")
    if override:
        path = Path(override)
        if not path.is_file():
            pytest.fail(f"FERRODOT_DEMO={override} is not a file")
        return path
    target = _target_dir()
    found = [p for p in (target / "release" / "demo", target / "debug" / "demo") if p.is_file()]
    if found:
        return max(found, key=lambda p: p.stat().st_mtime)
    subprocess.run(["cargo", "build", "-p", "demo"], cwd=ROOT, check=True, timeout=BUILD_TIMEOUT)
    built = target / "debug" / "demo"
    if not built.is_file():
        pytest.fail(f"cargo build -p demo did not produce {built}")
    return built


class Demo:
    """A running demo process, started by and stopped by this fixture only."""

    def __init__(self, binary: Path):
        self.proc = subprocess.Popen(
            [str(binary), "--host", "127.0.0.1", "--port", "0", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: "queue.Queue[str]" = queue.Queue()

        def pump():
            for line in self.proc.stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        try:
            first = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            self.stop()
            pytest.fail("the demo did not print its address in time")
        prefix = "ferrodot demo listening on http://"
        if not first.startswith(prefix):
            self.stop()
            pytest.fail(f"unexpected first line from the demo: {first!r}")
        self.addr = first[len(prefix):].strip()
        host, _, port = self.addr.rpartition(":")
        assert host == "127.0.0.1", self.addr
        self.port = int(port)
        self.url = f"http://{self.addr}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture(scope="session")
def demo():
    d = Demo(demo_binary())
    try:
        yield d
    finally:
        d.stop()


@pytest.fixture(scope="session")
def base(demo):
    """The demo's base URL, ``http://127.0.0.1:PORT``."""
    return demo.url

"""Starting and stopping the project's server binaries for the Python tests.

A binary is taken from ``$ENV_VAR`` if set, else the newest of the release
and debug builds in the target directory; only when neither exists is it
built. A server listens on 127.0.0.1 with an OS-chosen port (``--port 0``)
and reports its address on its first line of output. Each server is
stopped by its own handle; every wait is bounded.
"""

import os
import queue
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20  # seconds for a server to print its address
BUILD_TIMEOUT = 1800


def target_dir() -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    return Path(env) if env else ROOT / "target"


def find_binary(relative: str, build: list, env_var: str) -> Path:
    """``relative`` is the path under ``target/<profile>/``, e.g. ``demo``
    or ``examples/ws_echo``; ``build`` the cargo arguments that build it."""
    override = os.environ.get(env_var)
    if override:
        path = Path(override)
        if not path.is_file():
            pytest.fail(f"{env_var}={override} is not a file")
        return path
    target = target_dir()
    found = [p for p in (target / "release" / relative, target / "debug" / relative) if p.is_file()]
    if found:
        return max(found, key=lambda p: p.stat().st_mtime)
    subprocess.run(["cargo", "build", *build], cwd=ROOT, check=True, timeout=BUILD_TIMEOUT)
    built = target / "debug" / relative
    if not built.is_file():
        pytest.fail(f"cargo build {' '.join(build)} did not produce {built}")
    return built


class Server:
    """A running server process, started and stopped by a test only."""

    def __init__(self, binary: Path, args: list, banner: str):
        self.binary = binary
        self.proc = subprocess.Popen(
            [str(binary), "--host", "127.0.0.1", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: "queue.Queue[str]" = queue.Queue()

        def pump(stream=self.proc.stdout):
            for line in stream:
                lines.put(line)
            lines.put("")  # end of output: the process exited

        threading.Thread(target=pump, daemon=True).start()
        self.lines = lines
        try:
            first = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            self.stop()
            pytest.fail(f"{binary.name} did not print its address in time")
        if not first.startswith(banner):
            self.stop()
            pytest.fail(f"unexpected first line from {binary.name}: {first!r}")
        self.addr = first[len(banner):].strip()
        host, _, port = self.addr.rpartition(":")
        assert host == "127.0.0.1", self.addr
        self.port = int(port)

    def next_line(self, timeout: float = 5) -> str:
        """The server's next line of output (bounded wait); fails the test
        when none comes in time or the process has exited."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"{self.binary.name} printed nothing within {timeout} s")
        if line == "":
            pytest.fail(f"{self.binary.name} exited")
        return line.rstrip("\n")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

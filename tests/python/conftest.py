"""Fixtures for the Python tests of the ferrodot demo and examples.

The tests drive the real demo binary over TCP on 127.0.0.1 with an
OS-chosen port. This file does not build anything when a binary exists: it
uses the newest of ``target/release/demo`` and ``target/debug/demo`` (``cargo
test --workspace`` leaves the debug one), or ``$FERRODOT_DEMO`` if set. Only
when neither exists does it run ``cargo build -p demo``.
"""

import pytest

from servers import Server, find_binary


class Demo(Server):
    """The demo, on 127.0.0.1 and a free port."""

    def __init__(self):
        super().__init__(find_binary("demo", ["-p", "demo"], "FERRODOT_DEMO"), ["--quiet"], "ferrodot demo listening on http://")
        self.url = f"http://{self.addr}"


class WsEcho(Server):
    """The ws_echo example, on 127.0.0.1 and a free port."""

    def __init__(self):
        super().__init__(find_binary("examples/ws_echo", ["--example", "ws_echo"], "FERRODOT_WS_ECHO"), [], "listening on http://")
        self.url = f"ws://{self.addr}"
        self.http = self.addr


def example(name: str, args: list, banner: str = "listening on http://") -> Server:
    """The example ``name`` on 127.0.0.1 and a free port (binary from
    ``$FERRODOT_<NAME>`` if set)."""
    binary = find_binary(f"examples/{name}", ["--example", name], f"FERRODOT_{name.upper()}")
    server = Server(binary, args, banner)
    server.url = f"http://{server.addr}"
    return server


@pytest.fixture(scope="session")
def demo():
    d = Demo()
    try:
        yield d
    finally:
        d.stop()


@pytest.fixture(scope="session")
def base(demo):
    """The demo's base URL, ``http://127.0.0.1:PORT``."""
    return demo.url


@pytest.fixture(scope="session")
def ws_echo():
    server = WsEcho()
    try:
        yield server
    finally:
        server.stop()
    assert server.proc.returncode is not None, "ws_echo is still running"


@pytest.fixture
def pycom():
    """A fresh pycom_resources example (no persistence) for each test."""
    server = example("pycom_resources", [])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def start_pycom():
    """Start pycom_resources with extra arguments (``--store FILE``); every
    server started is stopped at the end of the test."""
    started = []

    def start(*args):
        server = example("pycom_resources", list(args))
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="module")
def led():
    """microserver_led: ``led.url`` is the LED server, ``led.info_url`` the
    second server (without a name) of the same process."""
    server = example("microserver_led", ["--info-port", "0"])
    try:
        line = server.next_line()
        prefix = "server_two listening on http://"
        assert line.startswith(prefix), line
        server.info_url = "http://" + line[len(prefix):]
        yield server
    finally:
        server.stop()


@pytest.fixture
def user_resource(tmp_path):
    """user_resource storing files under a fresh ``tmp_path / "files"``;
    ``server.dir`` is that directory."""
    files = tmp_path / "files"
    files.mkdir()
    server = example("user_resource", ["--dir", str(files)])
    server.dir = files
    try:
        yield server
    finally:
        server.stop()

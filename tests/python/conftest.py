"""Fixtures for the Python tests of the ferrodot demo.

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

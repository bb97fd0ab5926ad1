"""ferrodot's WebSocket client (the ``ws_client`` example) against the
``ws_echo`` example and against servers written with Python's ``websockets``
library, and raw-socket servers that break the handshake or the framing.
Everything on 127.0.0.1; every run is bounded."""

import asyncio
import base64
import hashlib
import socket
import subprocess
import threading

import pytest
from websockets.asyncio.server import serve

from servers import find_binary

STEP = 20


def ws_client(*args):
    exe = str(find_binary("examples/ws_client", ["--example", "ws_client"], "FERRODOT_WS_CLIENT"))
    return subprocess.run([exe, *args], capture_output=True, timeout=STEP)


def test_echo_text_unicode_and_a_large_message(ws_echo):
    run = ws_client(ws_echo.url + "/echo", "hello", "wörld ✓")
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == ["hello", "wörld ✓"]
    big = ws_client("--repeat-size", "1000000", ws_echo.url + "/echo")
    assert big.returncode == 0, big.stderr
    assert big.stdout.decode().strip() == "1000000 bytes"


def test_subprotocol_and_a_refused_upgrade(ws_echo):
    run = ws_client("--protocol", "echo.v1", ws_echo.url + "/echo-small", "hi")
    assert run.returncode == 0 and run.stdout == b"hi\n", run.stderr
    refused = ws_client(ws_echo.url + "/no-such-socket", "hi")
    assert refused.returncode == 1
    assert "did not switch protocols" in refused.stderr.decode()


def test_too_large_for_the_route_is_closed_1009(ws_echo):
    run = ws_client("--repeat-size", str(200 * 1024), ws_echo.url + "/echo-small")
    assert run.returncode == 1
    assert "1009" in run.stderr.decode(), run.stderr


class PythonServer:
    """A `websockets` server on a thread: echoes in upper case, pinging
    the client before every answer, and records what it was sent."""

    def __init__(self):
        self.received = []
        self.closed_with = []
        ready = threading.Event()
        self.loop = asyncio.new_event_loop()

        async def handler(ws):
            async for message in ws:
                self.received.append(message)
                await asyncio.wait_for(await ws.ping(b"are you there"), 5)
                await ws.send(message.upper() if isinstance(message, str) else message[::-1])
            self.closed_with.append(ws.close_code)

        async def main():
            async with serve(handler, "127.0.0.1", 0) as server:
                self.port = server.sockets[0].getsockname()[1]
                ready.set()
                self.stop = self.loop.create_future()
                await self.stop

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(main(),), daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def close(self):
        self.loop.call_soon_threadsafe(self.stop.set_result, None)
        self.thread.join(10)


@pytest.fixture
def python_server():
    server = PythonServer()
    try:
        yield server
    finally:
        server.close()


def test_against_python_websockets_with_pings(python_server):
    url = f"ws://127.0.0.1:{python_server.port}/"
    run = ws_client(url, "one", "two")
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == ["ONE", "TWO"]
    binary = ws_client("--binary", url, "abc")
    assert binary.returncode == 0 and binary.stdout == b"cba\n", binary.stderr
    assert python_server.received == ["one", "two", b"abc"]
    # The server's handler notes the close just after the client has gone.
    import time
    deadline = time.monotonic() + 5
    while len(python_server.closed_with) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert python_server.closed_with == [1000, 1000], "closed cleanly with 1000 both times"


def raw_server(answer):
    """A one-connection server that reads the upgrade request and calls
    ``answer(sock, key)``."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def run():
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(4096)
                key = next(l.split(b":", 1)[1].strip() for l in data.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key:"))
                answer(conn, key)

    threading.Thread(target=run, daemon=True).start()
    return f"ws://127.0.0.1:{listener.getsockname()[1]}/"


def accept(key):
    return base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())


def test_a_wrong_accept_key_is_refused():
    url = raw_server(lambda c, key: c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                             b"Sec-WebSocket-Accept: " + accept(key + b"x") + b"\r\n\r\n"))
    run = ws_client(url, "hi")
    assert run.returncode == 1 and "Sec-WebSocket-Accept" in run.stderr.decode(), run.stderr


def test_a_masked_frame_from_the_server_is_a_protocol_error():
    def answer(conn, key):
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept(key) + b"\r\n\r\n")
        conn.recv(4096)
        conn.sendall(bytes([0x81, 0x82, 1, 2, 3, 4, ord("h") ^ 1, ord("i") ^ 2]))
        try:
            conn.recv(4096)
        except OSError:
            pass

    run = ws_client(raw_server(answer), "hi")
    assert run.returncode == 1 and "must not be masked" in run.stderr.decode(), run.stderr

"""mpgameserver's WebSocket callback style over a real socket: the
callback hears Open first, then each message with its opcode (the
``/game`` route of examples/ws_echo answers ``open`` and ``<opcode>:<payload>``)."""

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def echo_server():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(["cargo", "build", "-q", "--release", "--example", "ws_echo"], cwd=ROOT, check=True, timeout=1800)
    port = free_port()
    proc = subprocess.Popen([str(target / "release" / "examples" / "ws_echo"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening" in line, line
        yield f"ws://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_callback_sees_open_then_each_message(echo_server):
    async def go():
        async with websockets.connect(echo_server + "/game", open_timeout=10) as ws:
            assert await asyncio.wait_for(ws.recv(), 5) == "open"
            await ws.send("hello")
            assert await asyncio.wait_for(ws.recv(), 5) == "1:hello"
            await ws.send(b"\x00\xff")
            assert await asyncio.wait_for(ws.recv(), 5) == b"2:\x00\xff"
            pong = await ws.ping(b"p")
            await asyncio.wait_for(pong, 5)  # answered automatically
            await ws.close(4001, "bye")
            assert ws.close_code == 4001
    asyncio.run(go())

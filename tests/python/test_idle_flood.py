"""Connection pressure: sockets that never send a byte must not keep
clients out of the demo (64 slots) or of ws_echo, and an open WebSocket is
never closed to make room for them. Each demo here is its own process."""

import asyncio
import socket
import time

import requests
from websockets.asyncio.client import connect

from conftest import Demo, WsEcho

IDLE = 300


def idle_flood(addr: str, n: int) -> list:
    host, port = addr.rsplit(":", 1)
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, int(port)), timeout=5)
        socks.append(s)
    return socks


def test_three_hundred_idle_sockets_do_not_stop_the_demo():
    demo = Demo()
    socks = []
    try:
        socks = idle_flood(demo.addr, IDLE)
        time.sleep(1.5)  # the kernel hands deferred silent sockets over after 1 s
        with requests.Session() as s:
            s.trust_env = False
            for i in range(20):
                t0 = time.monotonic()
                r = s.get(f"{demo.url}/status", timeout=5)
                took = time.monotonic() - t0
                assert r.status_code == 200, r.text
                assert took < 1.0, f"request {i} took {took:.2f} s"
                time.sleep(0.05)
    finally:
        for s in socks:
            s.close()
        demo.stop()


def test_an_open_websocket_is_not_evicted_by_idle_sockets():
    server = WsEcho()
    socks = []

    async def go():
        async with connect(server.url + "/echo", open_timeout=10, ping_interval=None) as ws:
            await ws.send("before")
            assert await asyncio.wait_for(ws.recv(), 10) == "before"
            socks.extend(idle_flood(server.http, IDLE))
            await asyncio.sleep(1.5)
            # New clients are served meanwhile ...
            for _ in range(5):
                t0 = time.monotonic()
                r = requests.get(f"http://{server.http}/", timeout=5)
                assert r.status_code in (200, 404)
                assert time.monotonic() - t0 < 1.0
            # ... and the WebSocket is still there.
            await ws.send("after")
            assert await asyncio.wait_for(ws.recv(), 10) == "after"

    try:
        asyncio.run(asyncio.wait_for(go(), 60))
    finally:
        for s in socks:
            s.close()
        server.stop()

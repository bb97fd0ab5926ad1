"""WebSockets through the Python ``websockets`` library, a real third-party
client, against the ``ws_echo`` example: ``/echo`` (16 MiB messages) and
``/echo-small`` (64 KiB, subprotocol ``echo.v1``).

The ``ws_echo`` fixture (conftest.py) starts the example on 127.0.0.1 and
a free port, and stops it by its handle. Every wait is bounded.
"""

import asyncio
import http.client
import os

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

STEP = 10  # seconds for any one send, receive or handshake
TEST_TIMEOUT = 60  # seconds for a whole test's conversation

MIB = 1024 * 1024


def run(conversation):
    """Run one async conversation with an overall time limit."""
    asyncio.run(asyncio.wait_for(conversation, TEST_TIMEOUT))


def ws_connect(url, **kw):
    kw.setdefault("open_timeout", STEP)
    kw.setdefault("close_timeout", STEP)
    kw.setdefault("ping_interval", None)  # only the pings a test sends
    kw.setdefault("max_size", 4 * MIB)
    return connect(url, **kw)


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), STEP)


# ---------------------------------------------------------------- echo


def test_text_with_non_ascii_is_echoed(ws_echo):
    async def go():
        async with ws_connect(ws_echo.url + "/echo") as ws:
            for text in ["hello", "héllo wörld — κόσμε", "emoji 🌍🚀 and CJK 漢字", "", "a" * 126, "€" * 30000]:
                await ws.send(text)
                got = await recv(ws)
                assert isinstance(got, str), type(got)
                assert got == text

    run(go())


def test_binary_is_echoed(ws_echo):
    async def go():
        async with ws_connect(ws_echo.url + "/echo") as ws:
            for data in [bytes(range(256)), b"", b"\x00", os.urandom(70000)]:
                await ws.send(data)
                got = await recv(ws)
                assert isinstance(got, bytes), type(got)
                assert got == data

    run(go())


def test_a_fragmented_message_is_echoed_whole(ws_echo):
    async def go():
        async with ws_connect(ws_echo.url + "/echo") as ws:
            await ws.send(["frag", "ment", "é", "d"])
            assert await recv(ws) == "fragmentéd"
            await ws.send([b"\x01\x02", b"", b"\x03"])
            assert await recv(ws) == b"\x01\x02\x03"

    run(go())


def test_a_1_mib_message_is_echoed_on_echo(ws_echo):
    async def go():
        async with ws_connect(ws_echo.url + "/echo") as ws:
            data = os.urandom(MIB)
            await asyncio.wait_for(ws.send(data), STEP)
            got = await recv(ws)
            assert len(got) == MIB
            assert got == data
            text = ("0123456789abcdé" * (MIB // 16 + 1))[: MIB // 2]
            await asyncio.wait_for(ws.send(text), STEP)
            assert await recv(ws) == text
            # The socket is still usable afterwards.
            await ws.send("after")
            assert await recv(ws) == "after"

    run(go())


def test_a_1_mib_message_on_echo_small_is_closed_with_1009(ws_echo):
    async def go():
        async with ws_connect(ws_echo.url + "/echo-small") as ws:
            # Within the limit first.
            small = os.urandom(64 * 1024)
            await ws.send(small)
            assert await recv(ws) == small
            try:
                await asyncio.wait_for(ws.send(os.urandom(MIB)), STEP)
            except ConnectionClosed:
                pass  # the server may refuse before the client has sent it all
            with pytest.raises(ConnectionClosedError) as closed:
                await recv(ws)
            assert closed.value.rcvd is not None, f"no close frame from the server: {closed.value!r}"
            assert closed.value.rcvd.code == 1009, closed.value.rcvd

    run(go())


# ---------------------------------------------------------------- subprotocols


def test_a_supported_subprotocol_is_chosen(ws_echo):
    async def go():
        async with ws_connect(ws_echo.url + "/echo-small", subprotocols=["x", "echo.v1"]) as ws:
            assert ws.subprotocol == "echo.v1"
            assert ws.response.headers["Sec-WebSocket-Protocol"] == "echo.v1"
            await ws.send("with protocol")
            assert await recv(ws) == "with protocol"

    run(go())


def test_no_subprotocol_when_none_offered_is_supported(ws_echo):
    async def go():
        async with ws_connect(ws_echo.url + "/echo-small", subprotocols=["x"]) as ws:
            assert ws.subprotocol is None
            assert "Sec-WebSocket-Protocol" not in ws.response.headers
            await ws.send("no protocol")
            assert await recv(ws) == "no protocol"
        # /echo speaks no subprotocol at all.
        async with ws_connect(ws_echo.url + "/echo", subprotocols=["echo.v1"]) as ws:
            assert ws.subprotocol is None

    run(go())


# ---------------------------------------------------------------- closing


@pytest.mark.parametrize("code,reason", [(1000, ""), (4000, "bye now"), (1001, "going"), (3000, "ünïcode")])
def test_the_server_echoes_the_close_code(ws_echo, code, reason):
    async def go():
        async with ws_connect(ws_echo.url + "/echo") as ws:
            await ws.send("before close")
            assert await recv(ws) == "before close"
            await asyncio.wait_for(ws.close(code, reason), STEP)
            assert ws.protocol.close_sent.code == code
            assert ws.protocol.close_rcvd is not None, "the server did not answer with a close frame"
            assert ws.close_code == code
            with pytest.raises(ConnectionClosed):
                await recv(ws)

    run(go())


# ---------------------------------------------------------------- ping


def test_a_ping_gets_a_pong(ws_echo):
    async def go():
        async with ws_connect(ws_echo.url + "/echo") as ws:
            # websockets resolves a ping's waiter only with a pong carrying
            # the same payload.
            for payload in [b"hello", b"", os.urandom(125), "text ping"]:
                waiter = await ws.ping(payload)
                latency = await asyncio.wait_for(waiter, STEP)
                assert latency >= 0
            # Pings in the middle of traffic do not disturb messages.
            waiter = await ws.ping(b"mid")
            await ws.send("message")
            assert await recv(ws) == "message"
            await asyncio.wait_for(waiter, STEP)

    run(go())


# ---------------------------------------------------------------- plain HTTP


def test_a_plain_http_get_on_a_websocket_route_is_400(ws_echo):
    conn = http.client.HTTPConnection(ws_echo.http, timeout=STEP)
    try:
        conn.request("GET", "/echo")
        r = conn.getresponse()
        body = r.read().decode()
        assert r.status == 400, body
        assert r.getheader("Content-Type", "").startswith("text/plain")
        assert "Upgrade: websocket" in body, body
    finally:
        conn.close()


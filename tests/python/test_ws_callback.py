"""mpgameserver's WebSocket callback style over a real socket: the
callback hears Open first, then each message with its opcode (the
``/game`` route of examples/ws_echo answers ``open`` and ``<opcode>:<payload>``)."""

import asyncio

import websockets


def test_callback_sees_open_then_each_message(ws_echo):
    async def go():
        async with websockets.connect(ws_echo.url + "/game", open_timeout=10) as ws:
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

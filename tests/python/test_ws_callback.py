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


def test_callback_sees_the_request_and_sends_several_and_large_messages(ws_echo):
    async def go():
        async with websockets.connect(ws_echo.url + "/game/l%C3%B6bby?x=1", open_timeout=10, max_size=None) as ws:
            # Two messages from the one Open event; the capture and the path.
            assert await asyncio.wait_for(ws.recv(), 5) == "open"
            assert await asyncio.wait_for(ws.recv(), 5) == "room löbby at /game/l%C3%B6bby"
            await ws.send("burst 3")
            assert [await asyncio.wait_for(ws.recv(), 5) for _ in range(3)] == ["burst 0", "burst 1", "burst 2"]
            # Larger than the old 1 KiB scratch: 4 KiB, then 60 KiB.
            await ws.send("big 4096")
            assert await asyncio.wait_for(ws.recv(), 5) == "x" * 4096
            await ws.send("big 61440")
            assert await asyncio.wait_for(ws.recv(), 5) == "x" * 61440
            # Beyond the callback's 64 KiB buffer: an error return, told here.
            await ws.send("big 70000")
            reply = await asyncio.wait_for(ws.recv(), 5)
            assert reply.startswith("error: TooLarge { len: 70000, max: 65531 }"), reply
            # The socket still works afterwards.
            await ws.send("still")
            assert await asyncio.wait_for(ws.recv(), 5) == "1:still"
    asyncio.run(go())


def test_close_arrives_with_an_empty_payload_and_its_code(ws_echo):
    async def go():
        async with websockets.connect(ws_echo.url + "/game", open_timeout=10) as ws:
            assert await asyncio.wait_for(ws.recv(), 5) == "open"
            await ws.close(4321, "a reason the callback does not get as payload")
        async with websockets.connect(ws_echo.url + "/game", open_timeout=10) as ws:
            assert await asyncio.wait_for(ws.recv(), 5) == "open"
            # The first socket's Close event runs just after its close
            # frame went out: ask again until it has.
            for _ in range(50):
                await ws.send("last-close")
                seen = await asyncio.wait_for(ws.recv(), 5)
                if seen != "none":
                    break
                await asyncio.sleep(0.02)
            assert seen == "close 4321 payload 0"
    asyncio.run(go())

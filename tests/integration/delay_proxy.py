#!/usr/bin/env python3
"""TCP proxy from a worker to the master that delivers what the worker
sends late, in order (the master's side at once): a link slower than the
worker's reports, whose queue holds them back longer and longer. What is
read T seconds after the connection opened goes T - AFTER seconds late
(none before AFTER, at most --delay): the delay grows by a second a second,
so the master still hears something every 2 s. Prints "listening on PORT"
once ready; runs until killed.

Usage: delay_proxy.py --master-port PORT --delay MAX [--after AFTER]"""
import argparse
import asyncio

ap = argparse.ArgumentParser()
ap.add_argument("--master-port", type=int, required=True)
ap.add_argument("--delay", type=float, required=True)
ap.add_argument("--after", type=float, default=1.0)
a = ap.parse_args()


async def late(r, w):
    """Copy r to w, each chunk --delay seconds after it was read."""
    queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def writer():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            w.write(data)
            await w.drain()
        w.close()

    task = asyncio.create_task(writer())
    opened = loop.time()
    try:
        while True:
            data = await r.read(65536)
            if not data:
                break
            t = loop.time()
            await queue.put((t + min(max(0.0, t - opened - a.after), a.delay), data))
    except Exception:
        pass
    await queue.put((0, None))
    await task


async def now(r, w):
    try:
        while True:
            data = await r.read(65536)
            if not data:
                break
            w.write(data)
            await w.drain()
    except Exception:
        pass
    w.close()


async def handle(cr, cw):
    try:
        mr, mw = await asyncio.open_connection("127.0.0.1", a.master_port)
    except OSError:
        cw.close()
        return
    await asyncio.gather(late(cr, mw), now(mr, cw), return_exceptions=True)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())

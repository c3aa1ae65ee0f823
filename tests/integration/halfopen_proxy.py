#!/usr/bin/env python3
"""TCP proxy from a worker to the master, for test-master-reconnect.sh.
After --cut-after seconds it resets the worker's side of the first
connection (the worker sees it break and reconnects through the proxy)
and leaves the master's side open and unread: a half-open connection at
the master, as after a NAT or conntrack flush that ate the FIN. Runs until
killed."""
import argparse
import asyncio

ap = argparse.ArgumentParser()
ap.add_argument("--listen", type=int, required=True)
ap.add_argument("--master-port", type=int, required=True)
ap.add_argument("--cut-after", type=float, required=True)
a = ap.parse_args()
conns = []


async def pipe(r, w):
    try:
        while True:
            d = await r.read(65536)
            if not d:
                break
            w.write(d)
            await w.drain()
    except Exception:
        pass


async def handle(cr, cw):
    mr, mw = await asyncio.open_connection("127.0.0.1", a.master_port)
    conns.append((cw, asyncio.create_task(pipe(cr, mw)), asyncio.create_task(pipe(mr, cw))))
    print(f"proxy: connection {len(conns) - 1}", flush=True)


async def main():
    await asyncio.start_server(handle, "127.0.0.1", a.listen)
    await asyncio.sleep(a.cut_after)
    cw, up, down = conns[0]
    up.cancel()
    down.cancel()
    cw.transport.abort()  # the worker sees a reset; the master's side stays open
    print("proxy: cut the worker's side of connection 0, the master's left open", flush=True)
    await asyncio.sleep(3600)


asyncio.run(main())

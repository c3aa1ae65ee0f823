#!/usr/bin/env python3
"""TCP proxy from a worker to the master, for test-master-lost-grant.sh.
On SIGUSR1 it throws away everything the master sends on the first
connection (the worker's messages still reach the master), as a
link that lost one direction: the worker, hearing nothing, drops the
connection and reconnects through the proxy; the master's messages of
that span are lost. Runs until killed."""
import argparse
import asyncio
import signal

ap = argparse.ArgumentParser()
ap.add_argument("--listen", type=int, required=True)
ap.add_argument("--master-port", type=int, required=True)
a = ap.parse_args()
state = {"connections": 0, "dropping": False}


async def pipe(r, w, index, down):
    try:
        while True:
            d = await r.read(65536)
            if not d:
                break
            if down and index == 0 and state["dropping"]:
                continue  # lost on the way
            w.write(d)
            await w.drain()
    except Exception:
        pass
    w.close()  # one side ended: so does the other


async def handle(cr, cw):
    index = state["connections"]
    state["connections"] += 1
    mr, mw = await asyncio.open_connection("127.0.0.1", a.master_port)
    print(f"proxy: connection {index}", flush=True)
    await asyncio.gather(pipe(cr, mw, index, False), pipe(mr, cw, index, True))
    print(f"proxy: connection {index} closed", flush=True)


def drop():
    state["dropping"] = True
    print("proxy: dropping what the master sends on connection 0", flush=True)


async def main():
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, drop)
    await asyncio.start_server(handle, "127.0.0.1", a.listen)
    print(f"listening on {a.listen}", flush=True)
    await asyncio.sleep(3600)


asyncio.run(main())

#!/usr/bin/env python3
"""TCP proxy from a worker to the master, for test-master-lost-grant.sh.
Once the master's first GRANT has gone through on the first connection,
it throws away everything else the master sends there (the worker's
messages still reach the master), as a link that lost one direction: the
worker, hearing nothing, drops the connection and reconnects through the
proxy; the master's messages of that span (the GRANTs of the rest of a
ramp) are lost. Triggered by what passes, not by a signal from the test:
the drop starts after the first GRANT however slow the machine is (the
test sent a signal once the worker's users showed in the master's
history, and on a busy machine that came after the ramp's last GRANT).
Runs until killed."""
import argparse
import asyncio

ap = argparse.ArgumentParser()
ap.add_argument("--listen", type=int, required=True)
ap.add_argument("--master-port", type=int, required=True)
a = ap.parse_args()
state = {"connections": 0, "dropping": False}

# A GRANT frame's first bytes (no CurveZMQ: ZMTP carries it in the clear):
# msgpack [type 11, protocol_version 8, body]. ZMTP puts a flags byte and a
# size byte before it (a GRANT of this test is short).
GRANT = b"\x93\x0b\x08"


def until_second_grant(d):
    """The part of @d to forward: all of it, or up to the second GRANT in it."""
    first = d.find(GRANT)
    if first < 0:
        return d, False
    second = d.find(GRANT, first + len(GRANT))
    return (d if second < 0 else d[:max(second - 2, first + len(GRANT))]), True


async def pipe(r, w, index, down):
    try:
        while True:
            d = await r.read(65536)
            if not d:
                break
            if down and index == 0:
                if state["dropping"]:
                    continue  # lost on the way
                d, grant = until_second_grant(d)
                if grant:
                    state["dropping"] = True
                    print("proxy: dropping what the master sends on connection 0 after its "
                          "first GRANT", flush=True)
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


async def main():
    await asyncio.start_server(handle, "127.0.0.1", a.listen)
    print(f"listening on {a.listen}", flush=True)
    await asyncio.sleep(3600)


asyncio.run(main())

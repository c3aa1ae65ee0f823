#!/usr/bin/env python3
"""A worker-to-master TCP proxy for test-master-reconnect.sh (ZeroMQ's
ZMTP 3 with the NULL mechanism: no CurveZMQ). On the first connection,
after --after SNAPSHOTs it swallows the next SNAPSHOT (a report lost with
its connection), forwards nothing more until the worker's next HEARTBEAT,
swallows that too, then resets both sides: the worker's next message,
on its new connection, is then most often its next report. With --swallow
DECLINE it does the same to the worker's first DECLINE instead
(test-master-decline.sh). Later connections are forwarded untouched; every
message type (and report number) is logged on stdout."""
import argparse, asyncio, socket, struct, time
ap = argparse.ArgumentParser()
ap.add_argument("--listen", type=int, required=True)
ap.add_argument("--master-port", type=int, required=True)
ap.add_argument("--after", type=int, default=3)
ap.add_argument("--swallow", choices=["SNAPSHOT", "DECLINE"], default="SNAPSHOT")
a = ap.parse_args()
NAMES = {1:"HELLO",2:"WELCOME",3:"REJECT",4:"SCENARIO",5:"TARGET",6:"SNAPSHOT",7:"HEARTBEAT",8:"STOP",9:"FINAL",10:"QUIT",11:"GRANT",12:"DECLINE"}
SWALLOW = 6 if a.swallow == "SNAPSHOT" else 12
nconn = 0
t0 = time.monotonic()
def log(*x): print("%.3f" % (time.monotonic()-t0), *x, flush=True)

def seq_of(body):
    # body: [type, ver, [seq, ...]] msgpack; seq is the first element of the inner array
    try:
        i = 3  # 0x93, type, ver
        if body[i] & 0xf0 != 0x90: return None
        i += 1
        b = body[i]
        if b < 0x80: return b
        if b == 0xcc: return body[i+1]
        if b == 0xcd: return struct.unpack(">H", body[i+1:i+3])[0]
        if b == 0xce: return struct.unpack(">I", body[i+1:i+5])[0]
        if b == 0xcf: return struct.unpack(">Q", body[i+1:i+9])[0]
    except Exception:
        return None

async def pipe_down(r, w):
    try:
        while True:
            d = await r.read(65536)
            if not d: break
            w.write(d); await w.drain()
    except Exception: pass

async def handle(cr, cw):
    global nconn
    k = nconn; nconn += 1
    mr, mw = await asyncio.open_connection("127.0.0.1", a.master_port)
    log(f"conn {k} open")
    down = asyncio.create_task(pipe_down(mr, cw))
    buf = b""; greeted = False; gl = 0; snaps = 0; state = "fwd"
    try:
        while True:
            d = await cr.read(65536)
            if not d: break
            buf += d
            out = b""
            if not greeted:
                take = min(len(buf), 64 - gl)
                out += buf[:take]; buf = buf[take:]; gl += take
                greeted = gl == 64
                if not greeted:
                    mw.write(out); await mw.drain(); continue
            while True:
                if len(buf) < 2: break
                flags = buf[0]
                if flags & 2:
                    if len(buf) < 9: break
                    size = struct.unpack(">Q", buf[1:9])[0]; hl = 9
                else:
                    size = buf[1]; hl = 2
                if len(buf) < hl + size: break
                frame = buf[:hl+size]; body = buf[hl:hl+size]; buf = buf[hl+size:]
                if flags & 4:  # command (READY, PING)
                    if state != "cut": out += frame
                    continue
                typ = body[1] if len(body) > 1 else None
                name = NAMES.get(typ, str(typ))
                sq = seq_of(body) if typ in (6, 9) else None
                if k == 0 and typ == SWALLOW:
                    snaps += 1
                if k == 0 and state == "fwd" and typ == SWALLOW and snaps == a.after + 1:
                    state = "drop"
                    log(f"conn {k}: SWALLOWED {name} seq {sq}")
                    continue
                if state == "drop":
                    log(f"conn {k}: swallowed {name} seq {sq}")
                    if typ == 7:
                        state = "cut"
                    continue
                if state == "cut":
                    continue
                log(f"conn {k}: {name}" + (f" seq {sq}" if sq is not None else ""))
                out += frame
            if out:
                mw.write(out); await mw.drain()
            if state == "cut":
                log(f"conn {k}: cutting both sides")
                for wr in (cw, mw):
                    s = wr.get_extra_info("socket")
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    wr.transport.abort()
                down.cancel()
                return
    except Exception as e:
        log("err", e)

async def main():
    await asyncio.start_server(handle, "127.0.0.1", a.listen)
    await asyncio.sleep(600)  # bounded: the test kills it long before
asyncio.run(main())

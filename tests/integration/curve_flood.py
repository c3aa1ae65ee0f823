"""Handshakes with CurveZMQ keys no master admits: what a peer anyone can
reach may do to a master's log.

Usage: curve_flood.py ENDPOINT MASTER_PUBLIC_Z85 LOG LATE_PUBLIC LATE_SECRET
ENDPOINT is tcp://127.0.0.1:PORT, LOG the master's log. Fresh random keys
connect once each, in batches, until LOG says a flood is on (however slow
the machine is). Then, while new random keys go on coming from 127.0.0.1,
300 other keys connect twice each from there, and the key LATE_PUBLIC /
LATE_SECRET connects from 127.0.0.2 until LOG names it. Each wait is
bounded (60 s). Prints nothing; exit 0, or 1 when a wait ran out.
"""
import sys
import threading
import time

import zmq

endpoint, master_pub, log_path, late_pub, late_sec = sys.argv[1:6]
ctx = zmq.Context()


def dealer(pub, sec, source=None):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_publickey = pub
    s.curve_secretkey = sec
    s.curve_serverkey = master_pub.encode()
    host_port = endpoint[len("tcp://"):]
    s.connect(f"tcp://{source}:0;{host_port}" if source else endpoint)
    return s


def batches(keys, pause=0.3):
    for at in range(0, len(keys), 100):
        open_ = [dealer(*k) for k in keys[at:at + 100]]
        time.sleep(pause)
        for s in open_:
            s.close()


def logged(text):
    with open(log_path, errors="replace") as f:
        return text in f.read()


def until(text, step):
    deadline = time.monotonic() + 60
    while not logged(text):
        if time.monotonic() > deadline:
            return False
        step()
    return True


ok = until("worker keys were refused (a flood of handshakes?)",
           lambda: batches([zmq.curve_keypair() for _ in range(100)]))
stop = threading.Event()


def flood():
    while not stop.is_set():
        batches([zmq.curve_keypair() for _ in range(100)], pause=0.2)


flooder = threading.Thread(target=flood)
flooder.start()
again = [zmq.curve_keypair() for _ in range(300)]
batches(again)
batches(again)
late = dealer(late_pub.encode(), late_sec.encode(), source="127.0.0.2")
ok = until(f"refused a worker key {late_pub}", lambda: time.sleep(0.1)) and ok
late.close()
stop.set()
flooder.join()
ctx.term()
sys.exit(0 if ok else 1)

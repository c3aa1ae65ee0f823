"""Handshakes with CurveZMQ keys no master admits: what a peer anyone can
reach may do to a master's log.

Usage: curve_flood.py ENDPOINT MASTER_PUBLIC_Z85 COUNT LATE_PUBLIC LATE_SECRET
ENDPOINT is tcp://127.0.0.1:PORT. First COUNT fresh random keys connect once
each (in batches, each socket kept long enough for its handshake to reach
the master's ZAP handler). Then, while new random keys go on coming from
127.0.0.1, 300 other keys connect twice each from there, and the key
LATE_PUBLIC/LATE_SECRET connects once from 127.0.0.2. Prints nothing;
exit 0.
"""
import sys
import threading
import time

import zmq

endpoint, master_pub, count, late_pub, late_sec = sys.argv[1:6]
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


batches([zmq.curve_keypair() for _ in range(int(count))])
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
time.sleep(1.0)
late.close()
stop.set()
flooder.join()
ctx.term()

"""Handshakes with many CurveZMQ keys no master admits, then with one key
twice: what a peer anyone can reach may do to a master's log.

Usage: curve_flood.py ENDPOINT MASTER_PUBLIC_Z85 COUNT LATE_PUBLIC LATE_SECRET
COUNT fresh random keys connect once each (in batches, each socket kept
long enough for its handshake to reach the master's ZAP handler), then the
key LATE_PUBLIC/LATE_SECRET connects twice. Prints nothing; exit 0.
"""
import sys
import time

import zmq

endpoint, master_pub, count, late_pub, late_sec = sys.argv[1:6]
ctx = zmq.Context()


def dealer(pub, sec):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_publickey = pub
    s.curve_secretkey = sec
    s.curve_serverkey = master_pub.encode()
    s.connect(endpoint)
    return s


left = int(count)
while left > 0:
    batch = [dealer(*zmq.curve_keypair()) for _ in range(min(100, left))]
    left -= len(batch)
    time.sleep(0.3)
    for s in batch:
        s.close()
for _ in range(2):
    s = dealer(late_pub.encode(), late_sec.encode())
    time.sleep(0.5)
    s.close()
ctx.term()

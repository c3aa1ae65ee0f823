"""A TCP listener on 127.0.0.1 that greets each connection as a ZeroMQ
socket without security would (the ZMTP 3.0 greeting with mechanism NULL)
and then holds it, reading nothing: a peer with CurveZMQ keys sees the
mechanism mismatch first, every time (with a real ZeroMQ socket, which side
sees it first is a race). With --http it answers as a web server would
instead ("HTTP/1.1 400 Bad Request"): no ZeroMQ peer at all. Prints
"listening on PORT", then "connection N" for each connection; runs until
killed.

Usage: zmtp_null_peer.py [--http]
"""
import socket
import sys

GREETING = (b"\xff" + b"\x00" * 8 + b"\x7f"  # signature
            + bytes([3, 0])                  # version 3.0
            + b"NULL".ljust(20, b"\x00")     # mechanism
            + b"\x00"                        # as-server
            + b"\x00" * 31)                  # filler

if sys.argv[1:] == ["--http"]:
    GREETING = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(f"listening on {listener.getsockname()[1]}", flush=True)
held = []
while True:
    conn, _ = listener.accept()
    conn.sendall(GREETING)
    held.append(conn)
    print(f"connection {len(held)}", flush=True)

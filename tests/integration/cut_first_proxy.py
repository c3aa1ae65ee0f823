"""A TCP proxy on 127.0.0.1 that cuts its first connection (a reset after
reading 5 bytes of the greeting, as a load balancer or Docker's port proxy
does while the service behind it is not up) and forwards the others to
127.0.0.1:MASTER_PORT. Prints "listening on PORT", then "connection N" for
each connection; runs until killed.

Usage: cut_first_proxy.py MASTER_PORT
"""
import socket
import struct
import sys
import threading

master_port = int(sys.argv[1])


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(f"listening on {listener.getsockname()[1]}", flush=True)
n = 0
while True:
    conn, _ = listener.accept()
    n += 1
    print(f"connection {n}", flush=True)
    if n == 1:
        conn.recv(5)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        continue
    up = socket.create_connection(("127.0.0.1", master_port))
    threading.Thread(target=pump, args=(conn, up), daemon=True).start()
    threading.Thread(target=pump, args=(up, conn), daemon=True).start()

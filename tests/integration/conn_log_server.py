"""A keep-alive HTTP/1.1 server on 127.0.0.1 that records, for every TCP
connection, the paths of the requests it carried: one line per request,
"CONNECTION_NUMBER PATH", in the log file given. Prints "listening on PORT"
once ready; runs until killed. GET /hop/N answers 302 to /hop/N+1 (a
redirect chain that never ends); for GET /hdr the line also gives the
request's X-Empty header ("X-Empty=''" when it came empty). GET /once
answers the first request of a connection and closes it, unanswered, when
a second one comes (a server that drops idle keep-alive connections).
GET /slow answers after 4 s.
POST /start and GET /go answer 302 to /once (the POST logged as
"N POST/start"). When a connection ends (closed by either side) it logs
"N closed".

With --tls CERT KEY it serves HTTPS, and each request line ends with
"tls=resumed" or "tls=full": whether its connection's handshake resumed a
session. GET /c/... answers and closes the connection (the client's next
request connects again).

Usage: conn_log_server.py LOG_FILE [--tls CERT KEY]
"""
import http.server
import itertools
import socketserver
import ssl
import sys
import threading
import time

log = open(sys.argv[1], "a", buffering=1)
lock = threading.Lock()
numbers = itertools.count(1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection_number = next(numbers)
        self.requests_here = 0

    def do_GET(self):
        self.requests_here += 1
        if self.path == "/once" and self.requests_here > 1:
            self.close_connection = True  # a kept-alive connection dies unanswered
            return
        with lock:
            if self.path == "/hdr":  # and how the header X-Empty came
                log.write(f"{self.connection_number} {self.path} "
                          f"X-Empty={self.headers.get('X-Empty', 'absent')!r}\n")
            elif isinstance(self.connection, ssl.SSLSocket):
                how = "resumed" if self.connection.session_reused else "full"
                log.write(f"{self.connection_number} {self.path} tls={how}\n")
            else:
                log.write(f"{self.connection_number} {self.path}\n")
        if self.path == "/slow":
            time.sleep(4)
        if self.path == "/go":  # a GET that is redirected to /once
            self.send_response(302)
            self.send_header("Location", "/once")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/hop/"):
            self.send_response(302)
            self.send_header("Location", f"/hop/{int(self.path[5:]) + 1}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if self.path.startswith("/c/"):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        """POST /start: 302 to /once (its body is read and dropped)."""
        self.requests_here += 1
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            log.write(f"{self.connection_number} POST{self.path}\n")
        self.send_response(302)
        self.send_header("Location", "/once")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def finish(self):
        super().finish()
        with lock:
            log.write(f"{self.connection_number} closed\n")

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128


server = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) == 5 and sys.argv[2] == "--tls":
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = tls.wrap_socket(server.socket, server_side=True)
print(f"listening on {server.server_address[1]}", flush=True)
server.serve_forever()

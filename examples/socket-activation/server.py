#!/usr/bin/env python3
"""An HTTP server that accepts on the socket pmx hands it as fd 3 (LISTEN_FDS, as systemd does).

pmx opens the port itself, so N copies of this server share it, and `pmx reload` swaps them one
at a time without refusing a connection: `pmx start examples/socket-activation/ecosystem.config.js`.
"""
import http.server
import os
import signal
import socket
import socketserver
import sys
import threading

SD_LISTEN_FDS_START = 3


def listening_socket():
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or int(os.environ.get("LISTEN_FDS", "0")) < 1:
        sys.exit("no socket passed: run me under pmx with `listen`, or under systemd socket activation")
    return socket.socket(fileno=SD_LISTEN_FDS_START)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f'{{"pid": {os.getpid()}, "instance": "{os.environ.get("NODE_APP_INSTANCE")}", "greeting": "{os.environ.get("GREETING", "")}"}}'.encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = False
    block_on_close = True


server = Server(("", 0), Handler, bind_and_activate=False)
server.socket = listening_socket()


def stop(signum, frame):
    # stop accepting; requests in progress finish, then serve_forever returns
    threading.Thread(target=server.shutdown).start()


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
print(f"serving on fd {SD_LISTEN_FDS_START} ({server.socket.getsockname()}) pid {os.getpid()}", flush=True)
server.serve_forever()
server.server_close()

#!/usr/bin/env python3
# http-hostile.py MODE — a web server that misbehaves in one way, for
# test-http-client.c
#
# Listens on 127.0.0.1, a free port, prints "PORT N" on stdout once it
# listens, and serves until killed, one thread per connection. Modes:
#   redirect-loop  /a redirects to /b, and anything else to /a
#   status-404, status-500
#                  that status, with a short body
#   stall          200 with Content-Length 100 MB; sends 1 MB, then nothing
#   short-body     200 with Content-Length 10 MB; sends 1 MB and closes
#   not-http       answers anything with binary bytes and closes
#   echo           sends back what it reads, as a TCP echo server
#   silent         reads and never answers
# and one that is not hostile:
#   wirespeed      answers as our own server's HTTP endpoints do
#                  (docs/PROTOCOL.md section 9.2: /, /download?bytes=N
#                  with Range, /upload, /ping), with its Server header;
#                  /moved redirects to /download?bytes=5000000
#
# SPDX-License-Identifier: GPL-3.0-or-later
import socket
import sys
import threading
import time

MODE = sys.argv[1]
MB = 1024 * 1024


class Reader:
    """What a connection has sent, with what came after a request's head
    kept for its body (a client may send both in one segment)."""

    def __init__(self, conn):
        self.conn = conn
        self.data = b""

    def head(self):
        while b"\r\n\r\n" not in self.data:
            chunk = self.conn.recv(65536)
            if not chunk:
                return None
            self.data += chunk
        head, self.data = self.data.split(b"\r\n\r\n", 1)
        return head.decode("latin-1")

    def skip(self, n):
        while len(self.data) < n:
            chunk = self.conn.recv(min(n - len(self.data), MB))
            if not chunk:
                raise OSError("closed")
            n -= len(self.data) + len(chunk)
            self.data = b""
        self.data = self.data[n:]


def answer(conn, status, headers, body=b""):
    lines = ["HTTP/1.1 %s" % status] + ["%s: %s" % kv for kv in headers]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def header(head, name):
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def send_zeros(conn, n):
    block = bytes(MB)
    while n > 0:
        conn.sendall(block[:min(n, MB)])
        n -= min(n, MB)


def serve_wirespeed(conn, reader, head, method, path):
    server = [("Server", "wirespeed/0.1.0")]
    if path.startswith("/download?bytes="):
        size = int(path.split("=", 1)[1])
        ranged = header(head, "range")
        first, last = 0, size - 1
        if ranged is not None:
            a, b = ranged.split("=", 1)[1].split("-")
            first, last = int(a), min(int(b), size - 1)
        status = "206 Partial Content" if ranged is not None else "200 OK"
        answer(conn, status, server + [("Content-Length", str(last - first + 1))])
        if method != "HEAD":
            send_zeros(conn, last - first + 1)
    elif path == "/upload" and method in ("POST", "PUT"):
        n = int(header(head, "content-length") or 0)
        reader.skip(n)
        body = ('{"bytes": %d, "elapsed_ms": 1}' % n).encode()
        answer(conn, "200 OK", server + [("Content-Length", str(len(body)))], body)
    elif path == "/moved":
        answer(conn, "301 Moved Permanently",
               server + [("Location", "/download?bytes=5000000"), ("Content-Length", "0")])
    elif path in ("/", "/ping"):
        body = b"<html></html>" if path == "/" else b""
        answer(conn, "200 OK", server + [("Content-Length", str(len(body)))],
               b"" if method == "HEAD" else body)
    else:
        answer(conn, "404 Not Found", server + [("Content-Length", "0")])


def serve_http(conn):
    reader = Reader(conn)
    answered = 0
    while True:
        head = reader.head()
        if head is None:
            return
        method, path = head.split(" ")[:2]
        if MODE == "wirespeed":
            serve_wirespeed(conn, reader, head, method, path)
        elif MODE == "redirect-loop":
            to = "/b" if path == "/a" else "/a"
            answer(conn, "302 Found", [("Location", to), ("Content-Length", "0")])
        elif MODE.startswith("status-"):
            code = MODE.split("-")[1]
            body = b"no\n"
            answer(conn, code + " Hostile", [("Content-Length", str(len(body)))],
                   b"" if method == "HEAD" else body)
        elif MODE == "long-body":
            # Content-Length lies short: what follows the promised megabyte
            # is where the client looks for its next response.
            answer(conn, "200 OK", [("Content-Length", str(MB))])
            if method != "HEAD":
                conn.sendall(b"\x5a" * (MB + 4096))
        elif MODE == "long-body-late":
            # The same lie, told so that the extra bytes arrive only once
            # the client has sent its next request on the connection.
            if answered > 0:
                conn.sendall(b"\x5a" * 4096)
            answer(conn, "200 OK", [("Content-Length", str(MB))],
                   b"" if method == "HEAD" else b"\x5a" * MB)
            answered += 1
        else:
            size = 100 * MB if MODE == "stall" else 10 * MB
            answer(conn, "200 OK", [("Content-Length", str(size)),
                                    ("Content-Type", "application/octet-stream")])
            if method == "HEAD":
                continue
            conn.sendall(b"\x5a" * MB)
            if MODE == "stall":
                time.sleep(3600)
            return


def serve(conn):
    try:
        if MODE == "not-http":
            conn.recv(65536)
            conn.sendall(b"\x02\x00\x00\x10\xff\xfe binary, not HTTP\x00\x01")
        elif MODE == "echo":
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
        elif MODE == "silent":
            while conn.recv(65536):
                pass
        else:
            serve_http(conn)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print("PORT %d" % listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()

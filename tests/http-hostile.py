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
#
# SPDX-License-Identifier: GPL-3.0-or-later
import socket
import sys
import threading
import time

MODE = sys.argv[1]
MB = 1024 * 1024


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def answer(conn, status, headers, body=b""):
    lines = ["HTTP/1.1 %s" % status] + ["%s: %s" % kv for kv in headers]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def serve_http(conn):
    while True:
        head = read_head(conn)
        if head is None:
            return
        method, path = head.split(" ")[:2]
        if MODE == "redirect-loop":
            to = "/b" if path == "/a" else "/a"
            answer(conn, "302 Found", [("Location", to), ("Content-Length", "0")])
        elif MODE.startswith("status-"):
            code = MODE.split("-")[1]
            body = b"no\n"
            answer(conn, code + " Hostile", [("Content-Length", str(len(body)))],
                   b"" if method == "HEAD" else body)
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

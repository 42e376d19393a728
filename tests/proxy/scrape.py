#!/usr/bin/python3
"""scrape.py - a raw HTTP/1.1 client for tests/proxy/stats.sh.

usage:
  scrape.py PORT get PATH            GET PATH, print the status line, fields
                                     and body (exit 1 on no answer)
  scrape.py PORT value SERIES        GET /metrics, print SERIES' value ("0" if absent)
  scrape.py PORT raw LITERAL         send the bytes of a Python bytes literal,
                                     print everything until the server closes
  scrape.py PORT keepalive           two requests on one connection, then a
                                     pipelined pair: print each status line
"""
import ast
import socket
import sys


def connect(port):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    return s


def read_response(f):
    status = f.readline().decode()
    if not status:
        return None, None, None
    fields = {}
    while True:
        line = f.readline().decode()
        if line in ("\r\n", "\n", ""):
            break
        k, v = line.split(":", 1)
        fields[k.strip().lower()] = v.strip()
    body = f.read(int(fields.get("content-length", "0")))
    return status.strip(), fields, body.decode()


def get(port, path):
    s = connect(port)
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path).encode())
    f = s.makefile("rb")
    st, fields, body = read_response(f)
    s.close()
    return st, fields, body


def main():
    port, cmd = sys.argv[1], sys.argv[2]
    if cmd == "get":
        st, fields, body = get(port, sys.argv[3])
        if st is None:
            return 1
        print(st)
        for k, v in fields.items():
            print("%s: %s" % (k, v))
        print()
        sys.stdout.write(body)
    elif cmd == "value":
        st, fields, body = get(port, "/metrics")
        if st is None or not st.startswith("HTTP/1.1 200"):
            return 1
        for line in body.splitlines():
            if line.startswith(sys.argv[3] + " "):
                print(line.rsplit(" ", 1)[1])
                return 0
        print("0")
    elif cmd == "raw":
        s = connect(port)
        s.sendall(ast.literal_eval(sys.argv[3]))
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
        sys.stdout.write(out.decode(errors="replace"))
    elif cmd == "keepalive":
        s = connect(port)
        f = s.makefile("rb")
        for path in ("/health", "/metrics"):
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
            st, fields, body = read_response(f)
            print(st, path, len(body))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        st, fields, body = read_response(f)
        print(st, "/health", len(body))
        # HEAD: the fields of a GET, no body
        st = f.readline().decode().strip()
        n = 0
        while True:
            line = f.readline().decode()
            if line in ("\r\n", ""):
                break
            if line.lower().startswith("content-length:"):
                n = int(line.split(":")[1])
        rest = f.read()
        print(st, "HEAD /metrics", n > 0, len(rest))
    return 0


sys.exit(main())

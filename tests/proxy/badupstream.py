#!/usr/bin/env python3
"""tests/proxy/badupstream.py - an upstream SMTP server that speaks out of
turn, for the proxy's protocol checks. One thread per connection; every
connection gets the same misbehaviour:

  early   "354" and "250 early" in one write, before any data
  middata "250 early" after the first bytes of the message, before the dot;
          its receive buffer is fixed small (SO_RCVBUF 64 KiB, no autotuning)
          and it reads nothing more until that 250 is sent, so a message
          larger than the proxy's send buffer (tcp_wmem's maximum) plus this
          buffer cannot have reached its final dot before the 250 is there:
          not a race however fast the loopback
  double  two replies to MAIL ("250 ok" twice)

Usage: badupstream.py PORT MODE LOGFILE. Each message it receives whole
(up to the final dot) is logged as "got message"; so is each connection.
Runs until killed."""
import socket
import sys
import threading

PORT, MODE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()


def log(line):
    with lock:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def serve(c):
    f = c.makefile("rb")
    c.sendall(b"220 bad.example ESMTP\r\n")
    log("connection")
    while True:
        line = f.readline()
        if not line:
            return
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            c.sendall(b"250-bad.example\r\n250 PIPELINING\r\n")
        elif verb == b"MAIL":
            c.sendall(b"250 ok\r\n250 ok\r\n" if MODE == "double" else b"250 ok\r\n")
        elif verb == b"DATA":
            if MODE == "early":
                c.sendall(b"354 go\r\n250 early\r\n")
            else:
                c.sendall(b"354 go\r\n")
            first = True
            while True:
                d = f.readline()
                if not d:
                    return
                if first and MODE == "middata":
                    c.sendall(b"250 early\r\n")
                first = False
                if d == b".\r\n":
                    log("got message")
                    c.sendall(b"250 queued\r\n")
                    break
        elif verb == b"QUIT":
            c.sendall(b"221 bye\r\n")
            return
        else:
            c.sendall(b"250 ok\r\n")


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if MODE == "middata":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.bind(("127.0.0.1", PORT))
s.listen(16)
while True:
    conn, _ = s.accept()
    threading.Thread(target=lambda c: (serve(c), c.close()), args=(conn,),
                     daemon=True).start()

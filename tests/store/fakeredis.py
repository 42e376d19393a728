#!/usr/bin/python3
"""fakeredis.py - a misbehaving Redis for the store tests.

usage: fakeredis.py PORTFILE MODE
  silent   accept connections, read, never answer
  closer   answer each command with :1 (an integer), then close
  oneshot  answer the first command of a connection with :1; at the
           second, close without a word (a pooled connection gone stale)
Writes the port it listens on (127.0.0.1) to PORTFILE; runs until killed.
"""
import socket
import sys
import threading


def serve(c, mode):
    n = 0
    try:
        while True:
            data = c.recv(65536)
            if not data:
                return
            n += 1
            if mode == "closer":
                c.sendall(b":1\r\n")
                return
            if mode == "oneshot":
                if n > 1:
                    c.close()
                    return
                c.sendall(b":1\r\n")
    except OSError:
        pass
    finally:
        if mode == "closer":
            c.close()


def main():
    portfile, mode = sys.argv[1], sys.argv[2]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()


main()

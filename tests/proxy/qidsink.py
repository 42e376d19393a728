#!/usr/bin/python3
"""qidsink.py PORT - an SMTP upstream that answers the end of data as
Postfix does, "250 2.0.0 Ok: queued as 4XyZ1q2" (smtp-sink names no queue
id), for tests/proxy/msglog.sh. One connection at a time, until killed."""
import socket
import sys

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(8)
while True:
    c, _ = srv.accept()
    f = c.makefile("rb")
    c.sendall(b"220 qidsink ESMTP\r\n")
    try:
        while True:
            line = f.readline()
            if not line:
                break
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                c.sendall(b"250-qidsink\r\n250 8BITMIME\r\n")
            elif cmd == b"DATA":
                c.sendall(b"354 go ahead\r\n")
                while True:
                    l = f.readline()
                    if not l or l == b".\r\n":
                        break
                c.sendall(b"250 2.0.0 Ok: queued as 4XyZ1q2\r\n")
            elif cmd == b"QUIT":
                c.sendall(b"221 2.0.0 Bye\r\n")
                break
            else:
                c.sendall(b"250 2.0.0 Ok\r\n")
    except OSError:
        pass
    c.close()

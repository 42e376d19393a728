#!/usr/bin/python3
"""smtpc.py - a raw-socket SMTP client for the proxy tests.

usage: smtpc.py PORT|/SOCKET/PATH < SCRIPT

Script lines (blank lines and lines starting with # are ignored):
  send LITERAL     send the bytes of a Python bytes literal, e.g. send b"EHLO x\\r\\n"
  sendfile PATH    send a file's bytes as they are
  expect CODE...   read one reply per CODE (a prefix such as 250, 5, 550 5.5.2)
  expect_close     read until the server closes (fails after 5 s)
  sleep SECONDS
  tls              start TLS on the connection (after a 220 to STARTTLS, or
                   first for implicit TLS); anything unread is an error; prints
                   "tls VERSION CIPHER"
  close            close the connection
Every reply is printed as "<<< line". Exit status 1 on the first unmet
expectation, with the reason on stderr.
"""
import ast
import socket
import ssl
import sys
import time


class Conn:
    def __init__(self, where):
        if where.startswith("/"):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(10)
            self.s.connect(where)
        else:
            self.s = socket.create_connection(("127.0.0.1", int(where)), timeout=10)
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.rstrip(b"\r").decode("latin-1")

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            print("<<< " + ln, flush=True)
            lines.append(ln)
            if len(ln) < 4 or ln[3] != "-":
                return lines


def main():
    c = Conn(sys.argv[1])
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        cmd, _, arg = raw.partition(" ")
        try:
            if cmd == "send":
                c.s.sendall(ast.literal_eval(arg))
            elif cmd == "sendfile":
                with open(arg, "rb") as f:
                    c.s.sendall(f.read())
            elif cmd == "expect":
                for want in arg.split(","):
                    want = want.strip()
                    got = c.reply()
                    if not got[-1].startswith(want):
                        sys.stderr.write("expected %r, got %r\n" % (want, got))
                        return 1
            elif cmd == "expect_close":
                c.s.settimeout(5)
                end = time.time() + 5
                while time.time() < end:
                    try:
                        d = c.s.recv(65536)
                    except (ConnectionResetError, ssl.SSLError):
                        break	# a reset (unread bytes) or a TLS alert: closed
                    if not d:
                        break
                    for ln in d.decode("latin-1").splitlines():
                        print("<<< " + ln, flush=True)
                else:
                    sys.stderr.write("server did not close\n")
                    return 1
            elif cmd == "tls":
                if c.buf:
                    sys.stderr.write("bytes before TLS: %r\n" % c.buf)
                    return 1
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                c.s = ctx.wrap_socket(c.s, server_hostname="localhost")
                print("tls %s %s" % (c.s.version(), c.s.cipher()[0]), flush=True)
            elif cmd == "sleep":
                time.sleep(float(arg))
            elif cmd == "close":
                c.s.close()
                return 0
            else:
                sys.stderr.write("bad script line: %s\n" % raw)
                return 2
        except (EOFError, OSError, ssl.SSLError) as e:
            sys.stderr.write("%s: %s\n" % (raw, e))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

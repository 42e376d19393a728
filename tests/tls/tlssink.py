#!/usr/bin/python3
"""tlssink.py - a test-owned SMTP upstream with STARTTLS and AUTH.

usage: tlssink.py PORT DIR CERT KEY [auth] [badtls]

Offers STARTTLS (and, with "auth", AUTH PLAIN LOGIN once TLS is up; the
only account is alice / secret). With "badtls" it answers STARTTLS with
220, then sends bytes that are not TLS and closes: a broken TLS stack,
for upstream_tls = "may"'s fallback; plaintext sessions work. Each message is stored as DIR/N.eml with
two lines first: "X-Sink-TLS: VERSION|none" and "X-Sink-Auth: USER|none".
Every command line is appended to DIR/commands.log (AUTH payloads too:
the test checks that the credentials arrived, and phasegate's log that
they were not logged). Used where Postfix would need SASL set up
(tests/proxy/tls.sh says so).
"""
import base64
import os
import socket
import socketserver
import ssl
import sys
import threading

PORT, DIR, CERT, KEY = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
AUTH = "auth" in sys.argv[5:]
BADTLS = "badtls" in sys.argv[5:]
lock = threading.Lock()
seq = [0]


class H(socketserver.StreamRequestHandler):
    def send(self, s):
        self.wfile.write(s.encode() + b"\r\n")
        self.wfile.flush()

    def line(self):
        ln = self.rfile.readline(4096)
        if not ln:
            raise EOFError
        s = ln.decode("latin-1").rstrip("\r\n")
        with lock, open(os.path.join(DIR, "commands.log"), "a") as f:
            f.write(s + "\n")
        return s

    def ehlo(self):
        caps = ["250-tlssink", "250-PIPELINING", "250-SIZE 10240000", "250-8BITMIME"]
        if self.tls is None:
            caps.append("250-STARTTLS")
        elif AUTH:
            caps.append("250-AUTH PLAIN LOGIN")
        caps.append("250 ENHANCEDSTATUSCODES")
        self.send("\r\n".join(caps))

    def auth(self, arg):
        p = arg.split()
        if self.tls is None or not AUTH:
            return self.send("503 5.5.1 AUTH not available")
        if p[0].upper() == "PLAIN":
            if len(p) > 1:
                data = p[1]
            else:
                self.send("334 ")
                data = self.line()
            parts = base64.b64decode(data).split(b"\0")
            user, pw = parts[1].decode(), parts[2].decode()
        elif p[0].upper() == "LOGIN":
            self.send("334 VXNlcm5hbWU6")
            user = base64.b64decode(self.line()).decode()
            self.send("334 UGFzc3dvcmQ6")
            pw = base64.b64decode(self.line()).decode()
        else:
            return self.send("504 5.5.4 unknown mechanism")
        if user == "alice" and pw == "secret":
            self.user = user
            self.send("235 2.7.0 Authentication successful")
        else:
            self.send("535 5.7.8 Authentication failed")

    def data(self):
        self.send("354 go ahead")
        lines = []
        while True:
            ln = self.rfile.readline(65536)
            if not ln or ln == b".\r\n":
                break
            lines.append(ln)
        with lock:
            seq[0] += 1
            n = seq[0]
        with open(os.path.join(DIR, "%d.eml" % n), "wb") as f:
            f.write(b"X-Sink-TLS: %s\r\n" % (self.tls or "none").encode())
            f.write(b"X-Sink-Auth: %s\r\n" % (self.user or "none").encode())
            f.write(b"".join(lines))
        self.send("250 2.0.0 Ok: queued as SINK%d" % n)

    def handle(self):
        self.tls, self.user = None, None
        self.send("220 tlssink ESMTP")
        try:
            while True:
                ln = self.line()
                verb = ln.split(" ", 1)[0].upper()
                arg = ln[len(verb) + 1:]
                if verb in ("EHLO", "HELO"):
                    self.ehlo()
                elif verb == "STARTTLS" and self.tls is None:
                    self.send("220 2.0.0 Ready to start TLS")
                    if BADTLS:
                        self.send("this is not a TLS server hello")
                        return
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    ctx.load_cert_chain(CERT, KEY)
                    s = ctx.wrap_socket(self.connection, server_side=True)
                    self.connection = s
                    self.rfile = s.makefile("rb")
                    self.wfile = s.makefile("wb")
                    self.tls = s.version()
                elif verb == "AUTH":
                    self.auth(arg)
                elif verb in ("MAIL", "RCPT", "RSET", "NOOP", "XCLIENT"):
                    self.send("250 2.0.0 Ok")
                elif verb == "DATA":
                    self.data()
                elif verb == "QUIT":
                    self.send("221 2.0.0 Bye")
                    return
                else:
                    self.send("502 5.5.2 Error: command not recognized")
        except (EOFError, OSError, ssl.SSLError):
            return


class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


S(("127.0.0.1", PORT), H).serve_forever()

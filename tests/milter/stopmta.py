#!/usr/bin/env python3
"""tests/milter/stopmta.py - the milter's stop, from the MTA side.

Usage: stopmta.py HOST PORT PID. Opens two connections to phasegate (which
runs filters/verdicts.lua): one between messages (connect and HELO done)
and one in the middle of a message (everything up to the body sent and
answered). Then it sends SIGTERM to PID and checks that the idle
connection is closed at once, that the busy one still gets its end of
message answered (within the grace) and is closed after it, and that no
new connection is taken. Prints "ok - ..." / "not ok - ..."; exit 1 on a
failure."""
import os
import signal
import socket
import struct
import sys
import time

HOST, PORT, PID = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fails = 0


def check(what, ok):
    global fails
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        fails += 1


def pkt(cmd, payload=b""):
    return struct.pack(">I", len(payload) + 1) + cmd + payload


def read_packet(s):
    """one reply packet: (code, payload); (None, b'') when the peer closed"""
    buf = b""
    while len(buf) < 4:
        b = s.recv(4 - len(buf))
        if not b:
            return None, b""
        buf += b
    n = struct.unpack(">I", buf)[0]
    data = b""
    while len(data) < n:
        b = s.recv(n - len(data))
        if not b:
            return None, b""
        data += b
    return data[:1], data[1:]


def conn():
    s = socket.create_connection((HOST, PORT), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(pkt(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF)))
    code, data = read_packet(s)
    assert code == b"O", code
    return s, struct.unpack(">III", data[:12])[2]


NR = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"T": 0x10000,
      b"L": 0x80, b"N": 0x40000, b"B": 0x80000}
NO = {b"N": 0x40, b"B": 0x10, b"L": 0x20, b"T": 0x200}


def send(s, prot, seq):
    """send the packets of seq; read the replies the stages have; their codes"""
    want = 0
    for cmd, payload in seq:
        if cmd in NO and prot & NO[cmd]:
            continue
        s.sendall(pkt(cmd, payload))
        if cmd != b"D" and not (cmd in NR and prot & NR[cmd]):
            want += 1
    return [read_packet(s)[0] for _ in range(want)]


def closed_within(s, seconds):
    """the peer closes s within seconds (True), or not (False)"""
    s.settimeout(seconds)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


HELLO = [(b"D", b"Cj\0mx.example\0"),
         (b"C", b"stop.example\x004" + struct.pack(">H", 4321) + b"192.0.2.9\0"),
         (b"H", b"client.example\0")]
MESSAGE = [(b"D", b"Mi\0STOP1\0"),
           (b"M", b"<alice@example.com>\0"),
           (b"R", b"<bob@example.org>\0"),
           (b"T", b""),
           (b"L", b"Subject\0 stopping\0"),
           (b"N", b""),
           (b"B", b"0123456789\r\n")]

idle, prot = conn()
got = send(idle, prot, HELLO)
check("idle connection: connect and HELO answered", all(c == b"c" for c in got))
busy, prot = conn()
got = send(busy, prot, HELLO + MESSAGE)
check("busy connection: every stage up to the body answered",
      len(got) > 0 and all(c == b"c" for c in got))

t0 = time.time()
os.kill(PID, signal.SIGTERM)
check("SIGTERM: the connection between messages is closed at once",
      closed_within(idle, 2) and time.time() - t0 < 2)
time.sleep(1.5)     # well inside the grace
try:
    socket.create_connection((HOST, PORT), timeout=2).close()
    refused = False
except OSError:
    refused = True
check("SIGTERM: no new connection is taken", refused)
busy.settimeout(5)
busy.sendall(pkt(b"E"))
code, data = read_packet(busy)
check("the message in progress is answered at its end (%r)" % code,
      code == b"y" and b"seen from=alice@example.com" in data and
      b"subject=stopping" in data)
check("and its connection is closed after it", closed_within(busy, 2))
sys.exit(1 if fails else 0)

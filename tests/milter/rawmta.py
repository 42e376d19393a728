#!/usr/bin/env python3
"""tests/milter/rawmta.py - an MTA side written byte by byte, for what
miltertest cannot do: one conversation split over many reads (one byte per
send), the same conversation pipelined into one read, an oversized and a
malformed packet (that connection ends, another session in the middle of a
message is unaffected), commands out of order and negotiated away (each
ends its connection, with no reply the MTA could take for the next one's).
phasegate runs filters/verdicts.lua; with "away", filters/hold.lua (end of
header negotiated away) and only the negotiated-away checks run.
Usage: rawmta.py HOST PORT [away]. Prints "ok - ..." / "not ok - ...";
exit 1 on a failure.

  rawmta.py HOST PORT stall INTERVAL LIMIT
      two connections, each negotiated, then a packet begun: one stalls
      after its first bytes, the other trickles the rest a byte every
      INTERVAL s; prints "stalled: closed after S s" / "trickled: closed
      after S s" (or "... open after LIMIT s")
  rawmta.py HOST PORT rcpts N
      one transaction with N recipients; prints "continued=C" and the
      replies that were not "continue" as "refused=R last=REPLY"
  rawmta.py HOST PORT hold N SECONDS
      N connections at once, each negotiated and then silent for SECONDS;
      prints "open=O refused=R" (R: closed before the negotiation reply)"""
import socket
import struct
import sys
import time

HOST, PORT = sys.argv[1], int(sys.argv[2])
fails = 0


def check(what, ok):
    global fails
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        fails += 1


def pkt(cmd, payload=b""):
    return struct.pack(">I", len(payload) + 1) + cmd + payload


def conn():
    s = socket.create_connection((HOST, PORT), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_packet(s):
    """one reply packet: (code, payload); (None, b'') when the peer closed"""
    head = b""
    while len(head) < 4:
        b = s.recv(4 - len(head))
        if not b:
            return None, b""
        head += b
    n = struct.unpack(">I", head)[0]
    data = b""
    while len(data) < n:
        b = s.recv(n - len(data))
        if not b:
            return None, b""
        data += b
    return data[:1], data[1:]


OPTNEG = pkt(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))


def negotiate(s):
    s.sendall(OPTNEG)
    code, data = read_packet(s)
    assert code == b"O", code
    return struct.unpack(">III", data[:12])


def message(prot, subject=b"split"):
    """the packets after negotiation, and the replies expected"""
    NR = {"C": 0x1000, "H": 0x2000, "M": 0x4000, "R": 0x8000, "T": 0x10000,
          "L": 0x80, "N": 0x40000, "B": 0x80000}
    NO = {"N": 0x40, "B": 0x10, "L": 0x20, "T": 0x200}
    seq = [
        (b"D", b"Cj\0mx.example\0"),
        (b"C", b"plain.example\x004" + struct.pack(">H", 4321) + b"192.0.2.8\0"),
        (b"H", b"client.example\0"),
        (b"D", b"Mi\0RAW1\0"),
        (b"M", b"<alice@example.com>\0"),
        (b"R", b"<bob@example.org>\0"),
        (b"T", b""),
        (b"L", b"Subject\0 " + subject + b"\0"),
        (b"L", b"X-Other\0 x\0"),
        (b"N", b""),
        (b"B", b"0123456789\r\n"),
        (b"E", b""),
    ]
    out, want = b"", []
    for cmd, payload in seq:
        c = cmd.decode()
        if c in NO and prot & NO[c]:
            continue
        out += pkt(cmd, payload)
        if c == "D":
            continue
        if c in NR and prot & NR[c]:
            continue
        want.append(c)
    return out, want


def replies(s, n):
    got = []
    for _ in range(n):
        code, data = read_packet(s)
        if code is None:
            break
        got.append((code, data))
    return got


EOM_TEXT = b"seen from=alice@example.com rcpts=bob@example.org subject=%s body=12"


def closed_quietly(s):
    """the peer closes without sending anything more: (closed, what came)"""
    s.settimeout(5)
    try:
        b = s.recv(65536)
    except ConnectionResetError:
        return True, b""
    except socket.timeout:
        return False, b"(still open after 5 s)"
    return b == b"", b


def session_packets(*cmds):
    """connect, HELO and the given commands (bytes: b"M", b"R", ...)"""
    body = {b"C": b"plain.example\x004" + struct.pack(">H", 4321) + b"192.0.2.8\0",
            b"H": b"client.example\0", b"M": b"<alice@example.com>\0",
            b"R": b"<bob@example.org>\0", b"T": b"", b"N": b"", b"E": b"",
            b"L": b"Subject\0 s\0", b"B": b"body\r\n", b"U": b"XYZZY\0",
            b"A": b"", b"K": b""}
    return b"".join(pkt(c, body[c]) for c in cmds)


def bystander(prot, subject):
    """a session left in the middle of a message: (socket, rest, want)"""
    a = conn()
    negotiate(a)
    data, want = message(prot, subject)
    cut = data.index(b"\0\0\0\x01T") if b"\0\0\0\x01T" in data else len(data) // 2
    a.sendall(data[:cut])
    first = replies(a, sum(1 for c in want if c in "CHMR"))
    return a, data[cut:], len(want) - len(first)


def closed_after(s, t0, limit, trickle=b"", interval=0.0):
    """seconds until the peer closes (trickling TRICKLE meanwhile), or None"""
    i = 0
    while time.time() - t0 < limit:
        s.settimeout(interval if trickle else max(0.05, limit - (time.time() - t0)))
        try:
            if s.recv(65536) == b"":
                return time.time() - t0
        except ConnectionResetError:
            return time.time() - t0
        except socket.timeout:
            pass
        if trickle:
            try:
                s.sendall(trickle[i % len(trickle):i % len(trickle) + 1])
            except (BrokenPipeError, ConnectionResetError):
                return time.time() - t0
            i += 1
    return None


if len(sys.argv) > 3 and sys.argv[3] == "stall":
    interval, limit = float(sys.argv[4]), float(sys.argv[5])
    helo = pkt(b"H", b"client.example" + b"x" * 200 + b"\0")
    for name, trickle in (("stalled", b""), ("trickled", helo[6:])):
        s = conn()
        negotiate(s)
        s.sendall(session_packets(b"C") + helo[:6])
        code, _ = read_packet(s)
        t0 = time.time()
        t = closed_after(s, t0, limit, trickle, interval)
        print("%s: %s" % (name, "closed after %.1f s" % t if t is not None
                          else "open after %g s" % limit))
        s.close()
    sys.exit(0)

if len(sys.argv) > 3 and sys.argv[3] == "rcpts":
    n = int(sys.argv[4])
    s = conn()
    negotiate(s)
    s.sendall(session_packets(b"C", b"H", b"M"))
    replies(s, 3)
    out = b"".join(pkt(b"R", b"<r%d@example.org>\0" % i) for i in range(n))
    t = __import__("threading").Thread(target=s.sendall, args=(out,))
    t.start()
    got = replies(s, n)
    t.join()
    other = [d for c, d in got if c != b"c"]
    print("continued=%d refused=%d last=%s" % (len(got) - len(other), len(other),
          other[-1].rstrip(b"\0").decode() if other else "-"))
    s.close()
    sys.exit(0)

if len(sys.argv) > 3 and sys.argv[3] == "hold":
    n, hold = int(sys.argv[4]), float(sys.argv[5])
    socks, refused = [], 0
    for _ in range(n):
        try:
            s = conn()
            s.sendall(OPTNEG)
            s.settimeout(10)
            code, _ = read_packet(s)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            code = None
        if code == b"O":
            socks.append(s)
        else:
            refused += 1
            s.close()
    print("open=%d refused=%d" % (len(socks), refused))
    sys.stdout.flush()
    time.sleep(hold)
    for s in socks:
        s.close()
    sys.exit(0)

if len(sys.argv) > 3 and sys.argv[3] == "away":
    # EOH after NOEOH: the connection ends, no stray "continue"; the
    # verdict of a message in another session is untouched
    s = conn()
    _, _, prot = negotiate(s)
    check("hold.lua: end of header negotiated away (NOEOH)", prot & 0x40 != 0)
    a, rest, n = bystander(prot, b"bystander")
    s.sendall(session_packets(b"C", b"H", b"M", b"R", b"T", b"L", b"N", b"B", b"E"))
    ok, extra = closed_quietly(s)
    check("EOH after NOEOH: connection closed with no reply at all (got %r)" % extra[:40],
          ok and extra == b"")
    s.close()
    a.sendall(rest)
    got = replies(a, n)
    check("the other session's message keeps its verdict",
          len(got) > 0 and b"eom ran subject=bystander body=12" in got[-1][1])
    a.close()
    sys.exit(1 if fails else 0)

# 1. one byte per send: every packet arrives over many reads
s = conn()
_, _, prot = negotiate(s)
check("negotiation: headers without a reply (NR_HDR)", prot & 0x80 != 0)
data, want = message(prot)
for i in range(len(data)):
    s.sendall(data[i:i + 1])
    if i % 7 == 0:
        time.sleep(0.002)
got = replies(s, len(want))
check("split over %d sends: %d replies, want %d" % (len(data), len(got), len(want)),
      len(got) == len(want))
check("split: every stage before end of message continues",
      all(code == b"c" for code, _ in got[:-1]))
check("split: end of message saw the whole message",
      len(got) > 0 and got[-1][0] == b"y" and EOM_TEXT % b"split" in got[-1][1])
s.close()

# 2. the whole conversation in one send: many packets in one read
s = conn()
data, want = message(prot, b"pipelined")
s.sendall(OPTNEG + data)
code, _ = read_packet(s)
got = replies(s, len(want))
check("pipelined: negotiation answered first", code == b"O")
check("pipelined: %d replies in order" % len(want),
      [c for c, _ in got[:-1]] == [b"c"] * (len(want) - 1) and len(got) == len(want))
check("pipelined: end of message saw the whole message",
      len(got) > 0 and EOM_TEXT % b"pipelined" in got[-1][1])
s.close()

# 3. bad packets end their connection only
a = conn()
negotiate(a)
data, want = message(prot, b"survivor")
cut = data.index(b"\0\0\0\x01T") if b"\0\0\0\x01T" in data else len(data) // 2
a.sendall(data[:cut])
first = replies(a, sum(1 for c in want if c in "CHMR"))
for name, bad in (("oversized", struct.pack(">I", 0x7FFFFFF0) + b"B" + b"x" * 100),
                  ("malformed", pkt(b"z", b"junk\0")),
                  ("length 0", b"\0\0\0\0"),
                  ("header without value", pkt(b"L", b"Subject\0"))):
    b = conn()
    negotiate(b)
    b.sendall(bad)
    b.settimeout(5)
    try:
        closed = b.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        closed = not isinstance(sys.exc_info()[1], socket.timeout)
    check("%s packet: the connection is closed" % name, closed)
    b.close()
a.sendall(data[cut:])
rest = replies(a, len(want) - len(first))
check("the other session, mid-message, is unaffected",
      len(rest) > 0 and EOM_TEXT % b"survivor" in rest[-1][1])
a.close()

# 4. out of order, or negotiated away (NOUNKNOWN is always asked for):
# the connection ends after the replies to what came in order, and the
# offending command gets none
a, rest, n = bystander(prot, b"orderly")
for name, cmds, answered in (
        ("RCPT before MAIL", (b"C", b"H", b"R"), 2),
        ("a header before DATA or MAIL", (b"C", b"H", b"L"), 2),
        ("a second CONNECT", (b"C", b"H", b"C"), 2),
        ("MAIL in the body", (b"C", b"H", b"M", b"R", b"T", b"L", b"N", b"B", b"M"), 6),
        ("end of message with none begun", (b"C", b"H", b"E"), 2),
        ("an unknown command negotiated away (NOUNKNOWN)", (b"C", b"H", b"U"), 2)):
    b = conn()
    _, _, p = negotiate(b)
    if name.startswith("an unknown") and not p & 0x100:
        check("NOUNKNOWN negotiated", False)
        continue
    b.sendall(session_packets(*cmds))
    got = replies(b, answered)
    ok, extra = closed_quietly(b)
    check("%s: %d replies, then closed with nothing more (got %r)" % (name, answered, extra[:40]),
          len(got) == answered and ok and extra == b"")
    b.close()
a.sendall(rest)
got = replies(a, n)
check("the other session keeps its verdict",
      len(got) > 0 and EOM_TEXT % b"orderly" in got[-1][1])
a.close()

sys.exit(1 if fails else 0)

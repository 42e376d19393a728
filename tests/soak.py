#!/usr/bin/env python3
"""tests/soak.py - the drivers of the soak (tests/soak.sh): many messages,
each with its own number, through one front end, and the server's memory
sampled on the way.

  soak.py proxy PORT N CONC PID
      N messages ("Subject: soak-K", K = 0..N-1) over CONC SMTP sessions in
      parallel, each session sending its share one after the other; every
      message must get 250 to its final dot
  soak.py milter PORT N CONC PID
      the same as an MTA talking to a milter running
      tests/milter/filters/verdicts.lua: CONC connections, each negotiated
      once, then message after message; every end of message must be
      answered with the verdict that names that message's own subject
  soak.py count DIR N
      the messages smtp-sink dumped into DIR (-d): prints "stored=S
      distinct=D missing=M duplicated=U" for the numbers 0..N-1

The drivers print "sent=N ok=K failed=F rss_quarter=KB rss_end=KB": the
server's (PID's) resident memory when a quarter of the messages were
answered, and at the end. Exit 1 when a message failed."""
import glob
import re
import socket
import struct
import sys
import threading
import time

lock = threading.Lock()
done = 0
failed = 0
rss = {}


def vmrss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def answered(pid, n, ok):
    global done, failed
    with lock:
        done += 1
        if not ok:
            failed += 1
        if done == n // 4:
            rss["quarter"] = vmrss(pid)


class Smtp:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def reply(self):
        """the code of the next whole reply"""
        while True:
            i = self.buf.find(b"\r\n")
            if i < 0:
                b = self.s.recv(65536)
                if not b:
                    return 0
                self.buf += b
                continue
            line, self.buf = self.buf[:i], self.buf[i + 2:]
            if line[3:4] != b"-":
                return int(line[:3])


def proxy_worker(port, ks, n, pid):
    c = Smtp(port)
    ok = c.reply() == 220
    c.s.sendall(b"EHLO soak.example\r\n")
    ok = ok and c.reply() == 250
    for k in ks:
        good = False
        if ok:
            # MAIL, RCPT, DATA pipelined (the proxy offers PIPELINING)
            c.s.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
            good = c.reply() == 250 and c.reply() == 250 and c.reply() == 354
            if good:
                c.s.sendall(b"Subject: soak-%d\r\nMessage-ID: <soak-%d@example.com>\r\n\r\n"
                            b"%s\r\n.\r\n" % (k, k, b"soak body line\r\n" * 40))
                good = c.reply() == 250
        ok = ok and good
        answered(pid, n, good)
    if ok:
        c.s.sendall(b"QUIT\r\n")
        c.reply()
    c.s.close()


def pkt(cmd, payload=b""):
    return struct.pack(">I", len(payload) + 1) + cmd + payload


def read_packet(s, buf):
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        b = s.recv(65536)
        if not b:
            return None, b"", b""
        buf += b
    n = struct.unpack(">I", buf[:4])[0]
    return buf[4:5], buf[5:4 + n], buf[4 + n:]


def milter_worker(port, ks, n, pid):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    s.sendall(pkt(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF)))
    code, data, buf = read_packet(s, buf)
    ok = code == b"O"
    prot = struct.unpack(">III", data[:12])[2] if ok else 0
    # the stages the milter answers (no reply negotiated away: NR_*)
    NR = {b"C": 0x1000, b"H": 0x2000, b"M": 0x4000, b"R": 0x8000, b"T": 0x10000,
          b"L": 0x80, b"N": 0x40000, b"B": 0x80000}
    NO = {b"N": 0x40, b"B": 0x10, b"L": 0x20, b"T": 0x200}

    def send(seq):
        out, want = b"", 0
        for cmd, payload in seq:
            if cmd in NO and prot & NO[cmd]:
                continue
            out += pkt(cmd, payload)
            if cmd != b"D" and not (cmd in NR and prot & NR[cmd]):
                want += 1
        s.sendall(out)
        return want

    def replies(want):
        nonlocal buf
        got = []
        for _ in range(want):
            code, data, buf = read_packet(s, buf)
            if code is None:
                break
            got.append((code, data))
        return got

    if ok:
        want = send([(b"D", b"Cj\0mx.example\0"),
                     (b"C", b"plain.example\x004" + struct.pack(">H", 4321) + b"192.0.2.8\0"),
                     (b"H", b"client.example\0")])
        ok = all(c == b"c" for c, _ in replies(want))
    for k in ks:
        good = False
        if ok:
            subject = b"soak-%d" % k
            want = send([(b"D", b"Mi\0Q%d\0" % k),
                         (b"M", b"<alice@example.com>\0"),
                         (b"R", b"<bob@example.org>\0"),
                         (b"T", b""),
                         (b"L", b"Subject\0 " + subject + b"\0"),
                         (b"N", b""),
                         (b"B", b"0123456789\r\n"),
                         (b"E", b"")])
            got = replies(want)
            good = (len(got) == want and got[-1][0] == b"y" and
                    b"subject=" + subject + b" " in got[-1][1])
        ok = ok and good
        answered(pid, n, good)
    s.close()


def drive(kind, port, n, conc, pid):
    worker = proxy_worker if kind == "proxy" else milter_worker
    threads = []
    for i in range(conc):
        t = threading.Thread(target=worker, args=(port, range(i, n, conc), n, pid))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    rss["end"] = vmrss(pid)
    print("sent=%d ok=%d failed=%d rss_quarter=%d rss_end=%d" %
          (done, done - failed, failed, rss.get("quarter", 0), rss["end"]))
    return 1 if failed or done != n else 0


def count(d, n):
    seen = {}
    for path in glob.glob(d + "/*"):
        with open(path, "rb") as f:
            m = re.search(rb"^Subject: soak-(\d+)\r?$", f.read(), re.M)
        if m:
            k = int(m.group(1))
            seen[k] = seen.get(k, 0) + 1
    stored = sum(seen.values())
    missing = sum(1 for k in range(n) if k not in seen)
    dup = sum(1 for v in seen.values() if v > 1)
    print("stored=%d distinct=%d missing=%d duplicated=%d" % (stored, len(seen), missing, dup))
    return 0 if stored == n and missing == 0 and dup == 0 else 1


if __name__ == "__main__":
    if sys.argv[1] == "count":
        sys.exit(count(sys.argv[2], int(sys.argv[3])))
    sys.exit(drive(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                   int(sys.argv[4]), int(sys.argv[5])))

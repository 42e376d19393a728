#!/usr/bin/env python3
"""tests/proxy/trickle.py - hostile SMTP clients for the hardening tests,
bounded in count and in time (every mode ends by LIMIT seconds).

  trickle.py PORT line INTERVAL LIMIT
      one client sends "EHLO" a byte every INTERVAL s, over and over;
      prints "closed after S s: REPLY" (the server's last line) or
      "open after LIMIT s"
  trickle.py PORT data INTERVAL LIMIT
      the same inside DATA (after EHLO, MAIL, RCPT, DATA)
  trickle.py PORT steady SIZE RATE LIMIT
      a message of SIZE bytes sent at RATE bytes/s; prints "reply after
      S s: REPLY" (the reply to the final dot) or "closed after S s: ..."
  trickle.py PORT flood N INTERVAL HOLD SOURCES [reconnect]
      N tricklers (command lines, a byte every INTERVAL s) from SOURCES
      loopback addresses (127.0.1.1 up), for HOLD s; with "reconnect" a
      closed one connects again at once. Prints one line of counts:
      "connected=C refused=R cut=K open=O" and the last replies seen as
      "421_4.4.2=count" (C: connections made, R: closed without a 220
      greeting, K: closed after one, O: open at the end), then how long the
      cut ones lived, "life_s=MIN/MEDIAN/MAX" (seconds from the connect).
  trickle.py PORT idle N HOLD SOURCES
      N clients that read the greeting and say nothing, for HOLD s; the
      same counts.
"""
import resource
import selectors
import signal
import socket
import sys
import time

_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))
PORT = int(sys.argv[1])
MODE = sys.argv[2]


def connect(src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src is not None:
        s.bind((src, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", PORT))
    return s


def lines(buf):
    return [l for l in buf.decode("latin-1").split("\r\n") if l]


def read_reply(s, deadline):
    """the next whole reply's last line, or None when closed"""
    buf = b""
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            b = s.recv(4096)
        except socket.timeout:
            break
        if not b:
            return None
        buf += b
        ls = lines(buf)
        if buf.endswith(b"\r\n") and ls and ls[-1][3:4] == " ":
            return ls[-1]
    return ""


def dialogue(s, cmds, limit):
    for c in cmds:
        s.sendall(c)
        r = read_reply(s, time.time() + limit)
        if not r or r[0] not in "23":
            sys.exit("unexpected reply to %r: %r" % (c, r))


def trickle_one(s, data, interval, limit):
    """a byte every interval s until the server closes or limit passes"""
    t0 = time.time()
    i, last, buf = 0, "", b""
    s.setblocking(False)
    while time.time() - t0 < limit:
        try:
            s.send(data[i % len(data):i % len(data) + 1])
        except OSError:
            break
        i += 1
        end = time.time() + interval
        while time.time() < end:
            try:
                b = s.recv(4096)
                if not b:
                    return time.time() - t0, last
                buf += b
                ls = lines(buf)
                if ls:
                    last = ls[-1]
            except BlockingIOError:
                time.sleep(0.02)
            except OSError:
                return time.time() - t0, last
    return None, last


def mode_line(interval, limit, data_phase):
    s = connect()
    if read_reply(s, time.time() + 5)[:3] != "220":
        sys.exit("no greeting")
    if data_phase:
        dialogue(s, [b"EHLO t.example\r\n", b"MAIL FROM:<t@example.com>\r\n",
                     b"RCPT TO:<r@example.org>\r\n", b"DATA\r\n"], 5)
        data = b"Subject: trickle\r\n\r\n" + b"x" * 60 + b"\r\n"
    else:
        data = b"EHLO trickler.example\r\n"
    took, last = trickle_one(s, data, interval, limit)
    if took is None:
        print("open after %d s" % limit)
    else:
        print("closed after %.1f s: %s" % (took, last))


def mode_steady(size, rate, limit):
    s = connect()
    if read_reply(s, time.time() + 5)[:3] != "220":
        sys.exit("no greeting")
    dialogue(s, [b"EHLO t.example\r\n", b"MAIL FROM:<t@example.com>\r\n",
                 b"RCPT TO:<r@example.org>\r\n", b"DATA\r\n"], 5)
    body = b"Subject: steady\r\n\r\n" + (b"y" * 78 + b"\r\n") * (size // 80 + 1)
    t0 = time.time()
    chunk = max(1, rate // 10)
    for i in range(0, len(body), chunk):
        if time.time() - t0 > limit:
            break
        try:
            s.sendall(body[i:i + chunk])
        except OSError:
            print("closed after %.1f s: send failed" % (time.time() - t0))
            return
        time.sleep(chunk / rate)
    s.sendall(b".\r\n")
    r = read_reply(s, time.time() + 10)
    print("reply after %.1f s: %s" % (time.time() - t0, r))


def mode_many(n, interval, hold, sources, reconnect, trickling):
    sel = selectors.DefaultSelector()
    stats = {"connected": 0, "refused": 0, "cut": 0}
    codes = {}
    conns = {}
    lives = []
    line = b"NOOP " + b"z" * 40 + b"\r\n"

    def opened(k):
        src = "127.0.1.%d" % (k % sources + 1)
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", PORT))
        except OSError:
            return
        st = {"k": k, "sent": 0, "buf": b"", "greeted": False,
              "next": time.time() + interval, "t0": time.time()}
        conns[s] = st
        sel.register(s, selectors.EVENT_READ, st)
        stats["connected"] += 1

    def closed(s, st):
        sel.unregister(s)
        s.close()
        del conns[s]
        ls = lines(st["buf"])
        code = ls[-1][:9].replace(" ", "_") if ls else "none"
        codes[code] = codes.get(code, 0) + 1
        stats["refused" if not st["greeted"] else "cut"] += 1
        if st["greeted"]:
            lives.append(time.time() - st["t0"])
        if reconnect and time.time() < t_end and not stop:
            opened(st["k"])

    t_end = time.time() + hold
    stop = []
    # SIGTERM ends the hold early, with the counts printed as usual
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    for k in range(n):
        opened(k)
    while time.time() < t_end and not stop:
        for key, _ in sel.select(timeout=0.05):
            s, st = key.fileobj, key.data
            try:
                b = s.recv(4096)
            except OSError:
                b = b""
            if not b:
                closed(s, st)
            else:
                if not st["buf"] and b.startswith(b"220"):
                    st["greeted"] = True
                st["buf"] = (st["buf"] + b)[-512:]
        if not trickling:
            continue
        now = time.time()
        for s, st in list(conns.items()):
            if now >= st["next"]:
                i = st["sent"] % len(line)
                try:
                    s.send(line[i:i + 1])
                    st["sent"] += 1
                except OSError:
                    pass
                st["next"] = now + interval
    stats["open"] = len(conns)
    for s in list(conns):
        s.close()
    print(" ".join("%s=%d" % kv for kv in stats.items()) + " " +
          " ".join("%s=%d" % kv for kv in sorted(codes.items())) +
          (" life_s=%.1f/%.1f/%.1f" % (min(lives), sorted(lives)[len(lives) // 2],
                                       max(lives)) if lives else ""))


if MODE in ("line", "data"):
    mode_line(float(sys.argv[3]), float(sys.argv[4]), MODE == "data")
elif MODE == "steady":
    mode_steady(int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
elif MODE == "flood":
    mode_many(int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]),
              int(sys.argv[6]), len(sys.argv) > 7 and sys.argv[7] == "reconnect",
              True)
elif MODE == "idle":
    mode_many(int(sys.argv[3]), 1.0, float(sys.argv[4]), int(sys.argv[5]),
              False, False)
else:
    sys.exit(__doc__)

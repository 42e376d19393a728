#!/usr/bin/python3
"""tests/scenario/scenario.py - run scenarios.txt through `phasegate check`,
the milter front end (a private Postfix relaying to smtp-sink) and the SMTP
proxy (relaying to smtp-sink), check each against the table, and check that
the three agree on headers added and removed, body and envelope.

Usage: scenario.py [--frontends check,milter,proxy] [--only NAME] [--keep]
Environment: PHASEGATE, top_srcdir, top_builddir, T (a temporary directory),
PF_DIR (a running private Postfix, see scenario.sh), PF_PORT, PF_SINK_DIR,
MILTER_PORT.
Prints TAP-like "ok N - ..." lines; exits 1 when anything failed.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

S = os.path.dirname(os.path.abspath(__file__))
PG = os.environ.get("PHASEGATE", "phasegate")
T = os.environ["T"]

n_ok = n_fail = 0


def report(ok, what, detail=""):
    global n_ok, n_fail
    if ok:
        n_ok += 1
        print("ok %d - %s" % (n_ok + n_fail, what))
    else:
        n_fail += 1
        print("not ok %d - %s%s" % (n_ok + n_fail, what,
                                    (": " + detail) if detail else ""))
    sys.stdout.flush()


def parse_table(path):
    out, cur = [], None
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                out.append(cur)
            cur = None
            continue
        key, _, val = line.partition(":")
        key = key.strip()
        val = val[1:] if val.startswith(" ") else val
        if cur is None:
            cur = {"rcpt": [], "refused": {}, "header": [], "removed": [],
                   "deliver": [], "config": []}
        if key in ("rcpt", "header", "removed", "deliver", "config"):
            cur[key].append(val)
        elif key == "refused":
            addr, _, reply = val.partition(" ")
            cur["refused"][addr] = reply
        else:
            cur[key] = val
    if cur:
        out.append(cur)
    return out


def reply_from_normal(normal):
    """'550-5.7.1 a\\r\\n550 5.7.1 b' -> '550 5.7.1 a / 5.7.1 b'"""
    if not normal:
        return None
    lines = normal.replace("\r\n", "\n").split("\n")
    return lines[0][:3] + " " + " / ".join(l[4:] for l in lines)


def headers_of(data):
    """header fields of a message (bytes) as [(name, value)], unfolded"""
    text = data.replace(b"\r\n", b"\n").decode("utf-8", "replace")
    head = text.split("\n\n", 1)[0]
    fields = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1][1] += " " + line.strip()
        elif ":" in line:
            name, _, value = line.partition(":")
            fields.append([name, value.strip()])
    # folding may differ: white space runs are one space, none after a comma
    return [(n, re.sub(r",\s+", ",", re.sub(r"\s+", " ", v))) for n, v in fields]


def body_of(data):
    text = data.replace(b"\r\n", b"\n")
    parts = text.split(b"\n\n", 1)
    return parts[1].rstrip(b"\n") if len(parts) == 2 else b""


IGNORED = ("received", "x-client-addr", "x-client-proto", "x-helo-args",
           "x-mail-args", "x-rcpt-args", "return-path")


def diff_headers(orig, got):
    o = [h for h in orig if h[0].lower() not in IGNORED]
    g = [h for h in got if h[0].lower() not in IGNORED]
    added, removed = list(g), []
    for h in o:
        if h in added:
            added.remove(h)
        else:
            removed.append(h)
    return sorted(added), sorted(removed)


# --- check -----------------------------------------------------------------

def run_check(sc, conf, msgfile):
    out = os.path.join(T, "check.out.eml")
    if os.path.exists(out):
        os.unlink(out)
    args = [PG, "check", "-c", conf, "--json", "--helo", "client.example",
            "--from", sc.get("from", ""), "-o", out]
    for r in sc["rcpt"]:
        args += ["--rcpt", r]
    args.append(msgfile)
    p = subprocess.run(args, capture_output=True, text=True)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        return {"error": "check printed no JSON (exit %d): %s %s" % (
            p.returncode, p.stdout[-300:], p.stderr[-300:])}
    res = {"result": d["result"], "reply": reply_from_normal(d.get("reply")),
           "refused": {}}
    accepted = []
    for ph in d["phases"]:
        if ph["phase"] == "rcpt":
            addr = ph["arg"].strip("<>")
            if ph["verdict"] in ("reject", "tempfail"):
                res["refused"][addr] = reply_from_normal(ph["reply"])
            else:
                accepted.append(addr)
    sender = sc.get("from", "")
    for ch in d["changes"]:
        if ch["change"] == "add_rcpt":
            accepted.append(ch["addr"].strip("<>"))
        elif ch["change"] == "del_rcpt":
            a = ch["addr"].strip("<>")
            if a in accepted:
                accepted.remove(a)
        elif ch["change"] == "change_sender":
            sender = ch["addr"].strip("<>")
    if res["result"] == "accept":
        data = open(out, "rb").read() if os.path.exists(out) else open(msgfile, "rb").read()
        res["headers"] = headers_of(data)
        res["body"] = body_of(data)
        res["deliver"] = sorted(set(accepted))
        res["sender"] = sender
    return res


# --- an SMTP client ----------------------------------------------------------

class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")

    def reply(self):
        lines = []
        while True:
            line = self.f.readline().decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                return (0, ["connection closed"])
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                break
        return int(lines[0][:3]), [l[4:] for l in lines]

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.cmd("QUIT")
        except OSError:
            pass
        self.s.close()


def fmt(code, lines):
    return "%d %s" % (code, " / ".join(lines))


def smtp_send(port, sc, data):
    """send the scenario; returns the outcome as the client saw it"""
    res = {"refused": {}}
    c = Client(port)
    code, lines = c.reply()
    if code != 220:
        res.update(result="reject" if code >= 500 else "tempfail", reply=fmt(code, lines))
        return res, None
    c.cmd("EHLO client.example")
    code, lines = c.cmd("MAIL FROM:<%s>" % sc.get("from", ""))
    if code >= 400:
        res.update(result="reject" if code >= 500 else "tempfail", reply=fmt(code, lines))
        c.close()
        return res, None
    ok = 0
    for r in sc["rcpt"]:
        code, lines = c.cmd("RCPT TO:<%s>" % r)
        if code >= 400:
            res["refused"][r] = fmt(code, lines)
        else:
            ok += 1
    if ok == 0:
        res.update(result="reject", reply=None)
        c.close()
        return res, None
    code, lines = c.cmd("DATA")
    if code != 354:
        res.update(result="reject" if code >= 500 else "tempfail", reply=fmt(code, lines))
        c.close()
        return res, None
    body = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    body = re.sub(rb"(?m)^\.", b"..", body)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    c.s.sendall(body + b".\r\n")
    code, lines = c.reply()
    c.close()
    if code >= 400:
        res.update(result="reject" if code >= 500 else "tempfail", reply=fmt(code, lines))
        return res, None
    res.update(result="accept", reply=None)
    m = re.search(r"queued as ([0-9A-Za-z]+)", " ".join(lines))
    return res, (m.group(1) if m else None)


def read_stored(path):
    data = open(path, "rb").read()
    hdrs = headers_of(data)
    rcpts = sorted(set(v.split()[0].strip("<>") for n, v in hdrs if n == "X-Rcpt-Args"))
    sender = [v.split()[0].strip("<>") for n, v in hdrs if n == "X-Mail-Args"]
    return hdrs, body_of(data), rcpts, (sender[0] if sender else None)


def wait_file(d, secs):
    end = time.time() + secs
    while time.time() < end:
        fs = [os.path.join(d, f) for f in os.listdir(d)]
        if fs:
            time.sleep(0.05)   # let smtp-sink finish writing
            return sorted(fs)[0]
        time.sleep(0.05)
    return None


def run_front(name, port, sink, sc, data, qid_discard):
    for f in os.listdir(sink):
        os.unlink(os.path.join(sink, f))
    res, qid = smtp_send(port, sc, data)
    if res["result"] != "accept":
        return res
    if name == "proxy":
        # the proxy answers 250 only after the upstream did: synchronous
        f = wait_file(sink, 0.5)
    else:
        f = None
        end = time.time() + 15
        while time.time() < end and f is None:
            f = wait_file(sink, 0.2)
            if f is None and qid and qid_discard(qid):
                break
    if f is None:
        res["result"] = "discard"
        return res
    res["headers"], res["body"], res["deliver"], res["sender"] = read_stored(f)
    return res


def postfix_discarded(qid):
    try:
        log = open(os.path.join(os.environ["PF_DIR"], "maillog"), encoding="utf-8",
                   errors="replace").read()
    except OSError:
        return False
    return re.search(re.escape(qid) + r": milter-discard", log) is not None


# --- serve -------------------------------------------------------------------

def wait_port(port, secs=5):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    fronts = ["check", "milter", "proxy"]
    only = None
    a = sys.argv[1:]
    while a:
        if a[0] == "--frontends":
            fronts = a[1].split(",")
            a = a[2:]
        elif a[0] == "--only":
            only = a[1]
            a = a[2:]
        else:
            sys.exit("usage: scenario.py [--frontends LIST] [--only NAME]")
    table = parse_table(os.path.join(S, "scenarios.txt"))
    mport = int(os.environ.get("MILTER_PORT", "0") or 0)
    pf_port = int(os.environ.get("PF_PORT", "0") or 0)
    pf_sink = os.environ.get("PF_SINK_DIR", "")
    proxy_sink = os.path.join(T, "proxy-sink")
    os.makedirs(proxy_sink, exist_ok=True)
    sink_port = free_port()
    sinkp = None
    if "proxy" in fronts:
        u = ["-u", "root"] if os.getuid() == 0 else []
        sinkp = subprocess.Popen(["smtp-sink"] + u + ["-d", proxy_sink + "/%H%M%S.",
                                  "127.0.0.1:%d" % sink_port, "1000"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(sink_port)
    try:
        for sc in table:
            if only and sc["scenario"] != only:
                continue
            run_scenario(sc, fronts, mport, pf_port, pf_sink, proxy_sink, sink_port)
    finally:
        if sinkp:
            sinkp.terminate()
            sinkp.wait()
    print("%d of %d assertions passed" % (n_ok, n_ok + n_fail))
    sys.exit(1 if n_fail else 0)


def run_scenario(sc, fronts, mport, pf_port, pf_sink, proxy_sink, sink_port):
    name = sc["scenario"]
    body = "\n".join(sc["config"]).replace("$S", S)
    msgfile = os.path.join(S, "mail", sc["message"])
    data = open(msgfile, "rb").read()
    conf = os.path.join(T, name + ".conf")
    with open(conf, "w") as f:
        f.write(body + "\n")
    results = {}
    if "check" in fronts:
        results["check"] = run_check(sc, conf, msgfile)
    pg = None
    if "milter" in fronts or "proxy" in fronts:
        pport = free_port()
        sconf = os.path.join(T, name + ".serve.conf")
        with open(sconf, "w") as f:
            if "milter" in fronts:
                f.write('milter = { listen = "inet:%d@127.0.0.1" }\n' % mport)
            if "proxy" in fronts:
                f.write('smtp = { { listen = "127.0.0.1:%d", upstream = "127.0.0.1:%d" } }\n'
                        % (pport, sink_port))
            f.write(body + "\n")
        log = open(os.path.join(T, name + ".serve.log"), "w")
        pg = subprocess.Popen([PG, "serve", "-c", sconf], stdout=log, stderr=log)
        up = ("milter" not in fronts or wait_port(mport)) and \
             ("proxy" not in fronts or wait_port(pport))
        if not up:
            report(False, name + ": phasegate serve started",
                   open(os.path.join(T, name + ".serve.log")).read()[-500:])
        else:
            if "milter" in fronts:
                results["milter"] = run_front("milter", pf_port, pf_sink, sc, data,
                                              postfix_discarded)
            if "proxy" in fronts:
                results["proxy"] = run_front("proxy", pport, proxy_sink, sc, data,
                                             lambda q: False)
        pg.terminate()
        pg.wait()
        log.close()
    orig = headers_of(data)
    for fe, r in sorted(results.items()):
        w = "%s [%s]" % (name, fe)
        if "error" in r:
            report(False, w, r["error"])
            continue
        exp = sc["expect"].split(" ", 1)
        want_v, want_reply = exp[0], (exp[1] if len(exp) > 1 else None)
        got = r["result"] + ("" if not r.get("reply") else " " + r["reply"])
        report(r["result"] == want_v and (want_reply is None or r.get("reply") == want_reply),
               w + ": " + sc["expect"], "got " + got)
        report(r["refused"] == sc["refused"], w + ": refused recipients",
               "got %r" % r["refused"])
        if r["result"] != "accept":
            continue
        added, removed = diff_headers(orig, r["headers"])
        for h in sc["header"]:
            n, _, v = h.partition(":")
            v = re.sub(r",\s+", ",", re.sub(r"\s+", " ", v.strip()))
            report((n, v) in added, w + ": header " + h,
                   "added: %r" % added)
        for n in sc["removed"]:
            report(all(h[0].lower() != n.lower() for h in r["headers"]),
                   w + ": no " + n)
        if sc["deliver"]:
            report(r["deliver"] == sorted(sc["deliver"]), w + ": delivered to " +
                   ",".join(sorted(sc["deliver"])), "got %r" % r["deliver"])
        if "sender" in sc:
            report(r["sender"] == sc["sender"], w + ": sender " + sc["sender"],
                   "got %r" % r["sender"])
        r["added"], r["removed"] = added, removed
    # the front ends agree with each other on what the table does not list
    acc = {fe: r for fe, r in results.items() if r.get("result") == "accept" and "added" in r}
    if len(acc) > 1:
        base_fe = "check" if "check" in acc else sorted(acc)[0]
        base = acc[base_fe]
        for fe, r in sorted(acc.items()):
            if fe == base_fe:
                continue
            w = "%s [%s = %s]" % (name, fe, base_fe)
            report(r["added"] == base["added"], w + ": same headers added",
                   "%r vs %r" % (r["added"], base["added"]))
            report(r["removed"] == base["removed"], w + ": same headers removed",
                   "%r vs %r" % (r["removed"], base["removed"]))
            report(r["body"] == base["body"], w + ": same body",
                   "%r vs %r" % (r["body"][:80], base["body"][:80]))
            report(r["deliver"] == base["deliver"] and r["sender"] == base["sender"],
                   w + ": same envelope", "%r %r vs %r %r" % (
                       r["sender"], r["deliver"], base["sender"], base["deliver"]))


if __name__ == "__main__":
    main()

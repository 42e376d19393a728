#!/usr/bin/python3
"""fakedns - the tests' own DNS server on loopback (UDP and TCP, one port).

Usage: fakedns.py --port P [--upstream HOST:PORT] [--delay MS] [--pidfile F]

Zones it answers itself:
  good.test   an authoritative zone with what rbldnsd cannot serve:
              www AAAA, alias CNAME www (+ A), chain CNAME alias, NS, SOA,
              ttl0 A with TTL 0;
              PTR for 2.0.192.in-addr.arpa and 8.b.d.0.1.0.0.2.ip6.arpa:
              192.0.2.2 and 2001:db8::1 confirmed by their names' A/AAAA,
              192.0.2.3 not (liar.good.test points elsewhere), 192.0.2.5
              never answered, 192.0.2.6 (slowptr.good.test, confirmed)
              answered after 1.5 s with TTL 0
  bad.test    a server that misbehaves, chosen by the first label:
              drop, slow-MS, wrongid, wrongid-then-good, trunc, short,
              badrr, badptr, big, loop, servfail, refused, formerr, nx,
              nodata, manytxt, nul-txt
  all.test    a broken blocklist that lists everything as 127.0.0.1
  drop.test   a blocklist whose server never answers
  slow.test   a blocklist that lists everything, answering after 300 ms
  listall.test  a blocklist that lists everything, at once (127.0.0.2):
              the proxy's loopback client is listed there
  wild255.test  a blocklist answering 127.255.255.254 (an error code)
  stats.test  TXT: "queries=N" (every query this server has seen)
Anything else is forwarded to --upstream (after --delay ms), or REFUSED.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

T_A, T_NS, T_CNAME, T_SOA, T_PTR, T_MX, T_TXT, T_AAAA = 1, 2, 5, 6, 12, 15, 16, 28
count = 0
count_lock = threading.Lock()


def enc_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def parse_query(q):
    """(id, flags, qname, qtype, question bytes) or None."""
    if len(q) < 17:
        return None
    qid, flags, qd = struct.unpack('>HHH', q[:6])
    p, labels = 12, []
    while p < len(q) and q[p] != 0:
        n = q[p]
        labels.append(q[p + 1:p + 1 + n].decode('latin-1'))
        p += 1 + n
    p += 1
    if p + 4 > len(q):
        return None
    qtype, = struct.unpack('>H', q[p:p + 2])
    return qid, flags, '.'.join(labels).lower(), qtype, q[12:p + 4]


def rr(name, rtype, rdata, ttl=300):
    return enc_name(name) + struct.pack('>HHIH', rtype, 1, ttl, len(rdata)) + rdata


def soa(zone, minimum=30):
    rd = enc_name('ns.' + zone) + enc_name('admin.' + zone) + \
        struct.pack('>IIIII', 1, 3600, 600, 86400, minimum)
    return rr(zone, T_SOA, rd, ttl=300)


def reply(qid, question, answers=(), auth=(), rcode=0, tc=False):
    flags = 0x8400 | 0x0100 | rcode | (0x0200 if tc else 0)
    return struct.pack('>HHHHHH', qid, flags, 1, len(answers), len(auth), 0) + \
        question + b''.join(answers) + b''.join(auth)


def a(ip):
    return socket.inet_pton(socket.AF_INET, ip)


def good(qid, qname, qtype, question):
    zone = 'good.test'
    data = {
        ('good.test', T_NS): [rr(zone, T_NS, enc_name('ns1.good.test'))],
        ('good.test', T_MX): [rr(zone, T_MX, struct.pack('>H', 10) + enc_name('mx.good.test'))],
        ('www.good.test', T_AAAA): [rr('www.good.test', T_AAAA,
                                       socket.inet_pton(socket.AF_INET6, '2001:db8::1'))],
        ('www.good.test', T_A): [rr('www.good.test', T_A, a('192.0.2.80'), ttl=60)],
        ('ttl0.good.test', T_A): [rr('ttl0.good.test', T_A, a('192.0.2.40'), ttl=0)],
        ('2.2.0.192.in-addr.arpa', T_PTR): [rr('2.2.0.192.in-addr.arpa', T_PTR,
                                               enc_name('host.good.test'))],
        ('host.good.test', T_A): [rr('host.good.test', T_A, a('192.0.2.2'))],
        # a PTR whose name points elsewhere: not confirmed
        ('3.2.0.192.in-addr.arpa', T_PTR): [rr('3.2.0.192.in-addr.arpa', T_PTR,
                                               enc_name('liar.good.test'))],
        ('liar.good.test', T_A): [rr('liar.good.test', T_A, a('192.0.2.99'))],
        ('6.2.0.192.in-addr.arpa', T_PTR): [rr('6.2.0.192.in-addr.arpa', T_PTR,
                                               enc_name('slowptr.good.test'), ttl=0)],
        ('slowptr.good.test', T_A): [rr('slowptr.good.test', T_A, a('192.0.2.6'))],
        ('v6host.good.test', T_AAAA): [rr('v6host.good.test', T_AAAA,
                                          socket.inet_pton(socket.AF_INET6, '2001:db8::1'))],
        ('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', T_PTR):
            [rr('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
                T_PTR, enc_name('v6host.good.test'))],
    }
    if qname == 'alias.good.test':
        ans = [rr('alias.good.test', T_CNAME, enc_name('www.good.test'), ttl=30)]
        return reply(qid, question, ans + data.get(('www.good.test', qtype), []))
    if qname == 'chain.good.test':
        ans = [rr('chain.good.test', T_CNAME, enc_name('alias.good.test')),
               rr('alias.good.test', T_CNAME, enc_name('www.good.test'))]
        return reply(qid, question, ans + data.get(('www.good.test', qtype), []))
    if (qname, qtype) in data:
        return reply(qid, question, data[(qname, qtype)])
    known = {n for (n, _) in data} | {'alias.good.test', 'chain.good.test'}
    if qname in known:
        return reply(qid, question, auth=[soa(zone)])
    if qname.endswith('in-addr.arpa') or qname.endswith('ip6.arpa'):
        return reply(qid, question, auth=[soa('in-addr.arpa')], rcode=3)
    return reply(qid, question, auth=[soa(zone)], rcode=3)


def bad(qid, qname, qtype, question, tcp):
    """(delay s, [packets]) for the misbehaving zone."""
    first = qname.split('.')[0]
    ok = [rr(qname, T_A, a('192.0.2.77'))]
    if first.startswith('drop'):
        return 0, []
    if first.startswith('slow-'):
        return int(first[5:]) / 1000.0, [reply(qid, question, ok)]
    if first == 'wrongid':
        return 0, [reply(qid ^ 0x5555, question, ok)]
    if first == 'wrongid-then-good':
        return 0, [reply(qid ^ 0x5555, question, [rr(qname, T_A, a('192.0.2.66'))]),
                   reply(qid, question, ok)]
    if first == 'trunc':
        if not tcp:
            return 0, [reply(qid, question, tc=True)]
        many = [rr(qname, T_A, a('192.0.2.%d' % i)) for i in range(1, 41)]
        return 0, [reply(qid, question, many)]
    if first == 'short':
        return 0, [struct.pack('>HHHHHH', qid, 0x8580, 1, 1, 0, 0)]
    if first == 'badrr':
        body = reply(qid, question, ok)
        return 0, [body[:len(body) - 3]]           # rdata cut short
    if first == 'badptr':
        # an answer whose owner name is a pointer to itself
        hdr = struct.pack('>HHHHHH', qid, 0x8580, 1, 1, 0, 0) + question
        off = len(hdr)
        loop = struct.pack('>H', 0xc000 | off) + struct.pack('>HHIH', T_A, 1, 300, 4) + a('192.0.2.1')
        return 0, [hdr + loop]
    if first == 'big':
        many = [rr(qname, T_A, a('10.%d.%d.1' % (i // 250, i % 250))) for i in range(200)]
        return 0, [reply(qid, question, many)]     # ~3 KB over UDP, no TC
    if first == 'manytxt':
        txts = [rr(qname, T_TXT, bytes([200]) + b'x' * 200) for _ in range(100)]
        return 0, [reply(qid, question, txts)]
    if first == 'nul-txt':
        return 0, [reply(qid, question, [rr(qname, T_TXT, b'\x05a\x00b\x01c')])]
    if first == 'loop':
        ans = [rr('loop.bad.test', T_CNAME, enc_name('loop2.bad.test')),
               rr('loop2.bad.test', T_CNAME, enc_name('loop.bad.test'))]
        return 0, [reply(qid, question, ans)]
    codes = {'servfail': 2, 'refused': 5, 'formerr': 1}
    if first in codes:
        return 0, [reply(qid, question, rcode=codes[first])]
    if first == 'nx':
        return 0, [reply(qid, question, auth=[soa('bad.test', 30)], rcode=3)]
    if first == 'nodata':
        return 0, [reply(qid, question, auth=[soa('bad.test', 30)])]
    return 0, [reply(qid, question, auth=[soa('bad.test', 30)], rcode=3)]


class Server:
    def __init__(self, port, upstream, delay):
        self.upstream = upstream
        self.delay = delay
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(('127.0.0.1', port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(('127.0.0.1', port))
        self.tcp.listen(64)

    def answer(self, q, tcp):
        """(delay s, [packets])"""
        global count
        with count_lock:
            count += 1
        p = parse_query(q)
        if p is None:
            return 0, []
        qid, flags, qname, qtype, question = p
        if qname == 'stats.test':
            txt = ('queries=%d' % count).encode()
            return 0, [reply(qid, question, [rr(qname, T_TXT, bytes([len(txt)]) + txt, ttl=0)])]
        if qname == '5.2.0.192.in-addr.arpa':
            return 0, []                            # a PTR server that never answers
        if qname == '6.2.0.192.in-addr.arpa':       # one that answers late
            return 1.5, [good(qid, qname, qtype, question)]
        if qname == 'good.test' or qname.endswith('.good.test') or \
                qname.endswith('.2.0.192.in-addr.arpa') or qname.endswith('ip6.arpa'):
            return 0, [good(qid, qname, qtype, question)]
        if qname.endswith('.bad.test'):
            return bad(qid, qname, qtype, question, tcp)
        if qname.endswith('.drop.test'):
            return 0, []
        if qname.endswith('.listall.test'):
            ans = [rr(qname, T_TXT, b'\x12listed for testing')] if qtype == T_TXT else \
                [rr(qname, T_A, a('127.0.0.2'))]
            return 0, [reply(qid, question, ans)]
        if qname.endswith('.slow.test'):
            ans = [rr(qname, T_TXT, b'\x0bslow listed')] if qtype == T_TXT else \
                [rr(qname, T_A, a('127.0.0.2'))]
            return 0.3, [reply(qid, question, ans)]
        if qname.endswith('.all.test'):
            return 0, [reply(qid, question, [rr(qname, T_A, a('127.0.0.1'))])]
        if qname.endswith('.wild255.test'):
            return 0, [reply(qid, question, [rr(qname, T_A, a('127.255.255.254'))])]
        if self.upstream is None:
            return 0, [reply(qid, question, rcode=5)]
        return self.delay, [self.forward(q)]

    def forward(self, q):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        try:
            s.sendto(q, self.upstream)
            return s.recv(65535)
        except OSError:
            return b''
        finally:
            s.close()

    def serve_udp(self):
        while True:
            q, peer = self.udp.recvfrom(65535)
            threading.Thread(target=self.udp_one, args=(q, peer), daemon=True).start()

    def udp_one(self, q, peer):
        delay, packets = self.answer(q, False)
        if delay:
            time.sleep(delay)
        for i, pkt in enumerate(packets):
            if i:
                time.sleep(0.05)
            if pkt:
                self.udp.sendto(pkt, peer)

    def serve_tcp(self):
        while True:
            c, _ = self.tcp.accept()
            threading.Thread(target=self.tcp_one, args=(c,), daemon=True).start()

    def tcp_one(self, c):
        try:
            c.settimeout(5)
            while True:
                hdr = c.recv(2)
                if len(hdr) < 2:
                    return
                n, = struct.unpack('>H', hdr)
                q = b''
                while len(q) < n:
                    part = c.recv(n - len(q))
                    if not part:
                        return
                    q += part
                delay, packets = self.answer(q, True)
                if delay:
                    time.sleep(delay)
                for pkt in packets:
                    c.sendall(struct.pack('>H', len(pkt)) + pkt)
        except OSError:
            pass
        finally:
            c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--upstream')
    ap.add_argument('--delay', type=int, default=0)
    ap.add_argument('--pidfile')
    o = ap.parse_args()
    up = None
    if o.upstream:
        h, p = o.upstream.rsplit(':', 1)
        up = (h, int(p))
    srv = Server(o.port, up, o.delay / 1000.0)
    if o.pidfile:
        with open(o.pidfile, 'w') as f:
            f.write('%d\n' % os.getpid())
    threading.Thread(target=srv.serve_tcp, daemon=True).start()
    srv.serve_udp()


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
"""notify.py SOCKET OUT - a stand-in for systemd's notification socket.

Binds a unix datagram socket at SOCKET ('@name': abstract) and appends each
datagram it receives to OUT as one line: the receiver's CLOCK_MONOTONIC in
microseconds, a space, then the datagram with its newlines written as '|'.
Writes "bound" to OUT.ready once it listens. Runs until killed, at most
120 s (a test that forgets it does not leave it behind).
"""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + path[1:] if path.startswith("@") else path)
s.settimeout(1.0)
with open(out + ".ready", "w") as f:
    f.write("bound\n")
end = time.monotonic() + 120
with open(out, "a") as f:
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        f.write("%d %s\n" % (now, data.decode("utf-8", "replace").replace("\n", "|")))
        f.flush()

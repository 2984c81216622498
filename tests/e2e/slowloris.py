#!/usr/bin/env python3
# A bounded slowloris for tests/e2e/test_httpd.sh: N connections from one
# source address, each sending a request one byte every GAP seconds and
# never finishing its headers; a dropped connection is reopened at once (a
# real attacker does that).  Runs SECONDS seconds, then prints
#   opened=N refused_or_dropped=N max_open=N
# on stdout.  Loopback only: the source is 127.0.0.X, the target 127.0.0.1.
import select
import socket
import sys
import time

src, port, n, gap, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
REQ = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4096
opened = dropped = max_open = 0
conns = {}  # socket -> [bytes sent, next send time]


def connect():
    global opened
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(1)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        return
    s.setblocking(False)
    opened += 1
    conns[s] = [0, time.monotonic() + gap]


end = time.monotonic() + secs
while time.monotonic() < end:
    while len(conns) < n and time.monotonic() < end:
        connect()
        if len(conns) < n and opened % 8 == 0:
            break  # let the send loop run between bursts
    max_open = max(max_open, len(conns))
    now = time.monotonic()
    # a closed connection reads as EOF or an error
    if conns:
        r, _, _ = select.select(list(conns), [], [], 0.05)
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                dropped += 1
                del conns[s]
                s.close()
    for s, st in list(conns.items()):
        if now < st[1]:
            continue
        try:
            s.send(REQ[st[0] % len(REQ):st[0] % len(REQ) + 1])
            st[0] += 1
            st[1] = now + gap
        except OSError:
            dropped += 1
            del conns[s]
            s.close()
    time.sleep(0.05)
for s in conns:
    s.close()
print(f"opened={opened} refused_or_dropped={dropped} max_open={max_open}")

#!/usr/bin/env python3
"""bench/abuse_clients.py: the attackers of bench/abuse.sh, on 127.0.0.1 only.

Holds IDLE keep-alive connections (each made one request, then went quiet) and SLOW slowloris
connections (a request head sent one byte every --interval seconds, never finished) to a proxy
port. Prints "ready idle=N slow=M" once all are open, then trickles until --duration passes
(or it is stopped).
"""
import argparse
import socket
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--slow", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=30.0)
    args = ap.parse_args()
    addr = ("127.0.0.1", args.port)

    idle = []
    request = b"GET /idle HTTP/1.1\r\nHost: bench\r\n\r\n"
    for _ in range(args.idle):
        s = socket.create_connection(addr, timeout=5)
        s.sendall(request)
        idle.append(s)
        if len(idle) % 200 == 0:  # read the answers in waves: the proxy's backlog stays short
            for c in idle[-200:]:
                c.recv(65536)
    for c in idle[len(idle) - len(idle) % 200:]:
        c.recv(65536)

    slow = []
    for _ in range(args.slow):
        s = socket.create_connection(addr, timeout=5)
        s.setblocking(False)
        s.send(b"GET /slow HTTP/1.1\r\n")
        slow.append(s)
    print(f"ready idle={len(idle)} slow={len(slow)}", flush=True)

    end = time.monotonic() + args.duration
    closed = set()
    while time.monotonic() < end:
        time.sleep(args.interval)
        for i, s in enumerate(slow):
            if i in closed:
                continue
            try:
                s.send(b"X")
            except OSError:
                closed.add(i)
    for s in idle + slow:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""bench/fixed_requests.py: a fixed number of keep-alive GETs, checked one by one.

    fixed_requests.py --port PORT --requests N [--connections C] [--path /] [--size BYTES]
                      [--timeout SECONDS]

Opens C connections to 127.0.0.1:PORT and sends N GET requests in total over them, one request
in flight per connection (HTTP/1.1 keep-alive; a connection sends its next request when the
previous response is complete). Every response must be a 200 with a Content-Length body that
arrives in full: with --size, exactly BYTES bytes; without, a fake backend's name (`bN\\n`).
The proxy must keep every connection open. Exits 0 when all N responses are good, 1 on the first
bad one (printed), 2 on a usage error; the whole run is bounded by --timeout (default 600 s).
Used by bench/callgrind.sh, where the proxy runs under valgrind and is the slow side.
"""
import argparse
import re
import select
import selectors
import socket
import sys
import time

NAME_BODY = re.compile(rb"^b[0-9]+\n$")


class Conn:
    def __init__(self, port, request):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.request = request
        self.buf = bytearray()
        self.head_len = None  # length of the head (with the blank line) once it is in buf
        self.body_len = None
        self.status = None
        self.out = b""

    def send(self):
        self.out = self.request
        self.flush()

    def flush(self):
        # A request is a hundred bytes: it goes out in one send, but wait (bounded) if it does not.
        for _ in range(100):
            if not self.out:
                return
            try:
                self.out = self.out[self.sock.send(self.out):]
            except BlockingIOError:
                select.select([], [self.sock], [], 0.1)
        raise TimeoutError("could not send a request within 10 s")

    def parse(self):
        """Returns True when buf holds one complete response (which is then consumed)."""
        if self.head_len is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = bytes(self.buf[:end]).decode("latin-1")
            lines = head.split("\r\n")
            parts = lines[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
                raise ValueError(f"bad status line {lines[0]!r}")
            self.status = int(parts[1])
            length = None
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                value = value.strip()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding":
                    raise ValueError(f"unexpected Transfer-Encoding: {value}")
                elif name == "connection" and value.lower() == "close":
                    raise ValueError("the proxy closes the connection (Connection: close)")
            if length is None:
                raise ValueError("response without Content-Length")
            self.head_len = end + 4
            self.body_len = length
        if len(self.buf) < self.head_len + self.body_len:
            return False
        self.body = bytes(self.buf[self.head_len:self.head_len + self.body_len])
        del self.buf[:self.head_len + self.body_len]
        self.head_len = None
        return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--requests", type=int, required=True)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--path", default="/")
    ap.add_argument("--size", type=int, default=None)
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    if args.requests < 1 or not 1 <= args.connections <= 64 or args.timeout <= 0:
        print("fixed_requests.py: --requests >= 1, --connections 1..64, --timeout > 0", file=sys.stderr)
        return 2

    request = (f"GET {args.path} HTTP/1.1\r\nHost: bench.test\r\n"
               f"User-Agent: weir-bench-fixed\r\nAccept: */*\r\n\r\n").encode()
    deadline = time.monotonic() + args.timeout
    sel = selectors.DefaultSelector()
    conns = []
    sent = done = 0
    try:
        for _ in range(min(args.connections, args.requests)):
            c = Conn(args.port, request)
            conns.append(c)
            sel.register(c.sock, selectors.EVENT_READ, c)
            c.send()
            sent += 1
        while done < args.requests:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{done} of {args.requests} responses within {args.timeout:g}s")
            for key, _ in sel.select(timeout=min(left, 1.0)):
                c = key.data
                try:
                    data = c.sock.recv(262144)
                except BlockingIOError:
                    continue
                if not data:
                    raise ConnectionError(f"the proxy closed a connection after {done} responses")
                c.buf += data
                while c.parse():
                    if c.status != 200:
                        raise ValueError(f"status {c.status} (response {done + 1})")
                    if args.size is not None:
                        if len(c.body) != args.size:
                            raise ValueError(f"body of {len(c.body)} bytes, expected {args.size}")
                    elif not NAME_BODY.match(c.body):
                        raise ValueError(f"unexpected body {c.body[:40]!r}")
                    done += 1
                    if c.buf:
                        raise ValueError("bytes after a response that was not asked for")
                    if sent < args.requests:
                        c.send()
                        sent += 1
    except (OSError, ValueError, TimeoutError) as e:
        print(f"fixed_requests.py: {e}", file=sys.stderr)
        return 1
    finally:
        for c in conns:
            c.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

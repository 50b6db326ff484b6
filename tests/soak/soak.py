#!/usr/bin/env python3
"""Fault-injection soak of weir (issue 11, point 3).

Starts 3 weir-fake-backend servers and weir (round-robin over them, active health checks,
retries with redispatch, passive health, short timeouts, a stats listener), drives weir with
keep-alive clients that check every response, and meanwhile injects faults into one backend
at a time (the other two stay healthy):

  kill      SIGKILL a backend, leave its port closed for a while, restart it on the same port
  stop      SIGSTOP a backend (it stalls), SIGCONT it before timeout.server
  reset     the backend resets every request on `/` (RST before any byte of an answer)
  drop      the backend hangs up on every reused keep-alive connection (the keep-alive race)
  idle      SIGTERM a backend, restart it at once with --idle-timeout 5 ms (keep-alive races), and back
  garbage   (by design) the backend answers `/x` with a malformed response  -> 502
  truncate  (by design) the backend cuts `/x` responses after the head      -> truncated
  hang      (by design) the backend never answers `/x`                      -> 504 after timeout.server

The first five are faults a proxy can and must hide from idempotent GETs: any failure there is
an unexpected failure. weir by design does not retry a malformed response, and cannot retry a
response that is already partly sent to the client, nor a request that timed out, so the last
three are confined to the `/x` path (sent by one connection per client process), and their
failures (502 or 504 on /x, a truncated /x body) during those phases are counted separately as
expected. Everything else must succeed.

At the end it checks: no unexpected failure, every request answered within timeout.server plus
the connect attempts, every fault recovered (all servers UP again),
weir alive, weir's descriptors back to the baseline (idle pooled upstream connections are
reported, and must go after timeout.upstream_idle), RSS back near the baseline, and exit status
0 on SIGTERM. Exit status 1 if any check fails, 2 on a set-up error.

Loopback only, Python 3 stdlib only. Bounded by --duration (default 60 s in total) and
--max-requests. Every process it starts is ended by its PID on exit.
"""

from __future__ import annotations

import argparse
import array
import csv
import ctypes
import http.client
import io
import json
import multiprocessing as mp
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "127.0.0.1"
PATTERN = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
MAX_SIZE = 65536
PATTERN_BODY = (PATTERN * (MAX_SIZE // len(PATTERN) + 1))[:MAX_SIZE]
X_SIZE = 2000  # body size of the /x requests (the path the by-design faults use)

BY_DESIGN_PHASES = ("garbage", "truncate", "hang")
# Failure kinds a by-design phase may cause on /x.
BY_DESIGN_KINDS = {"status_502", "status_504", "truncated_body", "reset_in_body"}
CONNECT_TIMEOUT = 0.5  # weir's timeout.connect in the generated config


def log(msg: str) -> None:
    sys.stderr.write(f"[soak {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------------------------
# Child processes


_libc = None


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL if this script dies without cleaning up."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class SetupError(Exception):
    pass


class Backend:
    """One weir-fake-backend process; restartable on the same port."""

    def __init__(self, binary: str, name: str, workdir: str):
        self.binary = binary
        self.name = name
        self.workdir = workdir
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.stopped = False  # SIGSTOPped by us
        self.starts = 0
        self.default_extra: list[str] = []

    def start(self, port: int = 0, extra: list[str] | None = None, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        extra = list(extra if extra is not None else self.default_extra)
        while True:
            err = open(os.path.join(self.workdir, f"{self.name}.stderr"), "ab")
            self.proc = subprocess.Popen(
                [self.binary, "--name", self.name, "--listen", f"{HOST}:{port}"] + extra,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, bufsize=0,
                preexec_fn=_die_with_parent)
            err.close()
            line = _read_line(self.proc.stdout, deadline)
            m = re.match(r"listening 127\.0\.0\.1:(\d+)", line or "")
            if m:
                self.port = int(m.group(1))
                self.starts += 1
                return
            self.proc.kill()
            self.proc.wait()
            if time.monotonic() > deadline:
                raise SetupError(f"{self.name} did not start on port {port}: {line!r}, "
                                 f"see {self.workdir}/{self.name}.stderr")
            time.sleep(0.05)  # the port may still be held (restart): try again

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait()
        self.stopped = False

    def terminate(self) -> None:
        """SIGTERM (the backend closes its listener and connections), and wait for it."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def sigstop(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.stopped = True

    def sigcont(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)
        self.stopped = False

    def set_route(self, path: str, spec: str) -> None:
        from urllib.parse import quote
        status, body = http_get(self.port, f"/__fake/route?path={quote(path, safe='')}"
                                           f"&spec={quote(spec, safe='')}")
        if status != 200:
            raise RuntimeError(f"{self.name}: route {path}={spec}: {status} {body!r}")

    def counters(self) -> dict[str, int]:
        status, body = http_get(self.port, "/__fake/stats")
        return json.loads(body) if status == 200 else {}

    def stop(self) -> None:
        """Ends the process (ours, by PID) at the end of the run."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            if self.stopped:
                os.kill(self.proc.pid, signal.SIGCONT)
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=3)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()


def _read_line(pipe, deadline: float) -> str | None:
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([pipe], [], [], left)
        if not r:
            return None
        chunk = os.read(pipe.fileno(), 4096)
        if not chunk:
            return buf.decode(errors="replace") or None
        buf += chunk
    return buf.split(b"\n", 1)[0].decode(errors="replace")


def http_get(port: int, target: str, timeout: float = 3.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", target, headers={"Connection": "close"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


class Weir:
    def __init__(self, binary: str, config: str, workdir: str):
        self.binary = binary
        self.config = config
        self.workdir = workdir
        self.stderr_path = os.path.join(workdir, "weir.stderr")
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.stats_port = 0

    def start(self, timeout: float = 10.0) -> None:
        out = open(os.path.join(self.workdir, "weir.stdout"), "wb")
        err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([self.binary, "-f", self.config], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=err, preexec_fn=_die_with_parent)
        out.close()
        err.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.stderr()
            fe = re.search(r"listening frontend=soak address=127\.0\.0\.1:(\d+)", text)
            st = re.search(r"listening frontend=stats address=127\.0\.0\.1:(\d+)", text)
            if fe and st and "started" in text:
                self.port, self.stats_port = int(fe.group(1)), int(st.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise SetupError(f"weir did not start (exit {self.proc.poll()}):\n{self.stderr()}")

    def stderr(self) -> str:
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stats(self) -> dict[tuple[str, str], dict[str, str]]:
        status, body = http_get(self.stats_port, "/stats;csv")
        if status != 200:
            raise RuntimeError(f"stats: {status}")
        text = body.decode()
        if text.startswith("# "):
            text = text[2:]
        rows = {}
        for row in csv.DictReader(io.StringIO(text)):
            rows[(row["pxname"], row["svname"])] = row
        return rows

    def server_status(self, names) -> dict[str, str]:
        rows = self.stats()
        return {n: rows.get(("app", n), {}).get("status", "?") for n in names}


# --------------------------------------------------------------------------------------------
# /proc measurements


def proc_rss_kib(pid: int) -> tuple[int, int]:
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def _tcp_table(pid: int) -> dict[str, tuple[int, int, str]]:
    """inode -> (local port, remote port, state hex) for the process's network namespace."""
    table = {}
    for name in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{name}") as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local, remote, state, inode = parts[1], parts[2], parts[3], parts[9]
                    table[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16),
                                    state)
        except FileNotFoundError:
            pass
    return table


def fd_census_settled(pid: int, frontend_ports: set[int], backend_ports: set[int]) -> dict[str, int]:
    """The census with the fewest descriptors of 5 taken 100 ms apart: a health check's socket
    that is being opened is not a leak."""
    best = None
    for _ in range(5):
        c = fd_census(pid, frontend_ports, backend_ports)
        if best is None or c["total"] < best["total"]:
            best = c
        time.sleep(0.1)
    return best


def fd_census(pid: int, frontend_ports: set[int], backend_ports: set[int]) -> dict[str, int]:
    """Counts the process's descriptors by kind: listeners, client connections (to the frontend
    or stats ports), upstream connections (to a backend port: pooled or health checks), other
    sockets, and everything else."""
    census = {"total": 0, "listen": 0, "client": 0, "upstream": 0, "other_socket": 0, "non_socket": 0}
    tcp = _tcp_table(pid)
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        census["total"] += 1
        m = re.match(r"socket:\[(\d+)\]", target)
        if not m:
            census["non_socket"] += 1
            continue
        entry = tcp.get(m.group(1))
        if entry is None:
            census["other_socket"] += 1
        elif entry[2] == "0A":
            census["listen"] += 1
        elif entry[0] in frontend_ports:
            census["client"] += 1
        elif entry[1] in backend_ports:
            census["upstream"] += 1
        else:
            census["other_socket"] += 1
    census["fixed"] = census["total"] - census["client"] - census["upstream"]
    return census


# --------------------------------------------------------------------------------------------
# Load generator (runs in worker processes, one thread per keep-alive connection)


class Fail(Exception):
    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


class Client:
    """A minimal HTTP/1.1 keep-alive client on a raw socket."""

    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buf = bytearray()
        self.reqs_on_conn = 0

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buf = bytearray()

    def _connect(self) -> None:
        try:
            s = socket.create_connection((HOST, self.port), timeout=self.timeout)
        except socket.timeout:
            raise Fail("connect_timeout")
        except OSError as e:
            raise Fail("connect_error", str(e))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        self.buf = bytearray()
        self.reqs_on_conn = 0

    def _fill(self, where: str) -> None:
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            raise Fail("timeout", where)
        except ConnectionResetError:
            raise Fail("reset_" + where)
        except OSError as e:
            raise Fail("error_" + where, str(e))
        if not data:
            raise Fail("eof_" + where if where != "in_body" else "truncated_body")
        self.buf += data

    def request(self, target: str, close: bool) -> tuple[int, dict[str, str], bytes, bool]:
        if self.sock is None:
            self._connect()
        self.reqs_on_conn += 1
        req = f"GET {target} HTTP/1.1\r\nHost: soak.test\r\nUser-Agent: weir-soak\r\n"
        if close:
            req += "Connection: close\r\n"
        req += "\r\n"
        try:
            self.sock.sendall(req.encode())
        except socket.timeout:
            raise Fail("timeout", "send")
        except OSError as e:
            raise Fail("reset_on_send", str(e))
        # Head.
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self.buf) > 65536:
                raise Fail("bad_head", "head too long")
            self._fill("before_response" if not self.buf else "in_head")
        head = bytes(self.buf[:end]).decode("latin-1")
        del self.buf[:end + 4]
        lines = head.split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
        if not m:
            raise Fail("bad_head", lines[0][:80])
        status = int(m.group(1))
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        # Body.
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._fill("in_body")
            body = bytes(self.buf[:n])
            del self.buf[:n]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked()
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:  # until EOF
            while True:
                try:
                    self._fill("in_body")
                except Fail as f:
                    if f.kind == "truncated_body":
                        break
                    raise
            body = bytes(self.buf)
            self.buf = bytearray()
            headers["connection"] = "close"
        conn_close = close or headers.get("connection", "").lower() == "close"
        return status, headers, body, conn_close

    def _chunked(self) -> bytes:
        body = bytearray()
        while True:
            while b"\r\n" not in self.buf:
                self._fill("in_body")
            line, _, _ = bytes(self.buf).partition(b"\r\n")
            del self.buf[:len(line) + 2]
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while b"\r\n" not in self.buf:
                    self._fill("in_body")
                while not self.buf.startswith(b"\r\n"):  # trailers
                    i = self.buf.find(b"\r\n")
                    del self.buf[:i + 2]
                    while b"\r\n" not in self.buf:
                        self._fill("in_body")
                del self.buf[:2]
                return bytes(body)
            while len(self.buf) < size + 2:
                self._fill("in_body")
            body += self.buf[:size]
            del self.buf[:size + 2]


def pick_target(rng: random.Random, args, x_ratio: float) -> tuple[str, int | None]:
    """Returns (target, expected size or None for the NAME\\n body)."""
    r = rng.random()
    if r < x_ratio:
        return f"/x?size={X_SIZE}", X_SIZE
    r -= x_ratio
    if r < args.size_ratio:
        n = rng.choice((0, 1, 63, 64, 65, 1000, 4096, 16384, 65536, rng.randint(0, MAX_SIZE)))
        return f"/?size={n}", n
    if r < args.size_ratio + 0.05:
        return f"/?q={rng.randint(0, 1 << 30)}&page=2", None  # an ordinary query string passes through
    return "/", None


def client_thread(port: int, args, names: tuple[str, ...], stop, deadline: float, budget: int,
                  seed: int, x_ratio: float, out: dict) -> None:
    rng = random.Random(seed)
    client = Client(port, args.client_timeout)
    starts = array.array("d")
    lats = array.array("d")
    failures = []
    by_server = {n: 0 for n in names}
    ok = 0
    sent = 0
    expected_bodies = {n: (n + "\n").encode() for n in names}
    while sent < budget and not stop.is_set():
        t0 = time.monotonic()
        if t0 >= deadline:
            break
        target, size = pick_target(rng, args, x_ratio)
        close = rng.random() < args.close_ratio
        sent += 1
        reused = client.reqs_on_conn
        try:
            status, headers, body, conn_close = client.request(target, close)
            t1 = time.monotonic()
            if status != 200:
                raise Fail(f"status_{status}", body[:120].decode(errors="replace"))
            server = headers.get("x-server", "")
            if server not in by_server:
                raise Fail("body_mismatch", f"X-Server {server!r}")
            if size is None:
                if body != expected_bodies[server]:
                    raise Fail("body_mismatch", f"{server}: {body[:60]!r}")
            elif len(body) != size:
                raise Fail("body_mismatch", f"{server}: length {len(body)} != {size}")
            elif body != PATTERN_BODY[:size]:
                raise Fail("body_mismatch", f"{server}: content differs (size {size})")
            ok += 1
            by_server[server] += 1
            starts.append(t0)
            lats.append(t1 - t0)
            if conn_close:
                client.close()
        except Fail as f:
            t1 = time.monotonic()
            failures.append((t0, t1, f.kind, target, f.detail, reused))
            starts.append(t0)
            lats.append(t1 - t0)
            client.close()
            if f.kind.startswith("connect") and stop.wait(0.01):
                break
        except Exception as e:  # a bug of the client itself: count it, never hide it
            t1 = time.monotonic()
            failures.append((t0, t1, "client_exception", target, repr(e), reused))
            client.close()
    client.close()
    out["sent"] = sent
    out["ok"] = ok
    out["failures"] = failures
    out["by_server"] = by_server
    out["starts"] = starts
    out["lats"] = lats


def worker_main(index: int, port: int, args, names, stop, deadline: float, budget: int, queue) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    n = args.connections
    outs = [{} for _ in range(n)]
    threads = [threading.Thread(target=client_thread,
                                args=(port, args, names, stop, deadline,
                                      budget // n + (1 if i < budget % n else 0),
                                      args.seed * 1000 + index * 100 + i,
                                      args.x_ratio if i < args.x_connections else 0.0, outs[i]), daemon=True)
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = {"sent": 0, "ok": 0, "failures": [], "by_server": {n_: 0 for n_ in names},
              "starts": array.array("d"), "lats": array.array("d")}
    for o in outs:
        if not o:
            continue
        result["sent"] += o["sent"]
        result["ok"] += o["ok"]
        result["failures"] += o["failures"]
        for k, v in o["by_server"].items():
            result["by_server"][k] += v
        result["starts"].extend(o["starts"])
        result["lats"].extend(o["lats"])
    result["starts"] = result["starts"].tobytes()
    result["lats"] = result["lats"].tobytes()
    queue.put(result)


# --------------------------------------------------------------------------------------------
# Fault sequence


@dataclass
class Phase:
    name: str
    target: str
    start: float = 0.0
    end: float = 0.0        # the fault removed (restarted, SIGCONT, route restored)
    recovered: float = 0.0  # every server UP again (0: not within the recovery timeout)
    note: str = ""
    by_design: bool = False


@dataclass
class Run:
    phases: list[Phase] = field(default_factory=list)
    status_log: list[str] = field(default_factory=list)


class Faults:
    def __init__(self, args, weir: Weir, backends: list[Backend], stop_event: threading.Event):
        self.args = args
        self.weir = weir
        self.backends = backends
        self.names = [b.name for b in backends]
        self.halt = stop_event
        self.run = Run()

    def sleep(self, seconds: float) -> bool:
        """False when the run is being stopped."""
        return not self.halt.wait(seconds)

    def wait_all_up(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.halt.is_set():
            try:
                st = self.weir.server_status(self.names)
                if all(s == "UP" for s in st.values()):
                    return True
            except Exception:
                if not self.weir.alive():
                    return False
            self.halt.wait(0.05)
        return False

    def _phase_kill(self, b: Backend, p: Phase, cycle: int) -> None:
        p.start = time.monotonic()
        b.kill()
        p.note = f"port {b.port} closed {self.args.kill_down:.1f}s"
        self.sleep(self.args.kill_down)
        b.start(b.port)
        p.end = time.monotonic()

    def _phase_stop(self, b: Backend, p: Phase, cycle: int) -> None:
        p.start = time.monotonic()
        b.sigstop()
        p.note = f"stalled {self.args.stop_time:.1f}s"
        self.sleep(self.args.stop_time)
        b.sigcont()
        p.end = time.monotonic()

    def _phase_route(self, b: Backend, p: Phase, path: str, spec: str, seconds: float) -> None:
        c0 = b.counters()
        p.start = time.monotonic()
        b.set_route(path, spec)
        self.sleep(seconds)
        b.set_route(path, "")
        p.end = time.monotonic()
        c1 = b.counters()
        p.note = (f"{path}={spec} {seconds:.1f}s; backend got {c1.get('requests', 0) - c0.get('requests', 0)} "
                  f"reqs, dropped {c1.get('dropped', 0) - c0.get('dropped', 0)}")

    def _phase_idle(self, b: Backend, p: Phase, cycle: int) -> None:
        # A rolling restart (SIGTERM, then at once a new process on the same port) into a server
        # that closes keep-alive connections idle for a few ms, and back.
        ms_ = self.args.idle_fault_ms
        p.start = time.monotonic()
        b.terminate()
        b.start(b.port, ["--idle-timeout", str(ms_)])  # replaces --backend-idle-timeout
        self.sleep(self.args.fault_time)
        c = b.counters()
        b.terminate()
        b.start(b.port)
        p.end = time.monotonic()
        p.note = (f"SIGTERM+restart with --idle-timeout {ms_} for {self.args.fault_time:.1f}s; "
                  f"backend closed {c.get('idle_closed', 0)} idle conns of {c.get('connections', 0)}")

    def _phase_reset(self, b: Backend, p: Phase, cycle: int) -> None:
        spec = "reset=1" if cycle % 2 == 0 else "reset=1&delay=20"
        self._phase_route(b, p, "/", spec, self.args.fault_time)

    def _phase_drop(self, b: Backend, p: Phase, cycle: int) -> None:
        self._phase_route(b, p, "/", "drop_next=1", self.args.fault_time)

    def _phase_garbage(self, b: Backend, p: Phase, cycle: int) -> None:
        self._phase_route(b, p, "/x", "bad=1", self.args.by_design_time)

    def _phase_truncate(self, b: Backend, p: Phase, cycle: int) -> None:
        self._phase_route(b, p, "/x", "close_after=100", self.args.by_design_time)

    def _phase_hang(self, b: Backend, p: Phase, cycle: int) -> None:
        # The server takes /x requests and never answers: weir must answer 504 after
        # timeout.server (not retried: the server may have acted on it).
        self._phase_route(b, p, "/x", "noresponse=1", self.args.by_design_time)

    def sequence(self) -> list[str]:
        seq = ["kill", "stop", "reset", "drop", "idle"]
        if not self.args.no_by_design:
            seq += ["garbage", "truncate", "hang"]
        if self.args.phases:
            seq = [s for s in self.args.phases.split(",") if s]
        return seq

    def run_until(self, end_time: float) -> None:
        seq = self.sequence()
        i = 0
        cycle = 0
        self.sleep(self.args.warmup)
        while not self.halt.is_set():
            name = seq[i % len(seq)]
            # Rotate the victim: the next backend for each phase, and when the sequence's length
            # is a multiple of the backends' count, shifted by one every cycle.
            n = len(self.backends)
            b = self.backends[(i + (cycle if len(seq) % n == 0 else 0)) % n]
            need = {"kill": self.args.kill_down, "stop": self.args.stop_time}.get(
                name, self.args.by_design_time if name in BY_DESIGN_PHASES else self.args.fault_time)
            if time.monotonic() + need + self.args.min_recovery > end_time:
                break
            if not self.wait_all_up(self.args.recovery_timeout):
                self.run.status_log.append(f"not every server UP before {name}: "
                                           f"{self.safe_status()}")
                break
            p = Phase(name, b.name, by_design=name in BY_DESIGN_PHASES)
            self.run.phases.append(p)
            log(f"phase {name} on {b.name}")
            try:
                getattr(self, f"_phase_{name}")(b, p, cycle)
            except Exception as e:  # e.g. a backend that does not come back: report, stop faults
                self.run.status_log.append(f"{name} on {b.name} failed: {e}")
                log(f"phase {name} on {b.name} failed: {e}")
                break
            if self.halt.is_set():
                break
            if self.wait_all_up(self.args.recovery_timeout):
                p.recovered = time.monotonic()
            else:
                self.run.status_log.append(f"after {name} on {b.name}: not every server UP within "
                                           f"{self.args.recovery_timeout}s: {self.safe_status()}")
                break
            i += 1
            if i % len(seq) == 0:
                cycle += 1
            self.sleep(self.args.pause)

    def safe_status(self) -> str:
        try:
            return str(self.weir.server_status(self.names))
        except Exception as e:
            return f"stats unavailable: {e}"


# --------------------------------------------------------------------------------------------
# Report


def percentile(sorted_values, q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def parse_duration(text: str) -> float:
    """weir's duration syntax, in seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|y)?\s*", text)
    if not m:
        raise ValueError(f"bad duration {text!r}")
    unit = {"ms": 0.001, None: 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "y": 31536000}[m.group(2)]
    return float(m.group(1)) * unit


def ms(v: float) -> str:
    return "-" if v != v else f"{v * 1000:.2f}"


def write_config(path: str, args, backends: list[Backend]) -> None:
    servers = "\n".join(f'      - {{ name: {b.name}, address: "{HOST}:{b.port}" }}' for b in backends)
    log_line = f"  log: {os.path.join(os.path.dirname(path), 'access.log')}\n  log_format: json" \
        if args.access_log else "  log: none"
    text = f"""# generated by tests/soak/soak.py
global:
  threads: {args.weir_threads}
{log_line}
  grace: 5s
defaults:
  timeout:
    connect: {int(CONNECT_TIMEOUT * 1000)}ms
    server: {args.server_timeout}
    client: 30s
    http_request: 10s
    http_keep_alive: 30s
    queue: 2s
    upstream_idle: {args.upstream_idle}s
  retries: 3
  redispatch: true
frontends:
  soak:
    bind: ["{HOST}:0"]
    default_backend: app
backends:
  app:
    balance: roundrobin
    keepalive: 16
    max_fails: 3
    fail_timeout: 2s
    health_check:
      http: GET /health
      expect: status 200
      interval: 200ms
      timeout: 500ms
      rise: 2
      fall: 2
    servers:
{servers}
stats:
  bind: "{HOST}:0"
  uri: /stats
"""
    with open(path, "w") as f:
        f.write(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weir", default=os.path.join(REPO, "build", "weir"))
    ap.add_argument("--fake-backend", default=os.path.join(REPO, "build", "tests", "weir-fake-backend"))
    ap.add_argument("--duration", type=float, default=60.0, help="whole run in seconds (default 60)")
    ap.add_argument("--max-requests", type=int, default=3_000_000, help="request budget (default 3M)")
    ap.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    ap.add_argument("--connections", type=int, default=8, help="keep-alive connections per process (8)")
    ap.add_argument("--weir-threads", type=int, default=2)
    ap.add_argument("--client-timeout", type=float, default=8.0,
                    help="s a client waits for a byte (default 8, beyond the latency bound)")
    ap.add_argument("--server-timeout", default="3s", help="weir's timeout.server (3s)")
    ap.add_argument("--upstream-idle", type=int, default=2, help="weir's timeout.upstream_idle, s")
    ap.add_argument("--size-ratio", type=float, default=0.12, help="share of /?size=N requests")
    ap.add_argument("--x-connections", type=int, default=1,
                    help="connections per process that send /x requests (the by-design faults' path); "
                         "kept apart so that a hanging /x holds up only them (default 1)")
    ap.add_argument("--x-ratio", type=float, default=0.2, help="share of /x requests on those connections")
    ap.add_argument("--close-ratio", type=float, default=0.01, help="share sent with Connection: close")
    ap.add_argument("--phases", default="", help="comma list of kill,stop,reset,drop,idle,garbage,truncate,hang")
    ap.add_argument("--no-by-design", action="store_true", help="skip the garbage, truncate and hang phases")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--kill-down", type=float, default=1.5, help="s a killed backend stays down")
    ap.add_argument("--stop-time", type=float, default=1.5, help="s a backend stays SIGSTOPped")
    ap.add_argument("--fault-time", type=float, default=2.5, help="s of a reset/drop phase")
    ap.add_argument("--idle-fault-ms", type=int, default=5,
                    help="--idle-timeout of the backend in the idle phase (ms)")
    ap.add_argument("--backend-idle-timeout", type=int, default=0,
                    help="--idle-timeout MS for every backend for the whole run (0: off)")
    ap.add_argument("--by-design-time", type=float, default=1.5, help="s of a garbage/truncate phase")
    ap.add_argument("--pause", type=float, default=0.5, help="s between phases")
    ap.add_argument("--recovery-timeout", type=float, default=10.0)
    ap.add_argument("--min-recovery", type=float, default=3.0)
    ap.add_argument("--rss-slack-mib", type=float, default=20.0)
    ap.add_argument("--access-log", action="store_true", help="weir's access log (JSON) in the work dir")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (kept anyway on failure)")
    ap.add_argument("--json", help="also write the summary as JSON to this file")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = ap.parse_args()
    args.min_recovery = max(args.min_recovery, 0.5)

    for b in (args.weir, args.fake_backend):
        if not os.access(b, os.X_OK):
            log(f"not an executable: {b}")
            return 2

    t_begin = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="weir-soak-")
    log(f"work dir {workdir}, seed {args.seed}")
    backends = [Backend(args.fake_backend, f"b{i}", workdir) for i in (1, 2, 3)]
    for b in backends:
        if args.backend_idle_timeout:
            b.default_extra = ["--idle-timeout", str(args.backend_idle_timeout)]
    weir = Weir(args.weir, os.path.join(workdir, "weir.yaml"), workdir)
    workers: list[mp.Process] = []
    halt = threading.Event()
    mp_ctx = mp.get_context("fork")
    mp_stop = mp_ctx.Event()

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    checks: list[tuple[str, bool, str]] = []
    summary: dict = {"seed": args.seed, "workdir": workdir}
    exit_code = 2
    try:
        for b in backends:
            b.start()
        write_config(weir.config, args, backends)
        weir.start()
        log(f"weir pid {weir.proc.pid} on :{weir.port}, stats :{weir.stats_port}, backends "
            + ", ".join(f"{b.name}:{b.port}" for b in backends))
        faults = Faults(args, weir, backends, halt)
        if not faults.wait_all_up(10.0):
            raise SetupError(f"servers not UP at start: {faults.safe_status()}")
        fe_ports = {weir.port, weir.stats_port}
        be_ports = {b.port for b in backends}
        time.sleep(0.3)
        fd_before = fd_census_settled(weir.proc.pid, fe_ports, be_ports)
        rss_before, _ = proc_rss_kib(weir.proc.pid)

        # Load.
        teardown = args.upstream_idle + 8.0  # clients' last requests, idle wait, SIGTERM, report
        load_end = t_begin + max(args.duration - teardown, 10.0)
        queue = mp_ctx.Queue()
        budget = args.max_requests
        for i in range(args.procs):
            share = budget // args.procs + (1 if i < budget % args.procs else 0)
            p = mp_ctx.Process(target=worker_main, args=(i, weir.port, args, tuple(b.name for b in backends),
                                                         mp_stop, load_end, share, queue), daemon=True)
            p.start()
            workers.append(p)
        log(f"{args.procs}x{args.connections} client connections until t+{load_end - t_begin:.0f}s")

        samples = {"rss_max": rss_before, "fd_max": fd_before["total"], "crashed_at": None}

        def sampler():
            while not halt.wait(0.25):
                if not weir.alive():
                    samples["crashed_at"] = time.monotonic()
                    log(f"weir exited during the run: status {weir.proc.poll()}")
                    halt.set()
                    mp_stop.set()
                    return
                try:
                    rss, _ = proc_rss_kib(weir.proc.pid)
                    samples["rss_max"] = max(samples["rss_max"], rss)
                    samples["fd_max"] = max(samples["fd_max"], len(os.listdir(f"/proc/{weir.proc.pid}/fd")))
                except OSError:
                    pass
                if time.monotonic() >= load_end:
                    return

        st = threading.Thread(target=sampler, daemon=True)
        st.start()
        timer = threading.Timer(max(0.0, load_end - time.monotonic()), halt.set)
        timer.start()
        faults.run_until(load_end)
        # Let the last fault recover with traffic on, then stop the clients.
        while time.monotonic() < load_end and not halt.is_set():
            halt.wait(0.1)
        timer.cancel()
        halt.set()
        mp_stop.set()
        results = []
        deadline = time.monotonic() + args.client_timeout + 10
        while len(results) < len(workers) and time.monotonic() < deadline:
            try:
                results.append(queue.get(timeout=1.0))
            except Exception:
                if not any(w.is_alive() for w in workers) and queue.empty():
                    break
        for w in workers:
            w.join(timeout=5)
        st.join(timeout=2)
        t_load_done = time.monotonic()
        log("load done")

        # Weir after the load: descriptors (at once, then after upstream_idle), RSS, stats.
        alive_after_load = weir.alive()
        fd_after_now = fd_after_idle = None
        idle_wait = 0.0
        rss_after = hwm = 0
        stats_rows = {}
        if alive_after_load:
            time.sleep(0.3)
            fd_after_now = fd_census_settled(weir.proc.pid, fe_ports, be_ports)
            stats_rows = weir.stats()
            time.sleep(args.upstream_idle + 0.7)
            fd_after_idle = fd_census_settled(weir.proc.pid, fe_ports, be_ports)
            idle_wait = time.monotonic() - t_load_done
            rss_after, hwm = proc_rss_kib(weir.proc.pid)
        alive_end = weir.alive()

        # SIGTERM: graceful stop, exit 0.
        term_rc = None
        if alive_end:
            os.kill(weir.proc.pid, signal.SIGTERM)
            try:
                term_rc = weir.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                term_rc = "timeout"

        # ---- Report.
        sent = sum(r["sent"] for r in results)
        ok = sum(r["ok"] for r in results)
        failures = [f for r in results for f in r["failures"]]
        by_server: dict[str, int] = {}
        for r in results:
            for k, v in r["by_server"].items():
                by_server[k] = by_server.get(k, 0) + v
        starts = array.array("d")
        lats = array.array("d")
        for r in results:
            a = array.array("d")
            a.frombytes(r["starts"])
            starts.extend(a)
            a = array.array("d")
            a.frombytes(r["lats"])
            lats.extend(a)
        phases = faults.run.phases
        windows = [(p.start, (p.recovered or p.end or t_load_done)) for p in phases]

        def in_fault(t0: float) -> bool:
            return any(s <= t0 <= e for s, e in windows)

        all_l = sorted(lats)
        fault_l = sorted(l for s, l in zip(starts, lats) if in_fault(s))
        calm_l = sorted(l for s, l in zip(starts, lats) if not in_fault(s))

        server_timeout = parse_duration(args.server_timeout)
        stop_exceeds_timeout = args.stop_time >= server_timeout
        latency_bound = max(server_timeout, args.stop_time) + 4 * CONNECT_TIMEOUT + 1.0

        def classify(f) -> str:
            t0, t1, kind, target, _, _ = f
            if target.startswith("/x") and kind in BY_DESIGN_KINDS:
                for p in phases:
                    if p.by_design and t1 >= p.start and t0 <= (p.end or t_load_done) + 0.5:
                        if kind == "status_504" and p.name != "hang":
                            continue
                        return "expected"
            if kind == "status_504" and stop_exceeds_timeout:
                for p in phases:  # a stall longer than timeout.server: 504s are not retried
                    if p.name == "stop" and t1 >= p.start and t0 <= p.end + 0.5:
                        return "expected"
            if kind in ("truncated_body", "reset_in_body"):
                for p in phases:  # a response already partly sent when its server was killed
                    if p.name == "kill" and t1 >= p.start and t0 <= p.start + 0.5:
                        return "expected"
            return "unexpected"

        expected = [f for f in failures if classify(f) == "expected"]
        unexpected = [f for f in failures if classify(f) == "unexpected"]

        def kinds(fs) -> dict[str, int]:
            d: dict[str, int] = {}
            for f in fs:
                d[f[2]] = d.get(f[2], 0) + 1
            return dict(sorted(d.items()))

        be_row = stats_rows.get(("app", "BACKEND"), {})
        srv_rows = {b.name: stats_rows.get(("app", b.name), {}) for b in backends}

        def ival(row, key) -> int:
            try:
                return int(row.get(key) or 0)
            except ValueError:
                return 0

        elapsed = t_load_done - t_begin
        out = []
        out.append("")
        out.append("=" * 78)
        out.append(f"weir soak: load {elapsed:.1f}s, {args.procs}x{args.connections} client connections, "
                   f"weir threads {args.weir_threads}, seed {args.seed}")
        out.append("-" * 78)
        out.append(f"{'phase':<10}{'server':<7}{'start':>7}{'fault':>7}{'recov':>7}{'reqs':>9}"
                   f"{'fail':>6}{'p99 ms':>9}{'max ms':>9}  note")
        for p in phases:
            s0 = p.start
            e0 = p.recovered or p.end or t_load_done
            n = sum(1 for s in starts if s0 <= s <= e0)
            nf = sum(1 for f in failures if s0 <= f[0] <= e0)  # by the time the request started
            pl = sorted(l for s, l in zip(starts, lats) if s0 <= s <= e0)
            rec = f"{p.recovered - p.end:.2f}" if p.recovered else "NO"
            out.append(f"{p.name + ('*' if p.by_design else ''):<10}{p.target:<7}{s0 - t_begin:>7.1f}"
                       f"{(p.end or e0) - s0:>7.2f}{rec:>7}{n:>9}{nf:>6}{ms(percentile(pl, 0.99)):>9}"
                       f"{ms(pl[-1] if pl else float('nan')):>9}  {p.note}")
        out.append("  (recov: s from the fault's end to every server UP"
                   + ("; *: by design, failures on /x expected)" if any(p.by_design for p in phases) else ")"))
        out.append("-" * 78)
        rate = sent / max(0.001, elapsed - 0)
        out.append(f"requests sent        {sent:>10}   ({rate:.0f}/s over the run)")
        out.append(f"OK (200, body ok)    {ok:>10}   by server: "
                   + ", ".join(f"{k} {v}" for k, v in sorted(by_server.items())))
        out.append(f"failed, unexpected   {len(unexpected):>10}   {kinds(unexpected) or ''}")
        out.append(f"failed, by design    {len(expected):>10}   {kinds(expected) or ''}")
        out.append(f"weir retries         {ival(be_row, 'wretr'):>10}   redispatches {ival(be_row, 'wredis')}, "
                   f"5xx {ival(be_row, 'hrsp_5xx')}, conn errors {ival(be_row, 'econ')}, "
                   f"resp errors {ival(be_row, 'eresp')}")
        out.append("per server           " + "; ".join(
            f"{n}: retr {ival(r, 'wretr')} econ {ival(r, 'econ')} eresp {ival(r, 'eresp')} "
            f"chkdown {ival(r, 'chkdown')}" for n, r in srv_rows.items()))
        out.append(f"latency ms           overall p50 {ms(percentile(all_l, .5))} p99 {ms(percentile(all_l, .99))}"
                   f" max {ms(all_l[-1] if all_l else float('nan'))}")
        out.append(f"                     in faults p50 {ms(percentile(fault_l, .5))} "
                   f"p99 {ms(percentile(fault_l, .99))} ({len(fault_l)} reqs);  "
                   f"calm p50 {ms(percentile(calm_l, .5))} p99 {ms(percentile(calm_l, .99))}")

        def fdline(c):
            return (f"{c['total']} (listen {c['listen']}, client {c['client']}, upstream {c['upstream']}, "
                    f"other sockets {c['other_socket']}, non-socket {c['non_socket']})") if c else "-"

        out.append(f"weir fds before      {fdline(fd_before)}")
        out.append(f"weir fds after       {fdline(fd_after_now)}  <- idle pooled upstream: "
                   f"{fd_after_now['upstream'] if fd_after_now else '-'}")
        out.append(f"weir fds +{idle_wait:.1f}s       {fdline(fd_after_idle)}  (max during run "
                   f"{samples['fd_max']})")
        out.append(f"weir RSS MiB         before {rss_before / 1024:.1f}, after {rss_after / 1024:.1f} "
                   f"(+{(rss_after - rss_before) / 1024:.1f}), peak {hwm / 1024:.1f}")
        out.append(f"weir exit on SIGTERM {term_rc}")
        for s in faults.run.status_log:
            out.append(f"note: {s}")

        # Checks.
        checks.append(("requests were made", sent > 0 and ok > 0, f"{ok}/{sent}"))
        checks.append(("no unexpected failure", not unexpected, f"{len(unexpected)}"))
        worst = all_l[-1] if all_l else 0.0
        checks.append((f"every request answered within {latency_bound:.1f}s", worst <= latency_bound,
                       f"max {worst:.2f}s; bound = timeout.server + (retries+1) x timeout.connect + 1s"))
        checks.append(("every fault recovered", all(p.recovered for p in phases) and not faults.run.status_log,
                       f"{sum(1 for p in phases if p.recovered)}/{len(phases)} phases"))
        ran = {p.name for p in phases}
        if ran & {"kill", "reset"}:
            checks.append(("weir retried (stats wretr > 0)", ival(be_row, "wretr") > 0,
                           f"wretr {ival(be_row, 'wretr')}"))
        checks.append(("weir alive after the load", alive_after_load and alive_end and
                       samples["crashed_at"] is None, ""))
        if fd_after_now and fd_after_idle:
            checks.append(("fds other than upstream back to baseline",
                           fd_after_now["fixed"] == fd_before["fixed"] and fd_after_now["client"] == 0
                           and fd_after_idle["fixed"] == fd_before["fixed"] and fd_after_idle["client"] == 0,
                           f"fixed {fd_before['fixed']} -> {fd_after_now['fixed']} / {fd_after_idle['fixed']}, "
                           f"client {fd_after_now['client']} / {fd_after_idle['client']}"))
            checks.append(("idle upstream closed after upstream_idle",
                           fd_after_idle["upstream"] <= max(fd_before["upstream"], len(backends)),
                           f"{fd_after_now['upstream']} -> {fd_after_idle['upstream']}"))
            checks.append((f"RSS within +{args.rss_slack_mib:.0f} MiB of baseline",
                           rss_after - rss_before <= args.rss_slack_mib * 1024,
                           f"{(rss_after - rss_before) / 1024:+.1f} MiB"))
        checks.append(("exit status 0 on SIGTERM", term_rc == 0, f"{term_rc}"))
        out.append("-" * 78)
        for name, passed, detail in checks:
            out.append(f"{'PASS' if passed else 'FAIL'}  {name}  {detail}")
        if unexpected:
            out.append("-" * 78)
            out.append("unexpected failures (first 20): t(s) kind target detail [requests before on conn]")
            for f in sorted(unexpected)[:20]:
                out.append(f"  {f[0] - t_begin:8.3f} +{(f[1] - f[0]) * 1000:.1f}ms {f[2]} {f[3]} {f[4][:80]!r} [{f[5]}]")
        out.append("=" * 78)
        print("\n".join(out))
        sys.stdout.flush()

        summary.update({
            "sent": sent, "ok": ok, "unexpected": kinds(unexpected), "by_design": kinds(expected),
            "by_server": by_server, "wretr": ival(be_row, "wretr"), "wredis": ival(be_row, "wredis"),
            "p50_ms": percentile(all_l, .5) * 1000 if all_l else None,
            "p99_ms": percentile(all_l, .99) * 1000 if all_l else None,
            "fault_p99_ms": percentile(fault_l, .99) * 1000 if fault_l else None,
            "fd_before": fd_before, "fd_after": fd_after_now, "fd_after_idle": fd_after_idle,
            "rss_before_kib": rss_before, "rss_after_kib": rss_after, "sigterm_rc": term_rc,
            "phases": [p.__dict__ | {"start": p.start - t_begin} for p in phases],
            "checks": [{"name": n, "pass": ok_, "detail": d} for n, ok_, d in checks],
            "unexpected_failures": [[f[0] - t_begin, f[1] - f[0]] + list(f[2:]) for f in sorted(unexpected)[:200]],
        })
        exit_code = 0 if all(c[1] for c in checks) else 1
    except SetupError as e:
        log(f"set-up failed: {e}")
        exit_code = 2
    except KeyboardInterrupt as e:
        log(f"interrupted ({e})")
        exit_code = 2
    finally:
        halt.set()
        mp_stop.set()
        for w in workers:
            if w.is_alive():
                w.terminate()  # by PID
            w.join(timeout=2)
        if weir.proc is not None and weir.proc.poll() is None:
            os.kill(weir.proc.pid, signal.SIGKILL)
            weir.proc.wait()
        for b in backends:
            b.stop()
        if args.json:
            with open(args.json, "w") as f:
                json.dump(summary, f, indent=1, default=str)
        if exit_code == 0 and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"work dir kept: {workdir}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

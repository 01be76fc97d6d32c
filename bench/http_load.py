"""Idle keep-alive connections for make bench's gateway row, in a process of its own.

    python bench/http_load.py < SPEC.json

Plain blocking sockets, away from the bench process's eventlet monkey patch (the
gateway's load rows are driven by wrk, see bench/run.py). SPEC is a JSON object on
stdin; the result is one JSON object on stdout. Loopback only, bounded in time.
Failed connections are counted, never raised: the bench reports a row with errors
as it is.

``{"mode": "idle", "host", "port", "connections", "hold_seconds", "pid"}``:
opens ``connections`` keep-alive connections, sends ``GET /health`` on each,
then leaves them idle for ``hold_seconds`` while reading the server's CPU time
(``/proc/<pid>/stat``), and sends one more ``GET /health`` on each to see that
it was kept open. Prints ``connections`` (opened and answered), ``cpu_percent``
(the server during the hold), ``baseline_cpu_percent`` (the server for 2 s
before any was opened), ``threads`` (the server's, during the hold),
``still_open``, ``hold_s``, ``errors`` and ``error_kinds``.
"""

import contextlib
import json
import os
import socket
import sys
import time
from collections import Counter
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def process_cpu_seconds(pid):
    """utime + stime of ``pid`` (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def process_threads(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return None


def read_response(sock, buffered=b""):
    """One HTTP/1.1 response with a Content-Length body: (status, the bytes read past it)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        rest += chunk
    return status, rest[length:]


def idle(spec):
    host, port, pid = spec["host"], int(spec["port"]), int(spec["pid"])
    wanted, hold = int(spec["connections"]), float(spec["hold_seconds"])
    request = f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()
    errors = Counter()

    def ask(sock):
        sock.sendall(request)
        status, extra = read_response(sock)
        if status != 200 or extra:
            raise ConnectionError(f"HTTP {status}" if status != 200 else "unexpected bytes")

    baseline_from, baseline_cpu = time.perf_counter(), process_cpu_seconds(pid)
    time.sleep(2.0)
    baseline = 100 * (process_cpu_seconds(pid) - baseline_cpu) / (time.perf_counter() - baseline_from)

    sockets = []
    for _ in range(wanted):
        try:
            sock = socket.create_connection((host, port), timeout=10)
        except OSError as exc:
            errors[f"connect: {type(exc).__name__}"] += 1
            continue
        try:
            ask(sock)
        except (OSError, ValueError, IndexError) as exc:
            errors[f"first GET: {type(exc).__name__}: {exc}"[:80]] += 1
            sock.close()
            continue
        sockets.append(sock)
    try:
        time.sleep(1.0)  # let the server settle after the opening burst
        began, cpu = time.perf_counter(), process_cpu_seconds(pid)
        time.sleep(hold / 2)
        threads = process_threads(pid)
        time.sleep(hold / 2)
        cpu_percent = 100 * (process_cpu_seconds(pid) - cpu) / (time.perf_counter() - began)
        still_open = 0
        for sock in sockets:
            try:
                ask(sock)
                still_open += 1
            except (OSError, ValueError, IndexError) as exc:
                errors[f"after the hold: {type(exc).__name__}: {exc}"[:80]] += 1
    finally:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
    return {
        "connections": len(sockets),
        "cpu_percent": round(cpu_percent, 2),
        "baseline_cpu_percent": round(baseline, 2),
        "threads": threads,
        "still_open": still_open,
        "hold_s": hold,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
    }


def main():
    spec = json.loads(sys.stdin.read())
    if spec["mode"] == "idle":
        if spec["host"] not in LOOPBACK:
            sys.exit(f"http_load: loopback only, not {spec['host']!r}")
        result = idle(spec)
    else:
        sys.exit(f"http_load: unknown mode {spec['mode']!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

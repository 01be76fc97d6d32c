"""Resident memory of the bench's processes, read from /proc/<pid>/status.

``resident(pid)`` is one process's current and peak RSS (VmRSS, VmHWM) in MiB;
``peaks(platform)`` the peak of each of a ``run.Platform``'s processes; a
``Sampler`` reads each one's RSS every few seconds in a green thread (the
caller has monkey-patched eventlet, as run.py does). A process that has
exited is skipped.
"""

import time
from pathlib import Path

import eventlet

from shippy_common.testing.processes import children


def resident(pid):
    """(VmRSS, VmHWM) of ``pid`` in MiB, or None if it has exited (a zombie has neither)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kib = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            kib[key] = int(value.split()[0])  # "  61234 kB"
    if len(kib) < 2:
        return None
    return round(kib["VmRSS"] / 1024, 1), round(kib["VmHWM"] / 1024, 1)


def running(platform):
    """(name, pid) of each of ``platform``'s processes still running, and of their
    children (user-service's logins process): ``user/1``, ..."""
    found = []
    for name, process, _ in platform.processes:
        if process.poll() is None:
            found.append((name, process.pid))
            found.extend((f"{name}/{n}", child) for n, child in enumerate(children(process.pid), 1))
    return found


def peaks(platform):
    """Each running process's peak RSS so far (VmHWM), in MiB: {"consignment": 61.2, ...}."""
    found = {}
    for name, pid in running(platform):
        reading = resident(pid)
        if reading is not None:
            found[name] = reading[1]
    return found


class Sampler:
    """Every ``interval`` seconds, each running process's RSS: ``samples`` maps a
    process's name to [(seconds since start, RSS MiB), ...]."""

    def __init__(self, platform, interval=10.0):
        self.platform = platform
        self.interval = interval
        self.samples = {}
        self.started = None
        self.thread = None

    def sample(self):
        """Reads every running process's RSS now, records it, and returns {name: RSS MiB}."""
        at = round(time.monotonic() - self.started, 1)
        now = {}
        for name, pid in running(self.platform):
            reading = resident(pid)
            if reading is not None:
                now[name] = reading[0]
                self.samples.setdefault(name, []).append((at, reading[0]))
        return now

    def loop(self):
        while True:
            self.sample()
            eventlet.sleep(self.interval)

    def start(self):
        self.started = time.monotonic()
        self.thread = eventlet.spawn(self.loop)
        return self

    def stop(self):
        if self.thread is not None:
            self.thread.kill()
            self.thread = None

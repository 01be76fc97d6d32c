"""Where the CPU goes during authenticated creates at concurrency 16.

Starts the bench platform (see run.py), runs create_consignment at concurrency
16 for BENCH_SECONDS, and prints each process's share of the CPU time spent in
that window, servers included, then where consignment_service and
vessel_service spent theirs: py-spy samples both meanwhile (100 per second),
and the functions most often on top of their stacks are printed, with the
collapsed stacks in bench/results/profile-<service>.txt (for flame graphs):
`.venv/bin/python bench/cpu_split.py`.
"""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import run

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds():
    """CPU seconds per command line, summed over every process on the machine."""
    totals = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = next((part for part in command.split() if "/" in part or part.startswith("-")), command)[:60]
        label = Path(name.split()[0]).name if name else pid
        if "ferretdb" in command:
            label = "ferretdb"
        elif "postgres" in command:
            label = "postgres"
        elif "beam.smp" in command:
            label = "rabbitmq"
        elif "python" in label:
            label = Path(command.split()[1]).name if len(command.split()) > 1 else label
        totals[label] = totals.get(label, 0) + (int(fields[11]) + int(fields[12])) / TICKS
    return totals


def main():
    run.logging.getLogger("amqp").setLevel(run.logging.CRITICAL)
    platform = run.Platform()
    clients = run.Clients()
    try:
        platform.reset_stores()
        platform.start_all()
        platform.wait_ready()
        admin = clients.rpc()
        admin.user_service.create({"name": "P", "company": "P", "email": "p@example.com", "password": "profile pass 1"})
        token = admin.user_service.auth("p@example.com", "profile pass 1")["token"]

        def create_call():
            rpc = clients.rpc(token)
            return lambda: rpc.consignment_service.create_consignment(run.CONSIGNMENT)

        run.run_load(create_call, 16, 1.0, warmup=0)
        profilers = {name: py_spy(process.pid, name) for name, process, _ in platform.processes if name in PROFILED}
        before = cpu_seconds()
        result = run.run_load(create_call, 16, run.SECONDS, warmup=0)
        after = cpu_seconds()
        for profiler in profilers.values():
            profiler.wait(30)
    finally:
        clients.close()
        platform.stop()
    spent = {name: after[name] - before.get(name, 0) for name in after}
    total = sum(value for value in spent.values() if value > 0)
    rate, cores = result["throughput_per_s"], os.cpu_count()
    print(f"create c16: {rate} calls/s; {total:.1f} CPU-s in {run.SECONDS:g}s on {cores} cores")
    for name, value in sorted(spent.items(), key=lambda item: -item[1])[:12]:
        if value > 0:
            print(f"  {name:<32} {value:6.2f} CPU-s  {100 * value / total:5.1f}%")

    for name in profilers:
        print(f"{name}: the functions most often on top of its stack (py-spy, {run.SECONDS:g}s)")
        for frame, share in top_frames(RESULTS / f"profile-{name}.txt"):
            print(f"  {share:5.1f}%  {frame}")


PROFILED = ("consignment", "vessel", "notification-service")
RESULTS = Path(__file__).parent / "results"


def py_spy(pid, name):
    output = RESULTS / f"profile-{name}.txt"
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--rate", "100"]
    command += ["--duration", str(int(run.SECONDS)), "--format", "raw", "--nonblocking", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def top_frames(collapsed, count=12):
    """The frames most often last in a sampled stack (time spent in them, not below), idle waits left out."""
    tops, total = Counter(), 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frame = stack.rsplit(";", 1)[-1]
        if any(idle in frame for idle in IDLE):
            continue
        tops[frame] += int(samples)
        total += int(samples)
    return [(frame, 100 * samples / total) for frame, samples in tops.most_common(count)]


#: Where a green thread waits rather than works.
IDLE = ("epoll", "poll (", "select (", "wait (", "_sleep")


if __name__ == "__main__":
    main()

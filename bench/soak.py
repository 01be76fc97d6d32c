"""make soak: does any process's resident memory grow under sustained load?

Starts the bench platform (see run.py), runs authenticated creates at
concurrency 16 for a warm-up (SOAK_WARMUP_SECONDS, default 60), then for
SOAK_SECONDS (default 300), reading every process's RSS every
SOAK_SAMPLE_SECONDS (default 10). For each process: its RSS at the end of the
warm-up, at the end, the largest reading after the warm-up, its peak (VmHWM,
or a larger reading), and its growth over the soak, (end - warm-up) / warm-up,
against the target (at most 10 %). Prints a table and writes
bench/results/soak.json. Exits non-zero only when something fails (a process
exits, a call fails), never for a missed target.
"""

import itertools
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import run  # first: it monkey-patches eventlet (run.memory is bench/memory.py)

CONCURRENCY = 16
WARMUP_SECONDS = float(os.environ.get("SOAK_WARMUP_SECONDS", "60"))
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "300"))
SAMPLE_SECONDS = float(os.environ.get("SOAK_SAMPLE_SECONDS", "10"))
GROWTH_TARGET_PERCENT = 10
RESULTS = run.ROOT / "bench" / "results" / "soak.json"
# Room for this many bookings a second over the whole run (creates at 16 run at
# about 150/s on 2026-12-05, 40/s when this was written); a bench vessel holds
# 100,000 one-container bookings.
ROOM_PER_SECOND = 400
VESSEL_ROOM = 100_000


def say(text):
    print(f"soak: {text}", file=sys.stderr, flush=True)


def soak(clients, platform):
    vessels = math.ceil((WARMUP_SECONDS + SOAK_SECONDS) * ROOM_PER_SECOND / VESSEL_ROOM)
    _, _, token = run.bench_user(clients, platform, vessels=vessels)
    proxies = itertools.cycle([clients.rpc(token) for _ in range(CONCURRENCY)])

    def create_call():  # both phases share the same 16 connections
        rpc = next(proxies)
        return lambda: rpc.consignment_service.create_consignment(run.CONSIGNMENT)

    sampler = run.memory.Sampler(platform, SAMPLE_SECONDS).start()
    try:
        say(f"warm-up: creates at concurrency {CONCURRENCY} for {WARMUP_SECONDS:g}s")
        warmup = run.run_load(create_call, CONCURRENCY, WARMUP_SECONDS, warmup=0)
        platform.check_alive()
        warm = sampler.sample()
        warm_at = {name: sampler.samples[name][-1][0] for name in warm}
        say(f"measuring: creates at concurrency {CONCURRENCY} for {SOAK_SECONDS:g}s, RSS every {SAMPLE_SECONDS:g}s")
        load = run.run_load(create_call, CONCURRENCY, SOAK_SECONDS, warmup=0)
    finally:
        sampler.stop()
    end = sampler.sample()
    peaks = run.memory.peaks(platform)
    platform.check_alive()
    processes = {}
    for name, warm_mib in warm.items():
        after = [mib for at, mib in sampler.samples[name] if at >= warm_at[name]]
        growth = 100 * (end[name] - warm_mib) / warm_mib
        processes[name] = {
            "warmup_mib": warm_mib,
            "end_mib": end[name],
            "max_mib": max(after),
            # VmHWM, or a reading above it: the kernel updates the high-water mark lazily
            "peak_mib": max(peaks[name], *(mib for _, mib in sampler.samples[name])),
            "growth_percent": round(growth, 1),
            "holds": growth <= GROWTH_TARGET_PERCENT,
        }
    return {
        "warmup": warmup,
        "soak": load,
        "vessels": vessels,
        "memory": processes,
        "target": f"growth <= {GROWTH_TARGET_PERCENT} %",
        "samples": sampler.samples,
    }


def table(results):
    warmup, load = results["warmup"], results["soak"]
    lines = [
        f"creates at {CONCURRENCY}: warm-up {warmup['calls']} calls ({warmup['throughput_per_s']}/s),"
        f" soak {load['calls']} calls ({load['throughput_per_s']}/s, p50 {load['p50_ms']} ms,"
        f" p99 {load['p99_ms']} ms)",
        "",
        f"{'process':<26} {'warm-up MiB':>11} {'end MiB':>8} {'max MiB':>8} {'peak MiB':>8} {'growth %':>8}  target",
    ]
    for name, row in results["memory"].items():
        verdict = "holds" if row["holds"] else "MISSED"
        lines.append(
            f"{name:<26} {row['warmup_mib']:>11.1f} {row['end_mib']:>8.1f} {row['max_mib']:>8.1f}"
            f" {row['peak_mib']:>8.1f} {row['growth_percent']:>8.1f}  {verdict} ({results['target']})"
        )
    return "\n".join(lines)


def main():
    run.logging.getLogger("amqp").setLevel(run.logging.CRITICAL)  # chatter about closing channels
    started = time.time()
    platform = run.Platform()
    clients = run.Clients()
    try:
        say("starting the platform (the bench's own vhost, databases, stream)")
        platform.reset_stores()
        platform.start_all()
        platform.wait_ready()
        results = soak(clients, platform)
    except Exception as exc:
        say(f"failed: {exc}")
        sys.exit(1)
    finally:
        clients.close()
        platform.stop()
    results["run"] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "warmup_s": WARMUP_SECONDS,
        "soak_s": SOAK_SECONDS,
        "sample_s": SAMPLE_SECONDS,
        "concurrency": CONCURRENCY,
        "cpus": os.cpu_count(),
        "python": run.host.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    say(f"wrote {RESULTS.relative_to(run.ROOT)} in {results['run']['duration_s']}s")


if __name__ == "__main__":
    main()

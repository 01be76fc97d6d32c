"""make bench: the hot paths, each next to a bound measured in the same run.

Starts its own copy of the platform (its own RabbitMQ vhost, databases, JetStream
stream and mail folder, so a `make run` alongside is untouched), measures, stops
it, prints a table and writes bench/results/latest.json (keys: README,
"Performance"). Exits non-zero only when something fails, never for a missed target.
"""

# isort: off
import shippy_common  # hides dependency warnings before eventlet's import
import eventlet

# isort: on
eventlet.monkey_patch()

import json
import logging
import os
import platform as host
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path

import psycopg2
import pymongo
import requests
from nameko.standalone.rpc import ClusterRpcProxy

import shippy_common.errors  # registers Shippy's errors, so refusals arrive typed
from shippy_common.testing.net import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STATE = Path(os.environ.get("SHIPPY_INFRA_DIR", ROOT / ".infra")) / "bench"
RESULTS = ROOT / "bench" / "results" / "latest.json"
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
VHOST = "shippy-bench"
AMQP_URI = f"pyamqp://guest:guest@127.0.0.1:5672/{VHOST}"
ADMIN_DB = "postgresql://shippy:shippy@127.0.0.1:5432/shippy"
BENCH_DB = "shippy_bench"
BCRYPT_COST = 12
FLOOD_CALLERS = 500
# A login refused as Busy ("busy, retry") is retried after this long by the
# login rows' callers, as a client that heeds the answer would; the flood row's
# callers retry at once.
BUSY_RETRY_SECONDS = 0.1
CONSIGNMENT = {
    "description": "bench",
    "weight": 1,
    "containers": [{"customer_id": "cust001", "origin": "Derby, United Kingdom"}],
}


def say(text):
    print(f"bench: {text}", file=sys.stderr, flush=True)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


class Platform:
    """Every Shippy process, started for the bench and stopped after it."""

    def __init__(self):
        self.processes = []
        self.logs = STATE / "logs"
        self.mail = STATE / "mail"
        self.env = {
            **os.environ,
            "AMQP_URI": AMQP_URI,
            "DATABASE_URL": ADMIN_DB.rsplit("/", 1)[0] + f"/{BENCH_DB}",
            "JWT_SECRET": secrets.token_urlsafe(48),
            "BCRYPT_COST": str(BCRYPT_COST),
            "VESSEL_MONGO_DATABASE": "bench_vessel",
            "CONSIGNMENT_MONGO_DATABASE": "bench_consignment",
            "EVENT_STREAM": "BENCH",
            "EVENT_SUBJECT_PREFIX": "bench.",
            "NOTIFICATION_MAIL_DIR": str(self.mail),
            "NOTIFICATION_STATE_DIR": str(STATE / "notification"),
            "NOTIFICATION_CONSUMER": "bench",
            "LOG_LEVEL": "WARNING",
        }

    def reset_stores(self):
        shutil.rmtree(STATE, ignore_errors=True)
        self.logs.mkdir(parents=True)
        api = "http://127.0.0.1:15672/api"
        requests.delete(f"{api}/vhosts/{VHOST}", auth=("guest", "guest"), timeout=10)
        requests.put(f"{api}/vhosts/{VHOST}", auth=("guest", "guest"), timeout=10).raise_for_status()
        requests.put(
            f"{api}/permissions/{VHOST}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"},
            auth=("guest", "guest"),
            timeout=10,
        ).raise_for_status()
        client = pymongo.MongoClient("mongodb://127.0.0.1:27017/")
        for name in ("bench_vessel", "bench_consignment"):
            client.drop_database(name)
        connection = psycopg2.connect(ADMIN_DB)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"drop database if exists {BENCH_DB} with (force)")
            cursor.execute(f"create database {BENCH_DB}")
        connection.close()
        tool = [sys.executable, "-m", "shippy_common.testing.jetstream", "delete", "nats://127.0.0.1:4222", "BENCH"]
        subprocess.run(tool, check=True, capture_output=True, timeout=30)

    def start(self, name, command, **env):
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        self.processes.append((name, process, log))

    def start_all(self):
        for service in ("vessel", "user", "consignment"):
            self.start(
                service,
                [str(BIN / f"{service}-service")],
                **{f"{service.upper()}_HTTP_ADDRESS": f"127.0.0.1:{free_port()}"},
            )
        self.start("echo", [sys.executable, str(ROOT / "bench" / "echo_service.py")])
        for relay in ("user-outbox-relay", "consignment-outbox-relay", "notification-service"):
            self.start(relay, [str(BIN / relay)])

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        with ClusterRpcProxy({"AMQP_URI": AMQP_URI}, timeout=5) as rpc:
            for probe in (
                lambda: rpc.echo_service.echo(1),
                lambda: rpc.vessel_service.find_available({"capacity": 1, "max_weight": 1}),
                lambda: rpc.user_service.validate_token("x.y.z"),
                lambda: rpc.consignment_service.get_consignments(),
            ):
                while True:
                    self.check_alive()
                    try:
                        probe()
                        break
                    except Exception as exc:  # not up yet, or the refusal we expect
                        if isinstance(exc, shippy_common.errors.InvalidToken | shippy_common.errors.Unauthorized):
                            break
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"the platform did not come up: {exc!r}") from None
                        time.sleep(0.5)

    def check_alive(self):
        for name, process, _ in self.processes:
            if process.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{tail}")

    def stop(self):
        for _, process, _ in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process, log in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def run_load(make_call, concurrency, seconds, warmup=1.0, refused=()):
    """``concurrency`` greenthreads, each with its own connection, calling
    back to back for ``seconds`` after a warm-up; throughput and latencies
    of the calls that succeeded. A call refused with one of ``refused`` is
    counted and tried again after ``BUSY_RETRY_SECONDS``; any other failure fails the row."""
    calls = [make_call() for _ in range(concurrency)]
    latencies, errors, refusals = [], [], []

    def worker(call, until, record):
        while time.perf_counter() < until:
            began = time.perf_counter()
            try:
                call()
            except refused as exc:
                if record:
                    refusals.append(type(exc).__name__)
                eventlet.sleep(BUSY_RETRY_SECONDS)
                continue
            except Exception as exc:
                errors.append(type(exc).__name__)
                continue
            if record:
                latencies.append(time.perf_counter() - began)

    for phase, length in (("warmup", warmup), ("measure", seconds)):
        pool = eventlet.GreenPool(concurrency)
        started = time.perf_counter()
        for call in calls:
            pool.spawn(worker, call, started + length, phase == "measure")
        pool.waitall()
        elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} calls failed: {sorted(set(errors))}")
    return {
        "concurrency": concurrency,
        "calls": len(latencies),
        "throughput_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        **({"refused": len(refusals)} if refused else {}),
    }


class Clients:
    def __init__(self):
        self.proxies = []

    def rpc(self, token=None):
        proxy = ClusterRpcProxy(
            {"AMQP_URI": AMQP_URI}, context_data={"authorization": token} if token else {}, timeout=60
        )
        self.proxies.append(proxy)
        return proxy.start()

    def close(self):
        for proxy in self.proxies:
            proxy.stop()


def measure(clients):
    results = {}
    admin = clients.rpc()
    password = "bench password 123"
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    admin.user_service.create({"name": "Bench", "company": "Bench Ltd", "email": email, "password": password})
    token = admin.user_service.auth(email, password)["token"]
    admin.vessel_service.create({"id": "bench-vessel", "name": "Bench", "capacity": 100_000, "max_weight": 10**9})

    def echo_call():
        rpc = clients.rpc()
        return lambda: rpc.echo_service.echo("ping")

    def create_call():
        rpc = clients.rpc(token)
        return lambda: rpc.consignment_service.create_consignment(CONSIGNMENT)

    def validate_call():
        rpc = clients.rpc()
        return lambda: rpc.user_service.validate_token(token)

    def login_call():
        rpc = clients.rpc()
        return lambda: rpc.user_service.auth(email, password)

    for name, make_call in (("echo", echo_call), ("create", create_call), ("validate", validate_call)):
        results[name] = {}
        for concurrency in (1, 16):
            say(f"{name} at concurrency {concurrency} ({SECONDS:g}s)")
            results[name][f"c{concurrency}"] = run_load(make_call, concurrency, SECONDS)

    say(f"raw bcrypt.checkpw at cost {BCRYPT_COST} on {os.cpu_count()} threads ({SECONDS:g}s)")
    raw = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "raw_bcrypt.py"), str(BCRYPT_COST), str(SECONDS)],
        capture_output=True,
        check=True,
        text=True,
    )
    raw_per_second = json.loads(raw.stdout)["per_second"]
    results["login"] = {"raw_bcrypt_per_s": round(raw_per_second, 2)}
    busy = (shippy_common.errors.Busy,)
    for concurrency in (1, 16):
        say(f"login at concurrency {concurrency} ({SECONDS:g}s)")
        results["login"][f"c{concurrency}"] = run_load(login_call, concurrency, SECONDS, refused=busy)

    say("validate_token while 16 logins run")
    loaders = eventlet.GreenPool()
    loaders.spawn(run_load, login_call, 16, SECONDS + 2, 0, busy)
    eventlet.sleep(1.0)
    loaded = run_load(validate_call, 1, SECONDS, 0)
    loaders.waitall()
    results["validate_under_login_load"] = {
        "idle_p99_ms": results["validate"]["c1"]["p99_ms"],
        "loaded": loaded,
        "loaded_p99_ms": loaded["p99_ms"],
    }
    results["validate_under_login_flood"] = measure_validate_under_flood(
        validate_call, email, password, idle_p99_ms=results["validate"]["c1"]["p99_ms"]
    )

    results["event_lag"] = measure_event_lag(clients.rpc(token))
    return results


def measure_validate_under_flood(validate_call, email, password, idle_p99_ms):
    """Token checks, one at a time, while FLOOD_CALLERS callers in another
    process hammer ``auth`` (most of them refused as Busy)."""
    say(f"validate_token while {FLOOD_CALLERS} logins flood ({SECONDS:g}s)")
    command = [sys.executable, str(ROOT / "bench" / "login_flood.py"), AMQP_URI, email, password]
    flood = subprocess.Popen(
        [*command, str(FLOOD_CALLERS), str(SECONDS + 2)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for line in flood.stderr:
        if line.strip() == "flooding":
            break
    else:
        raise RuntimeError(f"the login flood did not start (exit {flood.wait()})")
    eventlet.sleep(1.0)
    loaded = run_load(validate_call, 1, SECONDS, 0)
    out, err = flood.communicate(timeout=120)
    if flood.returncode != 0:
        raise RuntimeError(f"the login flood failed: {err.strip()[-2000:]}")
    return {"idle_p99_ms": idle_p99_ms, "loaded": loaded, "loaded_p99_ms": loaded["p99_ms"], "flood": json.loads(out)}


def wait_for_backlog(timeout=180):
    """Let the relay and the notification service catch up with the bookings
    of the throughput runs, so that lag is measured on a quiet pipeline."""
    consignments = pymongo.MongoClient("mongodb://127.0.0.1:27017/")["bench_consignment"]["consignments"]
    total = consignments.count_documents({})
    say(f"waiting for the mails of {total} earlier bookings")
    deadline = time.monotonic() + timeout
    while len(list(Path(STATE / "mail").glob("*.eml"))) < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the event pipeline did not catch up with {total} bookings in {timeout}s")
        eventlet.sleep(0.5)


def measure_event_lag(rpc, count=60):
    """From create returning to the notification service having written the mail."""
    wait_for_backlog()
    say(f"event lag over {count} bookings")
    returned = {}
    for _ in range(count):
        created = rpc.consignment_service.create_consignment(CONSIGNMENT)
        returned[created["id"]] = time.time()
        eventlet.sleep(0.05)
    deadline = time.monotonic() + 30
    lags = {}
    while len(lags) < count and time.monotonic() < deadline:
        for path in Path(STATE / "mail").glob("*.eml"):
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            consignment_id = str(mail["Subject"]).split()[1] if mail["Subject"].startswith("Consignment ") else None
            if consignment_id in returned and consignment_id not in lags:
                lags[consignment_id] = path.stat().st_mtime - returned[consignment_id]
        eventlet.sleep(0.2)
    if len(lags) < count:
        raise RuntimeError(f"only {len(lags)} of {count} booking mails arrived within 30s")
    values = list(lags.values())
    return {
        "events": count,
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
    }


def targets(results):
    echo_bound = results["echo"]["c16"]["throughput_per_s"] / 3
    create_ratio = results["create"]["c16"]["throughput_per_s"] / echo_bound
    login_ratio = results["login"]["c16"]["throughput_per_s"] / results["login"]["raw_bcrypt_per_s"]
    load = results["validate_under_login_load"]
    load_ratio = load["loaded_p99_ms"] / load["idle_p99_ms"]
    flood = results["validate_under_login_flood"]
    flood_ratio = flood["loaded_p99_ms"] / flood["idle_p99_ms"]
    lag = results["event_lag"]["p99_ms"]
    return {
        "create_c16_vs_echo_over_3": {
            "value": round(create_ratio, 2),
            "target": ">= 0.8",
            "holds": create_ratio >= 0.8,
        },
        "login_c16_vs_raw_bcrypt": {"value": round(login_ratio, 2), "target": ">= 0.9", "holds": login_ratio >= 0.9},
        "validate_p99_loaded_vs_idle": {"value": round(load_ratio, 2), "target": "<= 2", "holds": load_ratio <= 2},
        "validate_p99_flood_vs_idle": {"value": round(flood_ratio, 2), "target": "<= 2", "holds": flood_ratio <= 2},
        "event_lag_p99_ms": {"value": lag, "target": "< 250", "holds": lag < 250},
    }


def table(results):
    rows = [("row", "conc.", "calls/s", "p50 ms", "p99 ms")]
    for name in ("echo", "create", "validate", "login"):
        for concurrency in ("c1", "c16"):
            r = results[name][concurrency]
            rows.append((name, concurrency[1:], r["throughput_per_s"], r["p50_ms"], r["p99_ms"]))
    loaded = results["validate_under_login_load"]["loaded"]
    rows.append(("validate under login load", "1", loaded["throughput_per_s"], loaded["p50_ms"], loaded["p99_ms"]))
    flooded = results["validate_under_login_flood"]["loaded"]
    rows.append(
        (
            f"validate while {FLOOD_CALLERS} logins flood",
            "1",
            flooded["throughput_per_s"],
            flooded["p50_ms"],
            flooded["p99_ms"],
        )
    )
    rows.append(("raw bcrypt.checkpw (bound)", str(os.cpu_count()), results["login"]["raw_bcrypt_per_s"], "", ""))
    lag = results["event_lag"]
    rows.append(("event lag (create -> mail)", "1", "", lag["p50_ms"], lag["p99_ms"]))
    lines = [f"{a:<32} {b:>5} {c!s:>9} {d!s:>9} {e!s:>9}" for a, b, c, d, e in rows]
    lines.append("")
    for name, target in results["targets"].items():
        lines.append(
            f"{name:<32} {target['value']!s:>9} (target {target['target']}): {'holds' if target['holds'] else 'MISSED'}"
        )
    return "\n".join(lines)


def main():
    logging.getLogger("amqp").setLevel(logging.CRITICAL)  # chatter about closing channels
    started = time.time()
    platform = Platform()
    clients = Clients()
    try:
        say("starting the platform (own vhost, databases, stream)")
        platform.reset_stores()
        platform.start_all()
        platform.wait_ready()
        results = measure(clients)
        platform.check_alive()
    except Exception as exc:
        say(f"failed: {exc}")
        sys.exit(1)
    finally:
        clients.close()
        platform.stop()
    results["targets"] = targets(results)
    results["run"] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "seconds_per_measurement": SECONDS,
        "bcrypt_cost": BCRYPT_COST,
        "cpus": os.cpu_count(),
        "python": host.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    say(f"wrote {RESULTS.relative_to(ROOT)} in {results['run']['duration_s']}s")


if __name__ == "__main__":
    main()

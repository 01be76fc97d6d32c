"""A login flood for make bench: CALLERS callers hammer user_service.auth,
each with its own connection, calling again at once after ``Busy``.

    python bench/login_flood.py AMQP_URI EMAIL PASSWORD CALLERS SECONDS

Prints "flooding" on stderr once every caller is connected and calling; after
SECONDS prints {"callers", "logins", "busy", "logins_per_s", "busy_per_s"} as
JSON on stdout. Exits 1 if any call failed otherwise. It runs in a process of
its own so that the bench process, which times token checks meanwhile, is not
also the one scheduling hundreds of callers.
"""

# isort: off
import shippy_common  # noqa: F401 - hides dependency warnings before eventlet's import
import eventlet

# isort: on
eventlet.monkey_patch()

import json
import logging
import sys
import time
from collections import Counter

from shippy_common.errors import Busy
from shippy_common.rpc import TransientClusterRpcProxy


def main():
    logging.getLogger("amqp").setLevel(logging.CRITICAL)
    uri, email, password, callers, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    proxies = [TransientClusterRpcProxy({"AMQP_URI": uri}, timeout=60) for _ in range(callers)]
    clients = [proxy.start() for proxy in proxies]
    outcomes = Counter()

    def hammer(rpc, until):
        while time.perf_counter() < until:
            try:
                rpc.user_service.auth(email, password)
                outcomes["logins"] += 1
            except Busy:
                outcomes["busy"] += 1
            except Exception as exc:
                outcomes[f"failed: {type(exc).__name__}"] += 1

    pool = eventlet.GreenPool(callers)
    started = time.perf_counter()
    for rpc in clients:
        pool.spawn(hammer, rpc, started + seconds)
    print("flooding", file=sys.stderr, flush=True)
    pool.waitall()
    elapsed = time.perf_counter() - started
    for proxy in proxies:
        proxy.stop()
    failures = {name: count for name, count in outcomes.items() if name.startswith("failed")}
    if failures:
        print(f"login flood: calls failed: {failures}", file=sys.stderr)
        sys.exit(1)
    print(
        json.dumps(
            {
                "callers": callers,
                "logins": outcomes["logins"],
                "busy": outcomes["busy"],
                "logins_per_s": round(outcomes["logins"] / elapsed, 1),
                "busy_per_s": round(outcomes["busy"] / elapsed, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

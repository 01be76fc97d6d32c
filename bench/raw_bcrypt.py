"""Raw bcrypt.checkpw throughput on every core: the bound for logins.

Prints {"per_second": N, "threads": T, "cost": C}. Threads are enough:
bcrypt releases the GIL while it hashes.
"""

import json
import os
import sys
import threading
import time

import bcrypt


def main() -> None:
    cost, seconds = int(sys.argv[1]), float(sys.argv[2])
    password = b"correct horse battery"
    hashed = bcrypt.hashpw(password, bcrypt.gensalt(cost))
    threads = os.cpu_count() or 1
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def work(index: int) -> None:
        while time.perf_counter() < deadline:
            bcrypt.checkpw(password, hashed)
            counts[index] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    print(json.dumps({"per_second": sum(counts) / elapsed, "threads": threads, "cost": cost}))


if __name__ == "__main__":
    main()

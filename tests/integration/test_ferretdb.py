"""FerretDB as `make infra` builds it (FerretDB 1.24 with `infra/ferretdb/*.patch`), on
PostgreSQL: updates at once never wait for ever on its pool of connections, and a write
refused midway keeps exactly what MongoDB would.

FerretDB 1.24 wrote each matched document while the query that found it still held a
pool connection, and took a second one for the write: as many updates at once as half
the pool each held one and all waited for ever (a platform under load stopped there,
`ping` included). `update-one-connection.patch` reads the matches first. And writes
made without a transaction (`single-statement-writes.patch`) keep MongoDB's outcome. The compose
stand-in runs FerretDB on SQLite, so this runs on the host only (`HOST_TESTS`)."""

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pymongo
import pytest

from shippy_common.testing.net import free_port
from shippy_common.testing.waits import eventually

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgresql://shippy:shippy@127.0.0.1:5432/ferretdb"
POOL_CONNECTIONS = 2
UPDATERS = 8
UPDATES_EACH = 25


def ferretdb_binary() -> str:
    """The binary `make infra` built (``infra.sh ferretdb-bin``, as the compose stand-in gets it)."""
    env = {**os.environ, "VENV": str(Path(sys.executable).parents[1])}
    done = subprocess.run([str(ROOT / "infra" / "infra.sh"), "ferretdb-bin"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def small_pool_ferretdb(tmp_path):
    """The built FerretDB on a free port, its pool of PostgreSQL connections cut to two."""
    port = free_port()
    env = {**os.environ, "FERRETDB_POSTGRESQL_URL": f"{POSTGRES}?pool_max_conns={POOL_CONNECTIONS}"}
    command = [ferretdb_binary(), "--handler=postgresql", f"--listen-addr=127.0.0.1:{port}"]
    command += [f"--state-dir={tmp_path}", "--telemetry=disable", "--debug-addr=-", "--log-level=error"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=20000, socketTimeoutMS=15000)
    database = client[f"pool_{uuid.uuid4().hex[:12]}"]
    try:
        client.admin.command("ping")
        yield database
    finally:
        try:
            client.drop_database(database.name)
        finally:
            client.close()
            server.terminate()
            server.wait(timeout=10)


def test_four_times_as_many_updates_at_once_as_pool_connections_all_finish(small_pool_ferretdb):
    counters = small_pool_ferretdb["counters"]
    counters.insert_many([{"_id": number, "n": 0} for number in range(UPDATERS)])
    failures = []

    def update(number):
        try:
            for _ in range(UPDATES_EACH):
                counters.update_one({"_id": number}, {"$inc": {"n": 1}})
        except pymongo.errors.PyMongoError as exc:
            failures.append(f"{type(exc).__name__}: {exc}")

    updaters = [threading.Thread(target=update, args=(number,)) for number in range(UPDATERS)]
    for updater in updaters:
        updater.start()
    for updater in updaters:
        updater.join()
    assert failures == []
    assert {document["_id"]: document["n"] for document in counters.find()} == dict.fromkeys(
        range(UPDATERS), UPDATES_EACH
    )


def test_an_ordered_insert_stops_at_a_duplicate_and_keeps_the_documents_before_it(small_pool_ferretdb):
    """`single-statement-writes.patch` writes a batch of documents in one statement, without a
    transaction around it: a batch with a duplicate still stores exactly what MongoDB stores."""
    items = small_pool_ferretdb["items"]
    with pytest.raises(pymongo.errors.BulkWriteError) as refused:
        items.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 1}, {"_id": 3}])
    assert refused.value.details["nInserted"] == 2
    assert [error["index"] for error in refused.value.details["writeErrors"]] == [2]
    assert sorted(document["_id"] for document in items.find()) == [1, 2]
    with pytest.raises(pymongo.errors.BulkWriteError):
        items.insert_many([{"_id": 4}, {"_id": 2}, {"_id": 5}], ordered=False)
    assert sorted(document["_id"] for document in items.find()) == [1, 2, 4, 5]


def test_an_update_refused_by_a_unique_index_changes_nothing(small_pool_ferretdb):
    """The patch's update of one document runs as one statement: refused, it leaves the
    document as it was. (FerretDB 1.24 answers such an update with an ``InternalError``,
    where MongoDB answers ``DuplicateKeyError``; both are ``OperationFailure``s.)"""
    items = small_pool_ferretdb["items"]
    items.create_index("reference", unique=True)
    items.insert_many([{"_id": 1, "reference": "A", "n": 0}, {"_id": 2, "reference": "B", "n": 0}])
    with pytest.raises(pymongo.errors.OperationFailure):
        items.update_one({"_id": 2}, {"$set": {"reference": "A", "n": 1}})
    assert list(items.find({}, sort=[("_id", 1)])) == [
        {"_id": 1, "reference": "A", "n": 0},
        {"_id": 2, "reference": "B", "n": 0},
    ]
    assert items.update_one({"_id": 2}, {"$set": {"n": 2}}).modified_count == 1
    assert items.find_one({"_id": 2}) == {"_id": 2, "reference": "B", "n": 2}


def test_the_versions_updates_leave_behind_are_vacuumed_within_seconds(small_pool_ferretdb):
    """`make infra` runs PostgreSQL's autovacuum every 5 s on a table with 500 rows and 1 %
    dead (`POSTGRES_TUNING` in `infra/infra.sh`). FerretDB rewrites a document on update,
    and every version left behind stays in the GIN index under its old value: the relay's
    look-up of pending events read them all until a vacuum, which PostgreSQL's defaults
    (every minute, once 20 % of a table is dead) left for 4,050 of these."""
    import psycopg2

    items = small_pool_ferretdb["items"]
    items.create_index("pending")
    items.insert_many([{"_id": number, "pending": True} for number in range(20_000)])
    connection = psycopg2.connect(POSTGRES)
    connection.autocommit = True

    def table_stats():
        """The collection's table, its rows inserted (as far as counted yet) and autovacuums."""
        with connection.cursor() as cursor:
            cursor.execute(
                "select schemaname, relname, n_tup_ins, autovacuum_count from pg_stat_user_tables"
                " where schemaname = %s and relname like 'items%%'",
                (small_pool_ferretdb.name,),
            )
            schema, table, inserted, vacuums = cursor.fetchone()
            return f'"{schema}"."{table}"', inserted, vacuums

    try:
        eventually(lambda: table_stats()[1] >= 20_000, timeout=30, interval=0.2, what="the inserts counted")
        table, _, _ = table_stats()
        with connection.cursor() as cursor:
            cursor.execute(f"vacuum {table}")  # as a table that has been in use a while: no inserts left to vacuum for
        vacuums_before = table_stats()[2]
        items.bulk_write([pymongo.UpdateOne({"_id": number}, {"$set": {"pending": False}}) for number in range(800)])
        eventually(
            lambda: table_stats()[2] > vacuums_before,
            timeout=30,
            interval=0.5,
            what="an autovacuum of the collection after 800 of its 20,000 documents were updated",
        )
    finally:
        connection.close()
    assert items.count_documents({"pending": True}) == 20_000 - 800

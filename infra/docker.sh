#!/usr/bin/env bash
# A Docker engine for `make build` / `make test-compose`, without touching anyone else's.
#
#   docker.sh up      make sure an engine answers (see below); say which
#   docker.sh host    the same, then print the DOCKER_HOST to use (for the Makefile)
#   docker.sh down    stop the private engine this script started, and only that one
#   docker.sh status  say which engine answers
#
# Which engine: the one DOCKER_HOST points at, when set (it must answer); else the
# one on the default socket, when it answers; else (root, Debian-like) a private
# dockerd, installed from Debian packages (docker.io) if missing, whose exec root,
# socket, pid file and log live under $SHIPPY_INFRA_DIR/docker (default
# .infra/docker, git-ignored). `down` stops that one by its pid file.
#
# Its images and build cache are a cache, like pip's: they outlive the clone, in
# $SHIPPY_DOCKER_DATA (default /var/cache/shippy/docker), which one private
# engine at a time uses: the engine holds a lock on it while it runs. Should
# another clone's engine hold it, this one keeps its own under .infra/docker/data.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${SHIPPY_INFRA_DIR:-$ROOT/.infra}
DIR=$STATE/docker
RUN=$STATE/run
LOGS=$STATE/log
PIDFILE=$RUN/dockerd.pid
SOCKET=$DIR/docker.sock
PRIVATE_HOST=unix://$SOCKET
CACHE_DATA=${SHIPPY_DOCKER_DATA:-/var/cache/shippy/docker}

log() { printf 'docker: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

# answers [HOST]: the engine at HOST (or the default one) replies to `docker version`.
answers() {
    command -v docker >/dev/null || return 1
    if [ -n "${1:-}" ]; then
        DOCKER_HOST=$1 timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
    else
        (unset DOCKER_HOST DOCKER_CONTEXT && timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1)
    fi
}

private_running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

install_engine() {
    [ "$(id -u)" = 0 ] || die "no Docker engine answers and dockerd is not installed: install Docker, or run this as root on Debian (it installs docker.io)"
    command -v apt-get >/dev/null || die "no Docker engine answers and this is not a Debian-like machine: install Docker"
    log "installing the Docker engine from Debian packages (docker.io; once)"
    mkdir -p "$LOGS"
    apt-get update -qq >"$LOGS/docker-apt.log" 2>&1 || {
        tail -n 20 "$LOGS/docker-apt.log" >&2
        die "apt-get update failed"
    }
    # policy-rc.d answering 101 keeps the package from starting a system-wide engine.
    local own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    # docker.io may replace nothing: a newer docker client in /usr/local/bin stays first on PATH, which is fine.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables >>"$LOGS/docker-apt.log" 2>&1 || {
        [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
        tail -n 20 "$LOGS/docker-apt.log" >&2
        die "apt-get install docker.io failed (log: $LOGS/docker-apt.log)"
    }
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
}

start_private() {
    command -v dockerd >/dev/null || install_engine
    command -v docker >/dev/null || die "dockerd is installed but no docker client is on PATH"
    mkdir -p "$DIR/data" "$DIR/exec" "$RUN" "$LOGS"
    mkdir -p "$CACHE_DATA" 2>/dev/null || CACHE_DATA=$DIR/data
    rm -f "$SOCKET" "$DIR/data-root"
    log "starting a private dockerd (socket $SOCKET)"
    # The shell takes the cache's lock, then becomes dockerd, which keeps it while it runs.
    # shellcheck disable=SC2016
    setsid nohup bash -c '
        exec 9>"$1.lock"
        if flock -n 9; then data=$1; else exec 9>&-; data=$2; fi
        echo "$data" >"$3"
        shift 3
        exec dockerd --data-root "$data" "$@"' _ "$CACHE_DATA" "$DIR/data" "$DIR/data-root" \
        --exec-root "$DIR/exec" \
        --pidfile "$DIR/dockerd.pid" \
        --host "$PRIVATE_HOST" \
        >"$LOGS/dockerd.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    local deadline=$((SECONDS + 60))
    until answers "$PRIVATE_HOST"; do
        if ! private_running; then
            tail -n 25 "$LOGS/dockerd.log" >&2
            rm -f "$PIDFILE"
            die "dockerd exited (log: $LOGS/dockerd.log)"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 25 "$LOGS/dockerd.log" >&2
            die "dockerd did not answer within 60s (log: $LOGS/dockerd.log); 'make infra-stop' stops it"
        fi
        sleep 0.5
    done
    log "private dockerd answers (images and build cache in $(cat "$DIR/data-root"), socket $SOCKET)"
}

# up: print the DOCKER_HOST to use on stdout ("" = the default socket).
up() {
    if [ -n "${DOCKER_HOST:-}" ]; then
        answers "$DOCKER_HOST" || die "DOCKER_HOST=$DOCKER_HOST does not answer; unset it to use the default or a private engine"
        log "using the engine DOCKER_HOST points at ($DOCKER_HOST)"
        echo "$DOCKER_HOST"
    elif private_running && answers "$PRIVATE_HOST"; then
        log "using the private engine this project started ($PRIVATE_HOST)"
        echo "$PRIVATE_HOST"
    elif answers; then
        log "using the engine on the default socket"
        echo ""
    else
        if private_running; then
            die "the private dockerd (pid $(cat "$PIDFILE")) runs but does not answer; 'make infra-stop' stops it"
        fi
        start_private
        log "private engine ready ($PRIVATE_HOST; 'make infra-stop' stops it)"
        echo "$PRIVATE_HOST"
    fi
}

down() {
    [ -f "$PIDFILE" ] || return 0
    local pid
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
        log "stopping the private dockerd (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 120); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "dockerd did not stop within 30s; killing it"
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$PIDFILE" "$SOCKET"
}

case "${1:-}" in
up) up >/dev/null ;;
host) up ;;
down) down ;;
status)
    if [ -n "${DOCKER_HOST:-}" ]; then
        answers "$DOCKER_HOST" && echo "Docker: $DOCKER_HOST answers" || echo "Docker: $DOCKER_HOST does not answer"
    elif private_running && answers "$PRIVATE_HOST"; then
        echo "Docker: private engine up ($PRIVATE_HOST, pid $(cat "$PIDFILE"))"
    elif answers; then
        echo "Docker: the default engine answers"
    else
        echo "Docker: down"
    fi
    ;;
*) die "usage: docker.sh up|host|down|status" ;;
esac

#!/usr/bin/env bash
# docker-compose for the Makefile: `make build`, `make standins`, `make test-compose`.
#
#   compose.sh build      build every Shippy image (compose profiles cli and test)
#   compose.sh test       stand-ins for missing third-party images, build, up until
#                         healthy, the integration suite in the tests container, the
#                         user's story and the failure drills from the host, then
#                         down --volumes: always, also when a step fails
#   compose.sh env-file   print the env file compose reads (see below)
#   compose.sh up|down    start (until healthy) / remove the test stack
#
# Env file: .env when you made one; else $SHIPPY_INFRA_DIR/compose.env (git-ignored),
# made from .env.example with a generated JWT_SECRET, kept so tokens outlive a restart.
# The test stack is its own compose project (shippy-test), with ephemeral host ports:
# it never touches the stack `docker-compose up` starts, nor the servers `make infra` runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${SHIPPY_INFRA_DIR:-$ROOT/.infra}
VENV=${VENV:-$ROOT/.venv}
LOGS=$STATE/log
PROJECT=${SHIPPY_COMPOSE_PROJECT:-shippy-test}
UP_TIMEOUT=${SHIPPY_COMPOSE_UP_TIMEOUT:-240}
cd "$ROOT"

log() { printf 'compose: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

if [ -z "${COMPOSE:-}" ]; then
    if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE=docker-compose; fi
fi
read -r -a COMPOSE_CMD <<<"$COMPOSE"

env_file() {
    if [ -f .env ]; then
        echo .env
        return
    fi
    local file=$STATE/compose.env secret=""
    mkdir -p "$STATE"
    if [ -f "$file" ]; then secret=$(sed -n 's/^JWT_SECRET=//p' "$file"); fi
    [ -n "$secret" ] || secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
    (
        umask 077
        sed "s|^JWT_SECRET=.*|JWT_SECRET=$secret|" .env.example >"$file.tmp"
        grep -q '^JWT_SECRET=' "$file.tmp" || echo "JWT_SECRET=$secret" >>"$file.tmp"
        mv "$file.tmp" "$file"
    )
    echo "$file"
}

# The host's CA bundle, for pip inside image builds where outbound TLS is re-signed
# by a local authority; git-ignored, used only in the images' discarded build stages.
stage_ca() {
    rm -rf .build-ca
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
        mkdir -p .build-ca && cp /etc/ssl/certs/ca-certificates.crt .build-ca/
    fi
}

compose() { "${COMPOSE_CMD[@]}" --project-directory "$ROOT" -f "$ROOT/docker-compose.yaml" --env-file "$ENV_FILE" "$@"; }
# Ephemeral host ports for the test project: no clash with `make infra`'s RabbitMQ
# (127.0.0.1:15672) or a stack of your own.
test_compose() { RABBITMQ_UI_PORT=0 MAILPIT_UI_PORT=0 compose -p "$PROJECT" "$@"; }

build() {
    stage_ca
    local started=$SECONDS
    compose --profile cli --profile test build "$@" || {
        docker image inspect python:3.11-slim-bookworm >/dev/null 2>&1 ||
            log "no python:3.11-slim-bookworm image and none could be pulled: 'make standins' builds local equivalents"
        exit 1
    }
    log "images built in $((SECONDS - started))s"
}

# wait_healthy: every container of the test project running and healthy (or without a healthcheck).
wait_healthy() {
    local deadline=$((SECONDS + UP_TIMEOUT)) started=$SECONDS ids states bad
    while :; do
        ids=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
        bad=""
        if [ -n "$ids" ]; then
            states=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' $ids)
            bad=$(awk '$2 != "running" || ($3 != "healthy" && $3 != "none")' <<<"$states")
        else
            bad="no containers"
        fi
        [ -n "$bad" ] || break
        if ((SECONDS >= deadline)); then
            log "not healthy within ${UP_TIMEOUT}s:"
            printf '%s\n' "$bad" >&2
            test_compose logs --tail 30 >&2 || true
            return 1
        fi
        sleep 2
    done
    log "every service healthy $((SECONDS - started))s after up"
}

up() {
    local started=$SECONDS
    test_compose up -d --remove-orphans "$@"
    wait_healthy
    log "up to healthy: $((SECONDS - started))s"
}

down() {
    test_compose --profile cli --profile test down --volumes --remove-orphans --timeout 20 >/dev/null 2>&1 || true
}

test() {
    "$ROOT/infra/images/standins.sh" build
    build
    local status=0 started
    trap down EXIT
    trap 'exit 130' INT TERM
    down
    # The integration suite first, against the servers alone (`run` starts what the
    # tests service depends on): it starts its own services, and the stack's would
    # compete with them for the same streams and databases.
    started=$SECONDS
    log "integration suite in the tests container (servers only)"
    test_compose --profile test run --rm -T tests || status=$?
    log "tests container: exit $status after $((SECONDS - started))s"
    if [ "$status" = 0 ]; then
        up || status=$?
    fi
    if [ "$status" = 0 ]; then
        started=$SECONDS
        log "the user's story and the failure drills, from the host"
        SHIPPY_COMPOSE_PROJECT=$PROJECT SHIPPY_COMPOSE_ENV_FILE=$ENV_FILE SHIPPY_COMPOSE="$COMPOSE" \
            "$VENV/bin/pytest" -p no:cacheprovider tests/compose "$@" || status=$?
        log "host compose tests: exit $status after $((SECONDS - started))s"
    fi
    return "$status"
}

ENV_FILE=$(env_file)
case "${1:-}" in
build)
    shift
    build "$@"
    ;;
test)
    shift
    test "$@"
    ;;
env-file) echo "$ENV_FILE" ;;
up)
    shift
    up "$@"
    ;;
down) down ;;
*) die "usage: compose.sh build|test|env-file|up|down" ;;
esac

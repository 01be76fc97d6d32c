#!/usr/bin/env bash
# docker-compose for the Makefile: `make build`, `make standins`, `make test-compose`.
#
#   compose.sh build      build every Shippy image (compose profiles cli and test; the
#                         gateway, services, CLIs and the tests image)
#   compose.sh test       stand-ins for missing third-party images, build, up until
#                         healthy, the integration suite in the tests container, the
#                         user's story and the failure drills from the host, then
#                         down --volumes: always, also when a step fails
#   compose.sh env-file   print the env file compose reads (see below)
#   compose.sh up|down    start (until healthy) / remove the test stack
#
# Env file: .env when you made one; else $SHIPPY_INFRA_DIR/compose.env (git-ignored, 0600),
# made from .env.example with a generated JWT_SECRET and RabbitMQ passwords (SECRETS
# below), each kept once made: tokens outlive a restart, and the broker's administrator,
# set on its volume's first boot only, keeps its password.
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

# The secrets .env.example leaves empty and the generated env file fills in:
# NAME=BYTES of secrets.token_urlsafe (URL-safe: they go into AMQP URIs as they are).
SECRETS=(
    JWT_SECRET=48
    RABBITMQ_ADMIN_PASSWORD=32
    RABBITMQ_VESSEL_PASSWORD=32
    RABBITMQ_USER_PASSWORD=32
    RABBITMQ_CONSIGNMENT_PASSWORD=32
    RABBITMQ_GATEWAY_PASSWORD=32
    RABBITMQ_OPERATOR_PASSWORD=32
)

env_file() {
    if [ -f .env ]; then
        echo .env
        return
    fi
    local file=$STATE/compose.env pair name value
    mkdir -p "$STATE"
    (
        umask 077
        cp .env.example "$file.tmp"
        for pair in "${SECRETS[@]}"; do
            name=${pair%%=*} value=""
            if [ -f "$file" ]; then value=$(sed -n "s/^$name=//p" "$file" | tail -n 1); fi
            [ -n "$value" ] || value=$(python3 -c "import secrets; print(secrets.token_urlsafe(${pair##*=}))")
            if grep -q "^$name=" "$file.tmp"; then
                sed -i "s|^$name=.*|$name=$value|" "$file.tmp"
            else
                echo "$name=$value" >>"$file.tmp"
            fi
        done
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
# (127.0.0.1:15672), `make run`'s gateway (127.0.0.1:8080) or a stack of your own.
# The tests find them with `docker-compose port` (tests/compose/conftest.py sets the same).
test_compose() { RABBITMQ_UI_PORT=0 MAILPIT_UI_PORT=0 GATEWAY_PORT=0 compose -p "$PROJECT" "$@"; }

build() {
    stage_ca
    local started=$SECONDS
    compose --profile cli --profile test build --parallel "$@" || {
        docker image inspect python:3.11-slim-bookworm >/dev/null 2>&1 ||
            log "no python:3.11-slim-bookworm image and none could be pulled: 'make standins' builds local equivalents"
        exit 1
    }
    log "images built in $((SECONDS - started))s"
}

# wait_healthy: every container of the test project running and healthy (or without a
# healthcheck), but a one-shot (restart "no", as broker-accounts), which must have exited 0.
wait_healthy() {
    local deadline=$((SECONDS + UP_TIMEOUT)) started=$SECONDS ids states bad
    while :; do
        ids=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
        bad=""
        if [ -n "$ids" ]; then
            states=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}' $ids)
            bad=$(awk '{ oneshot = ($5 == "no" || $5 == "") }
                oneshot && !($2 == "exited" && $4 == "0") { print; next }
                !oneshot && ($2 != "running" || ($3 != "healthy" && $3 != "none"))' <<<"$states")
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
    # A dependency that failed (broker-accounts exiting non-zero) fails `up`: say why now.
    test_compose up -d --remove-orphans "$@" || {
        test_compose logs --tail 30 >&2 || true
        return 1
    }
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

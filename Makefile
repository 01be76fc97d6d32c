# Shippy: `make test` is the test command; `make run` starts the platform locally.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PACKAGES := shippy-common vessel-service user-service user-cli consignment-service consignment-cli notification-service gateway-service
INSTALLED := $(VENV)/.installed

.PHONY: help venv infra infra-stop infra-status test test-local test-unit lint format run migrate constraints clean build test-compose bench soak docker-engine standins

help:
	@echo "make run          start the whole platform locally (servers + services), Ctrl-C stops the services"
	@echo "make test         install everything, start the servers, lint, run every test (the integration suite in compose)"
	@echo "make test-unit    the unit tests alone: seconds, no server"
	@echo "make test-local   every test on this machine against make infra's servers, no Docker"
	@echo "make infra        start (or reuse) RabbitMQ, PostgreSQL, NATS and a MongoDB-wire server on 127.0.0.1"
	@echo "make infra-stop   stop the servers make infra started"
	@echo "make migrate      bring user_service's database schema up to date"
	@echo "make bench        measure the hot paths (bench/results/latest.json)"
	@echo "make soak         creates at concurrency 16 for 5 minutes: does any process's memory grow? (bench/results/soak.json)"
	@echo "make build        build every Docker image (then: docker-compose up)"
	@echo "make test-compose run the integration suite, the user's story and the failure drills against the docker-compose stack"
	@echo "make docker-engine make sure a Docker engine answers (else start a private one; make infra-stop stops it)"
	@echo "make standins     build local equivalents of the third-party images that cannot be pulled"
	@echo "make lint|format  ruff check / ruff format"

# Everything the virtualenv holds: the tools, and each package of the repository, editable.
REQUIREMENTS := -c constraints.txt pip setuptools wheel -r requirements-dev.txt \
	$(addprefix -e ./,$(patsubst shippy-common,shippy-common[testing],$(PACKAGES)))

$(INSTALLED): constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 11), "Shippy needs Python 3.11"' \
		|| { echo "make: $(BIN)/python is not Python 3.11; set PYTHON=/path/to/python3.11 and remove $(VENV)"; exit 2; }
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt uv
	@# uv installs the same pins about five times as fast as pip (14 s against 70 s here); pip if uv cannot.
	UV_NATIVE_TLS=1 $(BIN)/uv pip install --quiet --python $(BIN)/python $(REQUIREMENTS) \
		|| { echo "make: uv could not install the packages; pip will"; \
		     $(BIN)/pip install --quiet --disable-pip-version-check $(REQUIREMENTS); }
	@touch $@

venv: $(INSTALLED)

infra: venv
	@VENV=$(VENV) infra/infra.sh up

infra-stop:
	@VENV=$(VENV) infra/infra.sh down
	@infra/docker.sh down

infra-status:
	@infra/infra.sh status

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The tests only the host can run: its toolchain, `make run`, the browser, and the
# query plans and connection pool of FerretDB's PostgreSQL backend (the compose
# stand-in runs its SQLite one). docker-compose.yaml's `tests` service leaves the
# same files out; every other integration test runs there, once, in the compose stage.
HOST_TESTS := tests/test_deployment.py tests/integration/test_local_run.py \
	gateway-service/tests/integration/test_web.py \
	vessel-service/tests/integration/test_query_plans.py consignment-service/tests/integration/test_query_plans.py \
	tests/integration/test_ferretdb.py

test: venv infra lint
	$(BIN)/pytest $(wildcard */tests/unit) $(HOST_TESTS)
	$(MAKE) test-compose

test-local: venv infra lint
	$(BIN)/pytest

test-unit: venv
	$(BIN)/pytest -q $(wildcard */tests/unit)

INFRA_DIR = $${SHIPPY_INFRA_DIR:-.infra}

# user_service refuses to start without JWT_SECRET; locally, make one once and keep it
# (in the git-ignored infra folder) so tokens outlive a restart.
run: infra
	@if [ -z "$$JWT_SECRET" ]; then \
		secret_file=$(INFRA_DIR)/jwt-secret; \
		test -s $$secret_file || (umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))' > $$secret_file); \
		echo "make run: JWT_SECRET is not set; using the generated local secret in $$secret_file"; \
		export JWT_SECRET=$$(cat $$secret_file); \
	fi; \
	echo "make run: the web page for shippers and operators is on http://$${GATEWAY_HTTP_ADDRESS:-127.0.0.1:8080}/"; \
	echo "make run: the HTTP API (gateway-service) answers on http://$${GATEWAY_HTTP_ADDRESS:-127.0.0.1:8080}/v1 (try /docs)"; \
	echo "make run: each service and the gateway sign in to RabbitMQ with their own account ($(INFRA_DIR)/rabbitmq/accounts.env)"; \
	exec $(BIN)/honcho --procfile Procfile start

bench: infra
	$(BIN)/python bench/run.py

soak: infra
	$(BIN)/python bench/soak.py

migrate: infra
	$(BIN)/user-service-migrate

# Re-pin every dependency after changing a pyproject.toml or requirements-dev.txt.
constraints: venv
	$(BIN)/pip freeze --all --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# Docker: Compose v2 ("docker compose") when present, else docker-compose; infra/compose.sh
# picks the env file (.env, else a generated .infra/compose.env) and infra/docker.sh the
# engine (DOCKER_HOST, the default socket, else a private dockerd under .infra/docker).
DOCKER_ENV = DOCKER_HOST=$$(infra/docker.sh host) || exit 1; if [ -n "$$DOCKER_HOST" ]; then export DOCKER_HOST; else unset DOCKER_HOST; fi;

docker-engine:
	@infra/docker.sh up

standins: venv
	@$(DOCKER_ENV) VENV=$(VENV) infra/images/standins.sh build

build:
	@$(DOCKER_ENV) infra/compose.sh build

test-compose: venv
	@$(DOCKER_ENV) VENV=$(VENV) infra/compose.sh test

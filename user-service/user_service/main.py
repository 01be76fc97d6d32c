"""Console scripts ``user-service`` and ``user-service-migrate``. Imports
nothing heavy before eventlet's monkey patch is applied."""

import sys
from pathlib import Path

CONFIG_FILE = Path(__file__).with_name("config.yml")


#: Added to the nice value of the process that runs logins (bcrypt's own threads go to 19).
LOGINS_NICENESS = 10
LOGINS_COMMAND = (sys.executable, "-m", "user_service.logins")


def main() -> None:
    """Console script ``user-service``: token checks and account reads here, logins in
    a companion process at a lower CPU priority (see ``shippy_common.runner``)."""
    from shippy_common.runner import run_service

    run_service(
        "user_service.service:UserAccounts",
        CONFIG_FILE,
        waits_for=("rabbitmq", "postgres"),
        companions=[LOGINS_COMMAND],
    )


def logins() -> None:
    """Registering and logging in (``UserLogins``), as ``user-service`` starts them."""
    from shippy_common.runner import run_service

    run_service(
        "user_service.service:UserLogins", CONFIG_FILE, waits_for=("rabbitmq", "postgres"), niceness=LOGINS_NICENESS
    )


def migrate() -> None:
    """Bring the database schema to the newest revision, then exit."""
    from shippy_common.config import ConfigError, load_config
    from shippy_common.logs import setup_logging
    from shippy_common.servers import servers_from_config, wait_for
    from user_service.migrations import upgrade
    from user_service.settings import MigrationSettings

    setup_logging()
    try:
        config = load_config(CONFIG_FILE)
        settings = MigrationSettings.from_config(config)
        (database,) = servers_from_config(config, ["postgres"])
    except ConfigError as exc:
        print(f"user-service-migrate: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    setup_logging(settings.log_level)
    wait_for(database)
    upgrade(settings.database.url)
    print("user-service-migrate: the schema is up to date", file=sys.stderr)


def relay() -> None:
    """Console script ``user-outbox-relay``: user events from PostgreSQL to NATS."""
    from shippy_common.relay import run_relay
    from user_service.outbox import open_outbox
    from user_service.settings import DatabaseSettings

    run_relay(CONFIG_FILE, DatabaseSettings.from_config, open_outbox, waits_for=("postgres",))

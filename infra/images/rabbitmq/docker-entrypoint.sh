#!/bin/bash
# The official rabbitmq image's contract, the part Shippy relies on: the
# RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS account (created on first boot),
# AMQP on 5672, the management API on 15672, logs on stdout.
set -euo pipefail
cat >/etc/rabbitmq/rabbitmq.conf <<CONF
listeners.tcp.default = 5672
management.tcp.port = 15672
loopback_users = none
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
CONF
exec "$@"

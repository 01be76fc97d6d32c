"""pytest fixtures for tests that need the whole booking path running:
user_service, vessel_service and consignment_service (registered as the
``shippy_consignment_service`` pytest plugin).

Imported before eventlet's monkey patch: nothing that loads kombu, nameko or
pymongo may be imported at module level (see ``shippy_common.testing.plugin``).
"""

from pathlib import Path

import pytest

CONFIG_FILE = Path(__file__).with_name("config.yml")

#: The classic consignment of the original design (consignment-cli ships it as consignment.json).
CLASSIC_CONSIGNMENT = {
    "description": "This is a test consignment",
    "weight": 55000,
    "containers": [
        {"customer_id": "cust001", "origin": "Manchester, United Kingdom"},
        {"customer_id": "cust002", "origin": "Derby, United Kingdom"},
        {"customer_id": "cust005", "origin": "Sheffield, United Kingdom"},
    ],
}


@pytest.fixture
def consignment_config(service_config, mongo_database):
    return service_config(CONFIG_FILE, MONGO_DATABASE=mongo_database.name, RPC_TIMEOUT_SECONDS=10)


@pytest.fixture
def consignment_container(container_factory, consignment_config):
    from consignment_service.service import ConsignmentService

    container = container_factory(ConsignmentService, consignment_config)
    container.start()
    return container


@pytest.fixture
def platform(user_container, vessel_container, consignment_container):
    """user_service, vessel_service (default fleet) and consignment_service."""
    return consignment_container

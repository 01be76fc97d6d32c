"""pytest fixtures for tests that need a running vessel_service (registered as
the ``shippy_vessel_service`` pytest plugin, so other packages' tests use them too).

Imported before eventlet's monkey patch: nothing that loads kombu, nameko or
pymongo may be imported at module level (see ``shippy_common.testing.plugin``).
"""

from pathlib import Path

import pytest

CONFIG_FILE = Path(__file__).with_name("config.yml")


@pytest.fixture
def vessel_config(service_config, mongo_database):
    return service_config(CONFIG_FILE, MONGO_DATABASE=mongo_database.name)


@pytest.fixture
def vessel_container(container_factory, vessel_config):
    from vessel_service.service import VesselService

    container = container_factory(VesselService, vessel_config)
    container.start()
    return container


@pytest.fixture
def vessels(vessel_container, rpc_client):
    """The running vessel_service, called over real RPC."""
    return rpc_client().vessel_service

from pathlib import Path

import pytest

import vessel_service
from vessel_service.service import VesselService

CONFIG_FILE = Path(vessel_service.__file__).with_name("config.yml")


@pytest.fixture
def vessel_config(service_config, mongo_database):
    return service_config(CONFIG_FILE, MONGO_DATABASE=mongo_database.name)


@pytest.fixture
def vessel_container(container_factory, vessel_config):
    container = container_factory(VesselService, vessel_config)
    container.start()
    return container


@pytest.fixture
def vessels(vessel_container, rpc_client):
    """The running vessel_service, called over real RPC."""
    return rpc_client().vessel_service

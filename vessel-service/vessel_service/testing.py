"""pytest fixtures for tests that need a running vessel_service (registered as
the ``shippy_vessel_service`` pytest plugin, so other packages' tests use them too).

The fleet calls (``create``, ``retire``, ``list_vessels``) act for a signed-in
caller, so tests of them run user_service too (``user_service.testing``):
``vessel_admin`` calls as an admin.

Imported before eventlet's monkey patch: nothing that loads kombu, nameko or
pymongo may be imported at module level (see ``shippy_common.testing.plugin``).
"""

from pathlib import Path

import pytest

CONFIG_FILE = Path(__file__).with_name("config.yml")


@pytest.fixture
def vessel_config(service_config, mongo_database):
    return service_config(CONFIG_FILE, MONGO_DATABASE=mongo_database.name, RPC_TIMEOUT_SECONDS=10)


@pytest.fixture
def vessel_container(container_factory, vessel_config):
    from vessel_service.service import VesselService

    container = container_factory(VesselService, vessel_config)
    container.start()
    return container


@pytest.fixture
def vessels(vessel_container, rpc_client):
    """The running vessel_service, called over real RPC without a token."""
    return rpc_client().vessel_service


@pytest.fixture
def admin_rpc(sign_up, set_role):
    """A ``ClusterRpcProxy`` that calls for a new user with the admin role
    (user_service runs; start vessel_service as the test needs it)."""
    user, _, rpc = sign_up()
    set_role(user["id"], "admin")
    return rpc


@pytest.fixture
def vessel_admin(vessel_container, admin_rpc):
    """The running vessel_service, called as an admin: ``vessel_admin.create({...})``."""
    return admin_rpc.vessel_service


@pytest.fixture
def empty_fleet(container_factory, vessel_config, admin_rpc):
    """Two vessel_service instances on one empty fleet, as when scaled out; called as an admin."""
    from vessel_service.service import VesselService

    config = {**vessel_config, "SEED_DEFAULT_FLEET": False}
    for _ in range(2):
        container_factory(VesselService, config).start()
    return admin_rpc.vessel_service

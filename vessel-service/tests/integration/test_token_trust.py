"""vessel_service trusts a token user_service accepted for a few seconds
(``shippy_common.auth.RecentCallers``): a demoted admin loses the admin view
within 5 s, on the same token."""

import time

import pytest

from shippy_common.errors import Forbidden


def test_a_demoted_admin_is_treated_as_a_customer_within_five_seconds(vessel_container, sign_up, set_role):
    user, _, rpc = sign_up()
    set_role(user["id"], "admin")
    fleet = rpc.vessel_service
    assert "containers_used" in fleet.list_vessels({})["items"][0]  # trusted now as an admin's token
    set_role(user["id"], "customer")
    demoted_at = time.monotonic()
    while "containers_used" in fleet.list_vessels({})["items"][0]:
        assert time.monotonic() - demoted_at < 5, "still treated as an admin 5 s after the demotion"
    with pytest.raises(Forbidden):
        fleet.create({"id": "late", "name": "Late", "capacity": 1, "max_weight": 1})

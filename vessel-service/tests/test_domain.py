import pytest

from shippy_common.errors import NoVesselAvailable
from vessel_service.domain import Load, Vessel, find_available

SMALL = Vessel(id="small", name="Small", capacity=10, max_weight=1_000)
LARGE = Vessel(id="large", name="Large", capacity=500, max_weight=200_000)
DOCKED = Vessel(id="docked", name="Docked", capacity=5, max_weight=500, available=False)


def test_picks_the_smallest_vessel_that_fits():
    assert find_available([LARGE, SMALL], Load(containers=3, weight=900)) == SMALL


def test_an_exact_fit_is_enough():
    assert find_available([SMALL], Load(containers=10, weight=1_000)) == SMALL


@pytest.mark.parametrize(
    "load",
    [Load(containers=11, weight=1), Load(containers=1, weight=1_001)],
    ids=["too-many-containers", "too-heavy"],
)
def test_a_load_over_either_limit_does_not_fit(load):
    with pytest.raises(NoVesselAvailable):
        find_available([SMALL], load)


def test_an_unavailable_vessel_is_never_chosen():
    with pytest.raises(NoVesselAvailable):
        find_available([DOCKED], Load(containers=1, weight=1))


def test_no_vessels_means_none_available():
    with pytest.raises(NoVesselAvailable, match="3 containers weighing 40"):
        find_available([], Load(containers=3, weight=40))

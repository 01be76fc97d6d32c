"""The fakes most of consignment_service's unit tests start from."""

import pytest

from .fakes import Clock, InMemoryConsignments, InMemoryVessels


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store():
    return InMemoryConsignments()


@pytest.fixture
def vessels(clock):
    return InMemoryVessels(room=10, clock=clock)

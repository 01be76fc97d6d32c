"""Which process answers which call: logins (bcrypt) in ``UserLogins``, everything
else in ``UserAccounts``; ``UserService`` (one process) answers all of them."""

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from shippy_common.rpc import SlowLaneRpc
from user_service.service import UserAccounts, UserLogins, UserService


def entrypoints(service_cls):
    return {
        name: type(extension)
        for name in dir(service_cls)
        for extension in getattr(getattr(service_cls, name), ENTRYPOINT_EXTENSIONS_ATTR, ())
    }


def test_the_logins_process_answers_exactly_the_calls_that_wait_for_bcrypt():
    assert entrypoints(UserLogins) == {"create": SlowLaneRpc, "auth": SlowLaneRpc}


def test_the_service_process_answers_every_other_call_and_the_health_check():
    assert set(entrypoints(UserAccounts)) == {"validate_token", "get", "get_all", "health_check"}
    assert SlowLaneRpc not in entrypoints(UserAccounts).values()


def test_together_they_answer_what_one_process_does():
    assert entrypoints(UserService) == {**entrypoints(UserAccounts), **entrypoints(UserLogins)}

"""The typed errors of shippy_common.errors as HTTP problem documents."""

import pytest

from gateway_service.problems import MEDIA_TYPE, TYPE_PREFIX, Problem, problem_for
from gateway_service.rpc import NoAnswer, Unreachable, error_from_reply
from shippy_common import errors


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.ValidationError("weight", "must be positive"), 422),
        (errors.AlreadyExists("a different consignment with this id exists already"), 409),
        (errors.NotFound("no such user"), 404),
        (errors.NoVesselAvailable("no available vessel can carry 3 containers"), 409),
        (errors.InvalidCredentials("wrong email or password"), 401),
        (errors.InvalidToken("token has expired"), 401),
        (errors.Unauthorized("no access token sent"), 401),
        (errors.Forbidden("listing users is for admins"), 403),
        (errors.Busy("busy, retry"), 503),
        (errors.ServiceUnavailable("vessel_service did not answer within 5s"), 503),
        (Unreachable("consignment_service is not running"), 503),
        (NoAnswer("user_service did not answer within 10s"), 504),
        (errors.InternalError("internal error; quote consignment_service.get.1a2b3c to an operator"), 500),
    ],
)
def test_each_error_has_its_status_and_a_complete_document(error, status):
    problem = problem_for(error)
    document = problem.document("req-1")
    assert problem.status == document["status"] == status
    assert document["type"].startswith(TYPE_PREFIX)
    assert document["title"] and document["detail"]
    assert document["request_id"] == "req-1"
    assert problem.response("req-1").media_type == MEDIA_TYPE


def test_a_validation_error_names_its_field():
    document = problem_for(errors.ValidationError("containers.0.origin", "too long")).document()
    assert document["field"] == "containers.0.origin"
    assert "too long" in document["detail"]


def test_refused_tokens_challenge_for_a_bearer_token():
    for error in (errors.Unauthorized("token has expired"), errors.InvalidToken("bad signature")):
        problem = problem_for(error)
        assert problem.headers["WWW-Authenticate"].startswith("Bearer")
        assert problem.detail == str(error)


def test_busy_says_when_to_retry():
    assert int(problem_for(errors.Busy("busy, retry")).headers["Retry-After"]) >= 1


def test_an_internal_error_carries_its_correlation_id_only():
    problem = problem_for(errors.InternalError("internal error; quote user_service.get.5f1e-77 to an operator"))
    document = problem.document()
    assert document["correlation_id"] == "user_service.get.5f1e-77"
    assert set(document) == {"type", "title", "status", "detail", "correlation_id"}


def test_a_long_detail_is_cut():
    assert len(Problem(409, "x", "y" * 10_000).detail) <= 500


def test_a_reply_error_becomes_the_same_typed_error():
    rebuilt = error_from_reply(
        {"exc_type": "ValidationError", "exc_path": "shippy_common.errors.ValidationError", "exc_args": ["id", "bad"]},
        "user_service",
        "get",
    )
    assert isinstance(rebuilt, errors.ValidationError)
    assert (rebuilt.field, rebuilt.message) == ("id", "bad")
    assert isinstance(error_from_reply({"exc_type": "NotFound", "exc_args": ["no"]}, "s", "m"), errors.NotFound)


@pytest.mark.parametrize(
    "error",
    [
        {"exc_type": "MethodNotFound", "exc_args": ["get"]},
        {"exc_type": "KeyError", "exc_args": ["secret detail"]},
        {"exc_type": "ValidationError", "exc_args": ["only one"]},
        {"exc_type": "NotFound", "exc_args": [{"not": "a string"}]},
        "not a dict",
        None,
    ],
)
def test_an_unknown_or_odd_reply_error_is_an_internal_error_without_its_details(error):
    rebuilt = error_from_reply(error, "user_service", "get")
    assert isinstance(rebuilt, errors.InternalError)
    assert "secret" not in str(rebuilt)
    assert problem_for(rebuilt).status == 500

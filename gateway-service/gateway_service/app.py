"""The HTTP API (``/v1``): thin routes over the services' RPCs.

Each route validates its input (``schemas``), takes what it needs from
``dependencies`` (the calls made for this request, with the caller's token
where there is one), makes one RPC, and answers the result or the problem
document of the error (``problems``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRouter
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway_service import schemas
from gateway_service.dependencies import AnonymousRpc, CallersRpc, JsonRoute, rate_limited
from gateway_service.docs import add_docs
from gateway_service.ids import MAX_IDEMPOTENCY_KEY_LENGTH, consignment_id_for
from gateway_service.middleware import REQUEST_ID_HEADER, BodyLimit, RequestContext
from gateway_service.paging import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE
from gateway_service.problems import MEDIA_TYPE, Problem, internal_error, problem_for, validation_problem
from gateway_service.rpc import RpcClient
from gateway_service.settings import GatewaySettings
from gateway_service.web import add_web
from shippy_common.errors import InvalidToken, ShippyError, Unauthorized

log = logging.getLogger("gateway_service")

#: The services the gateway calls, and the cheapest call each answers (``GET /ready``):
#: any typed answer, refusals included, means the service is there.
READINESS_PROBES: dict[str, tuple[str, tuple[Any, ...]]] = {
    "user_service": ("validate_token", ("x",)),
    "consignment_service": ("get_consignments", ()),
    "vessel_service": ("list_vessels", ({},)),
}

v1 = APIRouter(prefix="/v1", route_class=JsonRoute)


@v1.post(
    "/users",
    status_code=201,
    response_model=schemas.UserProfile,
    summary="Register an account",
    dependencies=[rate_limited("sign_up")],
    responses=schemas.problem_responses(400, 409, 413, 415, 422, 429, 503, 504),
)
async def register(user: schemas.NewUser, rpc: AnonymousRpc, response: Response) -> Any:
    profile = await rpc("user_service", "create", user.model_dump())
    response.headers["Location"] = f"/v1/users/{profile['id']}"
    return profile


@v1.post(
    "/tokens",
    response_model=schemas.IssuedToken,
    summary="Log in: an access token for an email and password",
    dependencies=[rate_limited("log_in")],
    responses=schemas.problem_responses(400, 401, 413, 415, 422, 429, 503, 504),
)
async def log_in(credentials: schemas.LogIn, rpc: AnonymousRpc) -> Any:
    return await rpc("user_service", "auth", credentials.email, credentials.password)


@v1.get(
    "/users/me",
    response_model=schemas.UserProfile,
    summary="The caller's own profile",
    responses=schemas.problem_responses(401, 503, 504),
)
async def me(rpc: CallersRpc) -> Any:
    # No service owns this route, so the gateway has the token checked: once.
    assert rpc.token is not None
    try:
        return (await rpc("user_service", "validate_token", rpc.token))["user"]
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from None


@v1.get(
    "/users/{user_id}",
    response_model=schemas.UserProfile,
    summary="A user's profile: a customer sees only their own (404 for anyone else)",
    responses=schemas.problem_responses(401, 404, 422, 503, 504),
)
async def get_user(user_id: Annotated[str, Path(max_length=100)], rpc: CallersRpc) -> Any:
    return await rpc("user_service", "get", user_id)


@v1.get(
    "/users",
    response_model=schemas.UserPage,
    summary="Every user, in order of creation (admins only)",
    responses=schemas.problem_responses(401, 403, 422, 503, 504),
)
async def list_users(
    rpc: CallersRpc,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)] = None,
) -> Any:
    return await rpc("user_service", "get_all", limit=limit, cursor=cursor)


@v1.post(
    "/consignments",
    status_code=201,
    response_model=schemas.Consignment,
    summary="Book a consignment onto a vessel with room",
    description=(
        "Safe to retry: the booking's id is the body's `id` or, without one, derived from the "
        "`Idempotency-Key` header and the caller. Sending the same booking again answers 201 with "
        "the same consignment and books nothing twice; another body under a used id is 409. "
        "Without either, every request is a new booking. No vessel with room is 409 "
        "(`no-vessel-available`), and nothing is booked."
    ),
    responses=schemas.problem_responses(400, 401, 409, 413, 415, 422, 503, 504),
)
async def book(
    consignment: schemas.NewConsignment,
    rpc: CallersRpc,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=MAX_IDEMPOTENCY_KEY_LENGTH, pattern=r"^[\x21-\x7e]+$"),
    ] = None,
) -> Any:
    payload = consignment.model_dump(exclude_none=True)
    if "id" not in payload and idempotency_key is not None:
        assert rpc.token is not None
        payload["id"] = consignment_id_for(idempotency_key, rpc.token)
    booked = await rpc("consignment_service", "create_consignment", payload)
    response.headers["Location"] = f"/v1/consignments/{booked['id']}"
    return booked


ConsignmentId = Annotated[str, Path(max_length=100)]
VesselId = Annotated[str, Path(max_length=100)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)]


def _listing(limit: int, cursor: str | None, status: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"limit": limit}
    if cursor is not None:
        query["cursor"] = cursor
    if status is not None:
        query["status"] = status
    return query


@v1.get(
    "/consignments",
    response_model=schemas.ConsignmentPage,
    summary="The caller's consignments, newest first, optionally only those in one status",
    responses=schemas.problem_responses(401, 422, 503, 504),
)
async def list_consignments(
    rpc: CallersRpc,
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    status: Annotated[schemas.ConsignmentStatus | None, Query()] = None,
) -> Any:
    return await rpc("consignment_service", "list_consignments", _listing(limit, cursor, status))


@v1.get(
    "/consignments/{consignment_id}",
    response_model=schemas.Consignment,
    summary="One of the caller's consignments, with its status and timeline (404 for anyone else's)",
    responses=schemas.problem_responses(401, 404, 422, 503, 504),
)
async def get_consignment(consignment_id: ConsignmentId, rpc: CallersRpc) -> Any:
    return await rpc("consignment_service", "get_consignment", consignment_id)


@v1.get(
    "/tracking/{reference}",
    response_model=schemas.Consignment,
    summary="The caller's consignment with this tracking reference (404 for anyone else's)",
    responses=schemas.problem_responses(401, 404, 422, 503, 504),
)
async def track(reference: Annotated[str, Path(max_length=40)], rpc: CallersRpc) -> Any:
    return await rpc("consignment_service", "track", reference)


@v1.post(
    "/consignments/{consignment_id}/cancellation",
    response_model=schemas.Consignment,
    summary="Cancel a consignment that has not sailed: its room goes back to the voyage",
    description=(
        "The owner or an admin. Safe to retry: a cancelled consignment answers as it is. "
        "After departure it is 409 (`invalid-transition`), with why."
    ),
    responses=schemas.problem_responses(401, 404, 409, 422, 503, 504),
)
async def cancel(consignment_id: ConsignmentId, rpc: CallersRpc) -> Any:
    return await rpc("consignment_service", "cancel_consignment", consignment_id)


@v1.post(
    "/consignments/{consignment_id}/delivery",
    response_model=schemas.Consignment,
    summary="Mark an arrived consignment delivered (admins only)",
    responses=schemas.problem_responses(401, 403, 404, 409, 422, 503, 504),
)
async def deliver(consignment_id: ConsignmentId, rpc: CallersRpc) -> Any:
    return await rpc("consignment_service", "mark_delivered", consignment_id)


@v1.get(
    "/vessels",
    response_model=schemas.VesselPage,
    summary="The fleet: admins see every vessel and its room used and free; customers see vessels with room",
    responses=schemas.problem_responses(401, 422, 503, 504),
)
async def list_vessels(
    rpc: CallersRpc,
    limit: PageSize = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    status: Annotated[schemas.VesselStatus | None, Query()] = None,
) -> Any:
    return await rpc("vessel_service", "list_vessels", _listing(limit, cursor, status))


@v1.post(
    "/vessels",
    status_code=201,
    response_model=schemas.Vessel,
    summary="Add a vessel to the fleet (admins only)",
    responses=schemas.problem_responses(400, 401, 403, 409, 413, 415, 422, 503, 504),
)
async def add_vessel(vessel: schemas.NewVessel, rpc: CallersRpc, response: Response) -> Any:
    created = await rpc("vessel_service", "create", vessel.model_dump(exclude_none=True))
    response.headers["Location"] = f"/v1/vessels/{created['id']}"
    return created


@v1.post(
    "/vessels/{vessel_id}/retirement",
    response_model=schemas.Vessel,
    summary="Retire a vessel: it takes no more bookings (admins only)",
    description="Refused (409 `invalid-transition`) while it is at sea or has bookings on its open voyage.",
    responses=schemas.problem_responses(401, 403, 404, 409, 422, 503, 504),
)
async def retire_vessel(vessel_id: VesselId, rpc: CallersRpc) -> Any:
    return await rpc("vessel_service", "retire", {"vessel_id": vessel_id})


@v1.post(
    "/vessels/{vessel_id}/departure",
    response_model=schemas.VoyageChange,
    summary="The vessel departs (admins only): its open voyage closes and its consignments are in transit",
    description="Safe to retry: a vessel at sea answers its departure.",
    responses=schemas.problem_responses(401, 403, 404, 409, 422, 503, 504),
)
async def depart(vessel_id: VesselId, rpc: CallersRpc) -> Any:
    return await rpc("consignment_service", "depart_vessel", vessel_id)


@v1.post(
    "/vessels/{vessel_id}/arrival",
    response_model=schemas.VoyageChange,
    summary="The vessel arrives (admins only): its consignments arrive and a new voyage opens with full room",
    description="Safe to retry: a vessel in port answers its last arrival.",
    responses=schemas.problem_responses(401, 403, 404, 409, 422, 503, 504),
)
async def arrive(vessel_id: VesselId, rpc: CallersRpc) -> Any:
    return await rpc("consignment_service", "arrive_vessel", vessel_id)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    if exc.status >= 500:
        log.warning("%s %s: %s", exc.status, exc.slug, exc.detail)
    return exc.response(_request_id(request))


async def _shippy_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ShippyError)
    return await _problem(request, problem_for(exc))


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid", "type": "invalid"}
    if first.get("type") == "json_invalid":
        return await _problem(request, Problem(400, "malformed-json", "the body is not valid JSON"))
    where, *path = [str(part) for part in first.get("loc", ("body",))] or ["body"]
    field = ".".join(path)[:100] or where
    problem = validation_problem(field, str(first.get("msg", "invalid")))
    problem.extra["in"] = where
    return await _problem(request, problem)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slugs = {400: "bad-request", 404: "no-such-route", 405: "method-not-allowed"}
    details = {
        400: "the request could not be read (a body that is not UTF-8 JSON?)",
        404: "no such route",
        405: f"{request.method} is not allowed here",
    }
    problem = Problem(
        exc.status_code,
        slugs.get(exc.status_code, "http-error"),
        details.get(exc.status_code, str(exc.detail)),
        headers=dict(exc.headers or {}),
    )
    return await _problem(request, problem)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    correlation_id = uuid.uuid4().hex
    log.error("internal error %s", correlation_id, exc_info=exc)
    response = internal_error(correlation_id).response(_request_id(request))
    if _request_id(request):
        response.headers[REQUEST_ID_HEADER] = str(_request_id(request))
    return response


async def readiness(rpc: RpcClient, timeout: float) -> dict[str, str]:
    """Each dependency's state: ``ok``, or why not."""
    if not rpc.connected:
        return {"rabbitmq": "not connected", **{service: "not checked" for service in READINESS_PROBES}}

    async def probe(service: str, method: str, args: tuple[Any, ...]) -> str:
        try:
            await rpc.call(service, method, *args, timeout=timeout)
        except ShippyError as exc:
            if isinstance(exc, InvalidToken | Unauthorized):
                return "ok"
            return str(exc) or type(exc).__name__
        return "ok"

    states = await asyncio.gather(*(probe(service, *call) for service, call in READINESS_PROBES.items()))
    return {"rabbitmq": "ok", **dict(zip(READINESS_PROBES, states, strict=True))}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with problem responses typed ``application/problem+json`` only."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for path in document.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status.startswith(("4", "5")) and "application/json" in content:
                        content[MEDIA_TYPE] = content.pop("application/json")
        app.openapi_schema = document
    return app.openapi_schema


def create_app(settings: GatewaySettings, rpc: RpcClient | None = None) -> FastAPI:
    client = rpc or RpcClient(settings.amqp_uri, timeout=settings.rpc_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await client.start()
        try:
            yield
        finally:
            await client.close()

    app = FastAPI(
        title="Shippy",
        version="1",
        description=(
            "Shippy's HTTP API. Authenticate with `Authorization: Bearer <token>` (`POST /v1/tokens`). "
            "Errors are RFC 9457 problem documents (`application/problem+json`). Every response carries "
            "`X-Request-ID` (yours, if you send a sane one)."
        ),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.rpc = client
    app.state.limiter = MovingWindowRateLimiter(MemoryStorage())
    app.state.rate_limits = {"sign_up": settings.sign_up_rate_limit, "log_in": settings.log_in_rate_limit}
    app.include_router(v1)
    add_docs(app)
    add_web(app)

    @app.get("/health", response_model=schemas.Health, summary="The gateway process is alive", tags=["operations"])
    async def health() -> Any:
        return {"status": "ok"}

    @app.get(
        "/ready",
        response_model=schemas.Ready,
        summary="RabbitMQ and every service the gateway calls answer",
        tags=["operations"],
        responses=schemas.problem_responses(503),
    )
    async def ready() -> Any:
        checks = await readiness(client, settings.ready_timeout_seconds)
        failing = [f"{name}: {state}" for name, state in checks.items() if state != "ok"]
        if failing:
            raise Problem(503, "not-ready", "; ".join(failing), extra={"checks": checks})
        return {"status": "ready", "checks": checks}

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(ShippyError, _shippy_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    # The last added is the outermost: the request id is there before the body is looked at.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, max_header_bytes=settings.max_header_bytes)
    app.add_middleware(RequestContext)
    return app

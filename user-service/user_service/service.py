"""user_service's nameko entrypoints: validate at the edge, then the use cases."""

from __future__ import annotations

from typing import Any

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from shippy_common.calllog import CallLog
from shippy_common.errors import (
    AlreadyExists,
    Busy,
    Forbidden,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    Unauthorized,
    ValidationError,
)
from shippy_common.health import HealthCheck
from shippy_common.rpc import rpc, slow_rpc
from shippy_common.schemas import parse
from user_service import services
from user_service.dependencies import LocalCurrentUser, Passwords, Tokens, UserStore
from user_service.domain import UserPage
from user_service.schemas import DEFAULT_PAGE_SIZE, LogIn, NewUser, Page, UserRef
from user_service.settings import UserSettings


def _page(page: UserPage) -> dict[str, Any]:
    return {"items": [user.public() for user in page.items], "next_cursor": page.next_cursor}


class _UserServiceParts:
    name = "user_service"
    settings_type = UserSettings

    users = UserStore()
    passwords = Passwords()
    tokens = Tokens()
    current_user = LocalCurrentUser()
    calls = CallLog()


class UserLogins(_UserServiceParts):
    """Registering and logging in: the calls that wait for bcrypt. ``user-service``
    runs them in a companion process at a lower CPU priority (``user_service.logins``):
    a flood of logins, refused or not, then takes the CPU from token checks last."""

    @slow_rpc(expected_exceptions=(ValidationError, AlreadyExists, Busy), sensitive_arguments=("user.password",))
    def create(self, user: Any) -> dict[str, Any]:
        account = parse(NewUser, user, name="user").to_domain()
        return services.register(self.users, self.passwords, account).public()

    @slow_rpc(expected_exceptions=(ValidationError, InvalidCredentials, Busy), sensitive_arguments=("password",))
    def auth(self, email: Any, password: Any) -> dict[str, Any]:
        credentials = parse(LogIn, {"email": email, "password": password}, name="credentials").to_domain()
        issued = services.authenticate(self.users, self.passwords, self.tokens, credentials)
        return {"token": issued.token, "expires_at": issued.expires_at}


class UserAccounts(_UserServiceParts):
    """Token checks and reads of accounts: every call but the bcrypt ones, and the health check."""

    health = HealthCheck("rabbitmq", "postgres")

    @rpc(expected_exceptions=(InvalidToken,), sensitive_arguments=("token",))
    def validate_token(self, token: Any) -> dict[str, Any]:
        user = services.user_for_token(self.users, self.tokens, token)
        return {"valid": True, "user": user.public()}

    @rpc(expected_exceptions=(Unauthorized, NotFound, ValidationError))
    def get(self, id: Any) -> dict[str, Any]:
        caller = self.current_user.caller
        user_id = parse(UserRef, {"id": id}, name="id").id
        return services.visible_user(self.users, caller, user_id).public()

    @rpc(expected_exceptions=(Unauthorized, Forbidden, ValidationError))
    def get_all(self, limit: Any = DEFAULT_PAGE_SIZE, cursor: Any = None) -> dict[str, Any]:
        caller = self.current_user.caller
        page = parse(Page, {"limit": limit, "cursor": cursor}, name="page").to_domain()
        return _page(services.list_users(self.users, caller, page))

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()


class UserService(UserAccounts, UserLogins):
    """Every call of user_service in one process (what the tests start); ``user-service``
    runs the same calls as ``UserAccounts`` and its companion ``UserLogins``."""

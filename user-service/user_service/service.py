"""user_service's nameko entrypoints."""

from __future__ import annotations

import uuid
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from shippy_common.auth import CallerToken
from shippy_common.calllog import CallLog
from shippy_common.errors import (
    AlreadyExists,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    Unauthorized,
    ValidationError,
)
from shippy_common.health import HealthCheck
from shippy_common.schemas import parse
from user_service import accounts, settings
from user_service.passwords import PasswordHasher
from user_service.repository import UserStore
from user_service.schemas import NewUser
from user_service.tokens import TokenAuthority


class Passwords(DependencyProvider):
    def setup(self) -> None:
        self.hasher = PasswordHasher(settings.bcrypt_cost(self.container.config))

    def get_dependency(self, worker_ctx: Any) -> PasswordHasher:
        return self.hasher


class Tokens(DependencyProvider):
    def setup(self) -> None:
        self.authority = TokenAuthority(settings.token_settings(self.container.config))

    def get_dependency(self, worker_ctx: Any) -> TokenAuthority:
        return self.authority


class UserService:
    name = "user_service"

    users = UserStore()
    calls = CallLog()
    passwords = Passwords()
    tokens = Tokens()
    caller_token = CallerToken()
    health = HealthCheck("rabbitmq", "postgres")

    check_config = staticmethod(settings.check_config)

    @rpc(expected_exceptions=(ValidationError, AlreadyExists), sensitive_arguments=("user.password",))
    def create(self, user: Any) -> dict[str, Any]:
        account = parse(NewUser, user, name="user").to_domain()
        return accounts.register(self.users, self.passwords, account).public()

    @rpc(expected_exceptions=(ValidationError, InvalidCredentials), sensitive_arguments=("password",))
    def auth(self, email: Any, password: Any) -> dict[str, Any]:
        return accounts.authenticate(self.users, self.passwords, self.tokens, email, password)

    @rpc(expected_exceptions=(InvalidToken,), sensitive_arguments=("token",))
    def validate_token(self, token: Any) -> dict[str, Any]:
        user = accounts.user_for_token(self.users, self.tokens, token)
        return {"valid": True, "user": user.public()}

    @rpc(expected_exceptions=(Unauthorized, NotFound, ValidationError))
    def get(self, id: Any) -> dict[str, Any]:
        accounts.caller(self.users, self.tokens, self.caller_token)
        try:
            user_id = str(uuid.UUID(id)) if isinstance(id, str) else None
        except ValueError:
            user_id = None
        if user_id is None:
            raise ValidationError("id", "must be a user id (a UUID)")
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        return user.public()

    @rpc(expected_exceptions=(Unauthorized,))
    def get_all(self) -> list[dict[str, Any]]:
        accounts.caller(self.users, self.tokens, self.caller_token)
        return [user.public() for user in self.users.all()]

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()

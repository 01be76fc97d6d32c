"""user_service's adapters, injected into its entrypoints."""

from __future__ import annotations

from typing import Any

import psycogreen.eventlet
from nameko.extensions import DependencyProvider

from shippy_common.auth import Caller, CurrentUser
from shippy_common.settings import settings_of
from user_service import services
from user_service.migrations import upgrade
from user_service.passwords import PasswordHasher
from user_service.repository import UserDatabase, UserRepository
from user_service.settings import UserSettings
from user_service.tokens import TokenAuthority


class UserStore(DependencyProvider):
    """Migrates the schema at start, then injects a :class:`UserRepository`."""

    def setup(self) -> None:
        # psycopg2 would block the eventlet hub on every query without this.
        psycogreen.eventlet.patch_psycopg()
        settings: UserSettings = settings_of(self.container)
        upgrade(settings.database.url)
        self.database = UserDatabase(settings.database.url, pool_size=settings.database.pool_size)

    def stop(self) -> None:
        self.database.close()

    def kill(self) -> None:
        self.database.close()

    def get_dependency(self, worker_ctx: Any) -> UserRepository:
        return UserRepository(self.database)


class Passwords(DependencyProvider):
    def setup(self) -> None:
        settings: UserSettings = settings_of(self.container)
        self.hasher = PasswordHasher(settings.bcrypt_cost, settings.bcrypt_max_waiting)

    def get_dependency(self, worker_ctx: Any) -> PasswordHasher:
        return self.hasher


class Tokens(DependencyProvider):
    def setup(self) -> None:
        self.authority = TokenAuthority(settings_of(self.container).tokens)

    def get_dependency(self, worker_ctx: Any) -> TokenAuthority:
        return self.authority


class LocalCurrentUser(CurrentUser):
    """user_service resolves its own callers' tokens, with the service's own
    store and token authority (already injected when an entrypoint asks)."""

    def resolve(self, worker_ctx: Any, token: str) -> Caller:
        service = worker_ctx.service
        return Caller.from_profile(services.user_for_token(service.users, service.tokens, token).public())

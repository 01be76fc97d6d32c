"""What user_service accepts over RPC."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import EmailStr, StringConstraints, field_validator

from shippy_common.schemas import StrictModel
from user_service.domain import NewAccount
from user_service.passwords import check_password

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MAX_EMAIL_LENGTH = 254


class NewUser(StrictModel):
    name: Text
    company: Text
    email: Annotated[EmailStr, StringConstraints(max_length=MAX_EMAIL_LENGTH)]
    password: str

    @field_validator("password", mode="plain")
    @classmethod
    def _password_bcrypt_can_take(cls, value: Any) -> str:
        return check_password(value)

    def to_domain(self) -> NewAccount:
        return NewAccount(name=self.name, company=self.company, email=self.email, password=self.password)

"""Schema checks at a service's edge.

Every RPC payload passes through :func:`parse` before it reaches domain code or
a database: pydantic models in strict mode with unknown fields forbidden, so a
MongoDB operator smuggled into a value (``{"$gt": 0}``) is simply the wrong
type, and a huge payload fails a length bound. Failures become a typed
:class:`~shippy_common.errors.ValidationError` naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, StringConstraints

from shippy_common.errors import ValidationError

Model = TypeVar("Model", bound=BaseModel)

#: An id a client may choose: short, printable, no operators or path tricks.
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


MAX_FIELD_PATH = 100


def _field_path(loc: tuple[int | str, ...]) -> str:
    """Dotted path of the failing field; cut short, as an unknown key can be huge."""
    path = ".".join(str(part) for part in loc)
    return path if len(path) <= MAX_FIELD_PATH else path[: MAX_FIELD_PATH - 3] + "..."


def parse(model: type[Model], payload: Any, *, name: str) -> Model:
    """Validate ``payload`` (named ``name`` in errors) into ``model``."""
    if not isinstance(payload, dict):
        raise ValidationError(name, f"must be an object, got {type(payload).__name__}")
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = _field_path(first["loc"]) or name
        raise ValidationError(field, first["msg"]) from None

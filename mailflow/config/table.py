"""The base of every table of the configuration file, and a setting's default.

Every table forbids keys it does not know (a misspelt `[securty]` or `acept_forwarded`
is an error, not a silently weaker policy); values are strict (a boolean is `true` or
`false`, never the string "false"); numbers are finite (`1e400` is not a poll interval).
Each field carries its default and its documentation; nothing else repeats them.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, defer_build=True)


class Table(BaseModel):
    model_config = STRICT


def default_of(model: Any, name: str) -> Any:
    """The default a table's field declares, for the settings objects built from it."""
    fields = model.model_fields if hasattr(model, "model_fields") else model.__pydantic_fields__
    return fields[name].get_default(call_default_factory=True)


def _is_set(name: str) -> str:
    if name not in os.environ:
        raise ValueError(f"names ${name}, which is not set")
    return name


EnvName = Annotated[str, AfterValidator(_is_set)]
"""The name of an environment variable that holds a secret (`password_env = "NAME"`)."""

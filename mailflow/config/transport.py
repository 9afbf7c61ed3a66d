"""The tables of the IMAP source and the SMTP sink; their values are mailflow.config.servers.

Kept apart from the transports so that reading the configuration (mailflow.config.settings)
never loads an IMAP or SMTP client library, and a settings error names its key. Each
dataclass is also its table's schema ([source.imap], [sink.smtp]): `transport_table`
makes the pydantic model from its fields and defaults, with `NAME_env` beside each text.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, create_model, model_validator

from mailflow.config.servers import SMTP_DEFAULT_PORTS as SMTP_DEFAULT_PORTS
from mailflow.config.servers import Auth as Auth
from mailflow.config.servers import ImapSettings as ImapSettings
from mailflow.config.servers import Security as Security
from mailflow.config.servers import SmtpSettings as SmtpSettings
from mailflow.config.table import EnvName, Table
from mailflow.errors import ConfigError


class TransportTable(Table):
    """A server's table: its settings dataclass's fields, and `NAME_env` for each text field
    (the value read from that environment variable instead)."""

    settings_class: ClassVar[type] = object

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        named = {k.removesuffix("_env"): v for k, v in data.items() if k.endswith("_env")}
        found = {
            k: os.environ[v]
            for k, v in named.items()
            if k in cls.model_fields and isinstance(v, str) and v in os.environ
        }
        return {**data, **found}

    @model_validator(mode="after")
    def _whole(self) -> TransportTable:
        required = [f.name for f in dataclasses.fields(self.settings_class) if _required(f)]
        missing = [name for name in required if not getattr(self, name)]
        if missing:
            raise ValueError(f"needs {' and '.join(missing)} (or {missing[0]}_env)")
        self.settings()
        return self

    def settings(self) -> Any:
        """The dataclass; its own checks (an auth that needs a token source) as a ValueError."""
        names = [f.name for f in dataclasses.fields(self.settings_class)]
        try:
            return self.settings_class(**{n: getattr(self, n) for n in names})
        except ConfigError as exc:
            raise ValueError("; ".join(exc.problems)) from None


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


@cache
def transport_table(cls: type) -> type[TransportTable]:
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else ...
        fields[f.name] = (hints[f.name], default)
        if hints[f.name] is str or str in typing.get_args(hints[f.name]):
            fields[f"{f.name}_env"] = (EnvName | None, Field(default=None))
            if default is ...:  # written either way
                fields[f.name] = (hints[f.name], "")
    model = create_model(f"{cls.__name__}Table", __base__=TransportTable, **fields)
    model.settings_class = cls
    return model


if TYPE_CHECKING:
    ImapTable = TransportTable
    SmtpTable = TransportTable
else:
    ImapTable = transport_table(ImapSettings)
    SmtpTable = transport_table(SmtpSettings)

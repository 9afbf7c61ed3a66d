"""The base of the store's table classes: each is mapped at import, validated on demand.

A table class's SQLAlchemy mapping is needed as soon as it is queried, but its pydantic
validator only when a row is validated or dumped, which no command that reads does and
which table classes skip on construction anyway. Deferring that half saves about half a
millisecond per class at the start of every command.
"""

from __future__ import annotations

from sqlmodel import SQLModel


class Row(SQLModel):
    """A table class: `class Name(Row, table=True)`."""

    model_config = {"defer_build": True}

"""Bring an existing database up to the current tables: add the columns it lacks.

create_all() makes missing tables but never touches existing ones, so a column added
in a later version (outbox.group_id) would break an older data folder. Only additive
changes are made, each column with its default, so older rows stay readable.

Alembic would be the tool once a change needs more than an added column (a rename, a
type change, data moved); until then a versioned migration history would cost every
installation a second schema source for what create_all plus this function does.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel


def add_missing_columns(conn: Connection) -> list[str]:
    """ALTER TABLE … ADD COLUMN for every model column the database lacks; returns them."""
    inspector = inspect(conn)
    added = []
    for table in SQLModel.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=conn.dialect)
            default = getattr(column.default, "arg", None)
            clause = ""
            if isinstance(default, str):
                clause = " DEFAULT '" + default.replace("'", "''") + "'"
            elif isinstance(default, bool | int | float):
                clause = f" DEFAULT {int(default) if isinstance(default, bool) else default}"
            conn.execute(
                text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}{clause}')
            )
            added.append(f"{table.name}.{column.name}")
    return added

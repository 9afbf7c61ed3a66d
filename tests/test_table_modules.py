"""Each module of tables, imported alone, resolves its foreign keys once a write has
mapped what every write maps (the mail tables, store.session.map_for_writes).

A command imports only the table modules it queries (store/models.py loads them all, for
Alembic). SQLAlchemy resolves a foreign key only against tables already loaded, and a
flush that cannot resolve one fails (NoReferencedTableError): a module whose table names
another module's table must import that module, unless every write maps it first, or
the first command that writes its rows without having loaded the other fails.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT

STORE = ROOT / "mailflow" / "store"
TABLE_MODULES = sorted(
    f"mailflow.store.{path.stem}"
    for path in STORE.glob("*.py")
    if "table=True" in path.read_text(encoding="utf-8")
)

# Run in a fresh interpreter: resolve every foreign key of every table loaded.
_RESOLVE = """
import importlib, sys
from sqlmodel import SQLModel
importlib.import_module(sys.argv[1])
from mailflow.store.session import map_for_writes
map_for_writes()
for table in SQLModel.metadata.tables.values():
    for key in table.foreign_keys:
        key.column
"""


def test_the_table_modules_are_found() -> None:
    names = {name.rsplit(".", 1)[1] for name in TABLE_MODULES}
    assert {"cr_tables", "message_tables", "sender_tables", "guard_tables"} <= names


@pytest.mark.parametrize("module", TABLE_MODULES)
def test_a_table_module_alone_resolves_its_foreign_keys(module: str) -> None:
    """Mutation: map_for_writes() without its import of message_tables fails here for
    cr_tables (a decision names the ledger row that carried it)."""
    run = subprocess.run(
        [sys.executable, "-c", _RESOLVE, module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr.strip().splitlines()[-1:]

"""A command that only reads builds only the table classes it queries, but a write maps
every table the CR tables' foreign keys name before it flushes: without them the flush
cannot order its inserts (SQLAlchemy's NoReferencedTableError)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, make_app

WRITE_WITH_CR_TABLES_ONLY = """
import sys
from datetime import UTC, datetime
from mailflow.store.cr_tables import AuditEvent, ChangeRequest
from mailflow.store.session import Database

assert "mailflow.store.message_tables" not in sys.modules, "the CR tables alone"
db = Database(sys.argv[1])
now = datetime.now(UTC)
with db.transaction() as session:
    session.add(ChangeRequest(id="CR-0-0001", account="acme", title="t", stage="triage",
                              entered_at=now, created_at=now, updated_at=now, opened_by="p"))
    session.flush()
    session.add(AuditEvent(cr_id="CR-0-0001", at=now, stage="triage", kind="note", detail="d"))
with db.session() as session:
    print(session.get(ChangeRequest, "CR-0-0001").title)
"""


def test_a_write_maps_the_tables_the_cr_tables_name(tmp_path: Path) -> None:
    make_app(tmp_path).db.dispose()  # the schema, by the migrations
    url = f"sqlite:///{tmp_path / 'mailflow.db'}"
    done = subprocess.run(
        [sys.executable, "-c", WRITE_WITH_CR_TABLES_ONLY, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "t"

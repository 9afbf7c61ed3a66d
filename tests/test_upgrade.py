"""A database written by the previous release is upgraded, then used, on SQLite and PostgreSQL.

The previous release's own code (its files taken from git) plays its demo, a whole CR
lifecycle, into the database, so every table holds rows it really wrote; the one table a
lifecycle leaves empty gets a row by SQL. Then this code refuses it, `mailflow db upgrade`
upgrades it, the schema matches the models exactly, and a new CR runs on it next to the
old one.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel, select

from mailflow.cli.main import main
from mailflow.errors import SchemaOutdated
from mailflow.store import models, schema  # noqa: F401 - models: every table, to compare
from mailflow.store.session import Database
from mailflow.store.tables import ChangeRequest, Confirmation, EarlyAnswer
from tests.helpers import EXAMPLE_CONFIG, ROOT, Desk
from tests.pg import postgres_server, postgres_url  # noqa: F401

_YEAR = datetime.now(UTC).year  # any year the suite runs in
# A question asked at an older schema, as its row was written then.
_A_CONFIRMATION = {
    "cr": f"CR-{_YEAR}-0001",
    "entered": f"{_YEAR}-01-02 09:00:00",
    "asked": f"{_YEAR}-01-02 09:05:00",
}

PREVIOUS_RELEASE = "58c18bd"  # the last commit whose database had no schema revision


# The previous release's demo always used a SQLite file in its data folder; this runs it
# with the database URL under test instead.
PLAY_DEMO = """
import dataclasses, sys
from mailflow import demo
url, config, data = sys.argv[1:]
plain = dataclasses.replace
def to_url(obj, **changes):
    if "database_url" in changes:
        changes["database_url"] = url
    return plain(obj, **changes)
dataclasses.replace = to_url
sys.exit(demo.play(config, data, quiet=True))
"""


def _previous_release(folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", PREVIOUS_RELEASE], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def _config(folder: Path, url: str) -> Path:
    path = folder / "mailflow.toml"
    path.write_text(
        EXAMPLE_CONFIG.read_text()
        .replace('data_dir = "mailflow-data"', f'data_dir = "{folder / "data"}"')
        .replace('# url_env = "MAILFLOW_DATABASE_URL"', f'url = "{url}"')
    )
    return path


def _old_database(tmp_path: Path, url: str) -> Path:
    old = _previous_release(tmp_path / "previous")
    old_config = old / "mailflow.toml"
    old_config.write_text(
        (old / "config.example.toml")
        .read_text()
        .replace('# url_env = "MAILFLOW_DATABASE_URL"', f'url = "{url}"')
    )
    done = subprocess.run(
        [sys.executable, "-c", PLAY_DEMO, url, str(old_config), str(tmp_path / "previous-data")],
        cwd=old, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rate_limit_note (scope, since, deferred, row_ids) "
                "VALUES ('total', '2026-11-02 09:00:00', 3, '[1, 2, 3]')"
            )
        )
        for table in inspect(conn).get_table_names():
            count = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
            assert count, f"the previous release left {table} empty"
    engine.dispose()
    return _config(tmp_path, url)


def _cr_ids(desk: Desk) -> set[str]:
    with desk.app.db.session() as session:
        return set(session.exec(select(ChangeRequest.id)).all())


def _upgrade_and_use(tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = _old_database(tmp_path, url)
    with pytest.raises(SchemaOutdated, match="mailflow db upgrade"):
        Database(url)
    assert main(["run", "--once", "--config", str(config)]) == SchemaOutdated.exit_code
    assert "needs" in capsys.readouterr().err
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert f"upgraded from {schema.BASELINE} to {schema.head()}" in capsys.readouterr().out
    engine = create_engine(url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    engine.dispose()
    desk = Desk(tmp_path / "desk", url)
    try:
        before = _cr_ids(desk)
        desk.open_cr()
        # the new CR, whatever the years of the old one and of the test clock
        (cr_id,) = _cr_ids(desk) - before
        desk.say("integration@ft.example", cr_id, "IS CR")
        assert desk.stage(cr_id) == "in_principle"
    finally:
        desk.close()
    assert main(["cr", "list", "--all", "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert listing.count("CR-") >= 2, listing
    assert main(["db", "upgrade", "--config", str(config)]) == 0
    assert "already current" in capsys.readouterr().out


def test_the_code_names_the_newest_migration() -> None:
    assert schema.head() == schema.history_head()


def test_upgrade_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _upgrade_and_use(tmp_path, url, capsys)
    assert list(tmp_path.glob("old.db.before-upgrade-from-0001-*")), "a copy was kept"


def test_upgrade_on_postgresql(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    _upgrade_and_use(tmp_path, postgres_url, capsys)


def test_run_upgrades_at_start_when_configured(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = _old_database(tmp_path, url)
    config.write_text(
        config.read_text().replace("upgrade_on_start = false", "upgrade_on_start = true")
    )
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert list(tmp_path.glob("old.db.before-upgrade-from-0001-*"))


def test_a_database_at_0006_keeps_its_questions_and_gains_remarks_and_signatures(
    tmp_path: Path,
) -> None:
    """0007 on a database at the previous head: the open question rows stay, with no
    remarks; the tables of confirmed remarks and learned signatures are made."""
    url = f"sqlite:///{tmp_path / 'at-0006.db'}"
    Database(url).dispose()
    engine = create_engine(url)

    def alembic(conn: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(schema.MIGRATIONS))
        config.attributes["connection"] = conn
        return config

    with engine.begin() as conn:
        command.downgrade(alembic(conn), "0006")
        assert schema.revision(conn) == "0006"
        assert {"text", "fields", "remarks"}.isdisjoint(
            c["name"] for c in inspect(conn).get_columns("confirmation")
        )
        assert not inspect(conn).has_table("confirmed_remark")
        conn.execute(
            text(
                "INSERT INTO confirmation (cr_id, stage, stage_entered_at, actor, verb, line, "
                "asked_at, question_id) VALUES (:cr, 'customer_approval', :entered, "
                "'dana@acme.example', 'APPROVED', 'Go ahead', :asked, 'q1')"
            ),
            _A_CONFIRMATION,
        )
    with pytest.raises(SchemaOutdated):
        Database(url)
    with engine.begin() as conn:
        # the migrations alone (0007 and those after it), without create_all
        command.upgrade(alembic(conn), "head")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
        assert {"confirmed_remark", "sender_tail", "learned_signature"} <= set(
            inspect(conn).get_table_names()
        )
    with Session(engine) as session:
        (row,) = session.exec(select(Confirmation)).all()
    assert (row.verb, row.line, row.text, row.fields, row.remarks) == (
        "APPROVED",
        "Go ahead",
        "",
        {},
        [],
    )
    engine.dispose()
    Database(url).dispose()  # current now: opened as it is


def test_a_database_at_0007_gains_the_table_of_early_answers(tmp_path: Path) -> None:
    """0008 on a database at the previous head: its rows stay, the table of decisions held
    for a later stage is made, and the schema matches the models."""
    url = f"sqlite:///{tmp_path / 'at-0007.db'}"
    Database(url).dispose()
    engine = create_engine(url)

    def alembic(conn: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(schema.MIGRATIONS))
        config.attributes["connection"] = conn
        return config

    with engine.begin() as conn:
        command.downgrade(alembic(conn), "0007")
        assert schema.revision(conn) == "0007"
        assert not inspect(conn).has_table("early_answer")
        conn.execute(
            text(
                "INSERT INTO confirmation (cr_id, stage, stage_entered_at, actor, verb, line, "
                "asked_at, question_id, text, fields, remarks) VALUES (:cr, 'in_principle', "
                ":entered, 'dana@acme.example', 'APPROVED', 'Approved.', :asked, 'q1', '', "
                "'{}', '[]')"
            ),
            _A_CONFIRMATION,
        )
    with pytest.raises(SchemaOutdated):
        Database(url)
    with engine.begin() as conn:
        command.upgrade(alembic(conn), "0008")  # the migration alone, without create_all
        assert schema.revision(conn) == "0008"
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert [d for d in diffs if "early_answer" in repr(d)] == []  # later ones change others
        assert inspect(conn).has_table("early_answer")
    with Session(engine) as session:
        (row,) = session.exec(select(Confirmation)).all()
        assert (row.verb, row.line) == ("APPROVED", "Approved.")
        assert session.exec(select(EarlyAnswer)).all() == []
    with engine.begin() as conn:
        command.downgrade(alembic(conn), "0007")  # and back: the table goes again
        assert not inspect(conn).has_table("early_answer")
    engine.dispose()


@pytest.mark.parametrize("made_directly", [True, False])
def test_a_database_at_0008_gains_the_fence_and_the_tables_once_made_directly(
    tmp_path: Path, made_directly: bool
) -> None:
    """0010: the lease row keeps its holder and gets fencing number 0; the sign-in and
    canary tables are made, or kept with their rows where a release before made them
    directly (then no migration made them)."""
    url = f"sqlite:///{tmp_path / 'at-0008.db'}"
    Database(url).dispose()
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
        assert not {"web_login", "web_session", "canary_round"} & set(
            inspect(conn).get_table_names()
        )
        conn.execute(
            text(
                "INSERT INTO source_lease (source, holder, expires_at, taken_at, node, pid) "
                "VALUES ('imap:inbox', 'host:1:x', '2026-11-02 09:00:15', "
                "'2026-11-02 09:00:00', '', 1)"
            )
        )
        if made_directly:
            tables = [SQLModel.metadata.tables[name] for name in ("web_login", "canary_round")]
            tables.append(SQLModel.metadata.tables["web_session"])
            SQLModel.metadata.create_all(conn, tables=tables)
            conn.execute(
                text(
                    "INSERT INTO canary_round (nonce, sent_at, error) "
                    "VALUES ('n1', '2026-11-02', '')"
                )
            )
    with pytest.raises(SchemaOutdated):
        Database(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
        lease = conn.execute(text("SELECT holder, fence FROM source_lease")).one()
        assert tuple(lease) == ("host:1:x", 0)
        rounds = conn.execute(text("SELECT nonce FROM canary_round")).scalars().all()
        assert rounds == (["n1"] if made_directly else [])
    engine.dispose()

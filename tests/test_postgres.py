"""The same store on a real PostgreSQL: lifecycle, idempotency, and two daemons sharing it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlmodel import select

from mailflow.chain.intake import open_cr
from mailflow.store.message_tables import OutboxRow
from mailflow.store.tables import ChangeRequest
from tests.helpers import Desk, make_app
from tests.pg import postgres_cluster, postgres_server, postgres_url  # noqa: F401


def test_a_cr_runs_on_postgresql_with_aware_utc_times(tmp_path, postgres_url):  # noqa: F811
    desk = Desk(tmp_path, postgres_url)
    try:
        assert desk.app.db.engine.dialect.name == "postgresql"
        cr_id = desk.open_cr()
        msg = desk.reply("integration@ft.example", cr_id, "IS CR")
        desk.send(msg)
        desk.send(msg)
        desk.say("dana@acme.example", cr_id, "not approved yet")
        desk.say("dana@acme.example", cr_id, "Approved")
        desk.say("amardeep@ft.example", cr_id, "Approved")
        cr = desk.cr(cr_id)
        assert cr.stage == "cr_document"
        assert cr.entered_at.tzinfo is not None and cr.entered_at.utcoffset().total_seconds() == 0
        assert [e.outcome for e in desk.ledger()] == [
            "applied",
            "applied",
            "answered",
            "applied",
            "applied",
        ]
        assert all(row.status == "sent" for row in desk.outbox())
    finally:
        desk.close()


def test_two_daemons_on_one_database_never_share_a_cr_id(tmp_path, postgres_url):  # noqa: F811
    apps = [make_app(tmp_path / f"d{i}", postgres_url) for i in range(2)]
    ids: list[str] = []
    errors: list[BaseException] = []

    def open_many(app) -> None:
        try:
            for n in range(10):
                with app.db.transaction() as session:
                    cr = open_cr(
                        app,
                        session,
                        account="acme",
                        title=f"t{n}",
                        description="",
                        opened_by="priya@ft.example",
                        now=datetime.now(UTC),
                    )
                    ids.append(cr.id)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=open_many, args=(app,)) for app in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(ids) == 20 and len(set(ids)) == 20
    with apps[0].db.session() as session:
        assert len(session.exec(select(ChangeRequest)).all()) == 20
    for app in apps:
        app.close()


def test_two_senders_deliver_each_outbox_row_once(tmp_path, postgres_url):  # noqa: F811
    first, second = Desk(tmp_path / "a", postgres_url), Desk(tmp_path / "b", postgres_url)
    try:
        for n in range(5):
            with first.app.db.transaction() as session:
                open_cr(
                    first.app,
                    session,
                    account="acme",
                    title=f"t{n}",
                    description="",
                    opened_by="priya@ft.example",
                    now=first.clock(),
                )
        barrier = threading.Barrier(2)

        def deliver(desk: Desk) -> None:
            barrier.wait()
            desk.daemon.deliver_outbox()

        threads = [threading.Thread(target=deliver, args=(d,)) for d in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with first.app.db.session() as session:
            rows = session.exec(select(OutboxRow)).all()
        assert rows and all(r.status == "sent" and r.attempts == 1 for r in rows)
        delivered = len(first.sent_files()) + len(second.sent_files())
        assert delivered == len(rows)
    finally:
        first.close()
        second.close()


def test_a_database_outage_loses_no_message(tmp_path, postgres_cluster):  # noqa: F811
    """While PostgreSQL is down the loop goes on, the message waits, and it is handled once."""
    desk = Desk(tmp_path, postgres_cluster.url + "/postgres")
    try:
        cr_id = desk.open_cr()
        reply = desk.reply("integration@ft.example", cr_id, "IS CR")
        postgres_cluster.stop(mode="fast")
        desk.send(reply)
        assert len(list((desk.root / "inbox").glob("*/*"))) == 1, "the message waits"
        postgres_cluster.start()
        desk.daemon.run(once=True)
        assert desk.stage(cr_id) == "in_principle"
        assert list((desk.root / "inbox").glob("*/*")) == []
        assert len([e for e in desk.ledger() if e.sender == "integration@ft.example"]) == 1
    finally:
        desk.close()

"""The stored due time: the sweep's index query finds exactly the CRs engine.remind would
chase, and the time is kept right through stage moves, reminders, holds and business days."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from mailflow.config.schedule import ScheduleSettings
from mailflow.config.settings import Settings
from mailflow.service import reminders
from mailflow.store import schema
from mailflow.store.tables import ChangeRequest
from mailflow.views.progress import aware
from mailflow.workflow.calendar import BusinessCalendar
from tests.helpers import Desk

WEEKDAYS_ONLY = BusinessCalendar(frozenset(range(5)), frozenset({date(2026, 11, 11)}))


def _weekdays(settings: Settings) -> Settings:
    return dataclasses.replace(settings, schedule=ScheduleSettings(calendar=WEEKDAYS_ONLY))


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _next(desk: Desk, cr_id: str) -> datetime | None:
    at = desk.cr(cr_id).next_reminder_at
    return aware(at) if at is not None else None


def test_after_is_the_inverse_of_hours_between():
    rng = random.Random(13)
    for calendar in (BusinessCalendar(), WEEKDAYS_ONLY):
        for _ in range(300):
            start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(40 * 86400))
            hours = rng.choice([1, 24, 48, 72, 120, 0.5, rng.uniform(0.1, 200)])
            due = calendar.after(start, hours)
            assert due is not None
            assert calendar.hours_between(start, due) >= hours
            assert calendar.hours_between(start, due - timedelta(seconds=1)) < hours


def test_friday_evening_waits_over_the_weekend_and_the_holiday():
    friday = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)
    assert WEEKDAYS_ONLY.after(friday, 24) == datetime(2026, 11, 9, 18, 0, tzinfo=UTC)
    # Tuesday 10 November 18:00 + 24 h skips the holiday on Wednesday the 11th
    tuesday = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
    assert WEEKDAYS_ONLY.after(tuesday, 24) == datetime(2026, 11, 12, 18, 0, tzinfo=UTC)


def test_due_time_through_stage_moves_reminders_hold_and_resume(desk):
    cr_id = desk.open_cr()
    assert _next(desk, cr_id) == desk.clock.now + timedelta(hours=24), "triage waits 24 h"
    desk.clock.advance(hours=3)
    desk.say("integration@ft.example", cr_id, "IS CR")
    entered = aware(desk.cr(cr_id).entered_at)
    assert _next(desk, cr_id) == entered + timedelta(hours=48), "a new stage, a new interval"
    desk.say("dana@acme.example", cr_id, "Approved")
    assert _next(desk, cr_id) == entered + timedelta(hours=48), "one of two votes: same clock"
    desk.clock.advance(hours=49)
    start = len(desk.outbox())
    desk.daemon.run(once=True)
    assert [t for t, _ in desk.templates_sent(start)] == ["notice/reminder"]
    assert _next(desk, cr_id) == desk.clock.now + timedelta(hours=48), "counted from the reminder"
    desk.say("priya@ft.example", cr_id, "HOLD waiting for budget")
    assert _next(desk, cr_id) is None, "a held CR is never chased"
    desk.clock.advance(days=5)
    desk.say("priya@ft.example", cr_id, "RESUME")
    assert _next(desk, cr_id) == desk.clock.now + timedelta(hours=48)


def test_an_ended_cr_is_never_due(desk):
    cr_id = desk.open_cr()
    desk.say("integration@ft.example", cr_id, "NOT CR")
    assert desk.app.workflow.is_end(desk.stage(cr_id))
    assert _next(desk, cr_id) is None


def test_business_days_push_the_due_time_past_the_weekend(tmp_path):
    desk = Desk(tmp_path, adjust=_weekdays)
    try:
        desk.clock.now = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)  # a Friday evening
        cr_id = desk.open_cr()
        assert _next(desk, cr_id) == datetime(2026, 11, 9, 18, 0, tzinfo=UTC)
    finally:
        desk.close()


@pytest.mark.parametrize("business_days", [False, True])
def test_the_index_query_finds_exactly_what_remind_would_send(tmp_path, business_days):
    desk = Desk(tmp_path, adjust=_weekdays if business_days else None)
    try:
        ids = []
        for i in range(6):
            ids.append(desk.open_cr(subject=f"Change {i}"))
            if i % 2:
                desk.say("integration@ft.example", ids[-1], "IS CR")
            if i == 3:
                desk.say("priya@ft.example", ids[-1], "HOLD for now")
            if i == 5:
                desk.say("integration@ft.example", ids[-1], "NOT CR")
            desk.clock.advance(hours=7)
        start, seen = desk.clock.now, set()
        with desk.app.db.session() as session:
            crs = list(session.exec(select(ChangeRequest)).all())
            for step in range(60):
                now = start + timedelta(hours=4 * step)
                expected = {cr.id for cr in crs if reminders.due(desk.app, cr, now) is not None}
                assert set(reminders.due_ids(session, now)) == expected, now
                seen.add(frozenset(expected))
        assert len(seen) > 3, "the due set grew over the span"
    finally:
        desk.close()


def test_a_stale_due_time_is_corrected_without_sending(desk):
    cr_id = desk.open_cr()
    right = _next(desk, cr_id)
    with desk.app.db.transaction() as session:
        session.execute(text("UPDATE change_request SET next_reminder_at = entered_at"))
    start = len(desk.outbox())
    desk.clock.advance(hours=1)
    assert reminders.sweep(desk.app, desk.clock()) == 0
    assert desk.templates_sent(start) == []
    assert _next(desk, cr_id) == right


def test_the_migration_backfills_open_crs(desk):
    from alembic import command

    open_id = desk.open_cr()
    held_id = desk.open_cr(subject="Held one")
    desk.say("priya@ft.example", held_id, "HOLD later")
    with desk.app.db.engine.begin() as conn:
        command.downgrade(schema._config(conn), "0003")
    with desk.app.db.engine.begin() as conn:
        schema.upgrade(conn)
    entered = aware(desk.cr(open_id).entered_at)
    assert _next(desk, open_id) == entered, "due for a look at once, never late"
    assert _next(desk, held_id) is None
    desk.clock.advance(hours=1)
    reminders.sweep(desk.app, desk.clock())
    assert _next(desk, open_id) == entered + timedelta(hours=24)


def _stage_reminding_after(desk: Desk, stage: str, hours: float) -> None:
    """The workflow as a reload with a new remind_hours for one stage leaves it."""
    wf = desk.app.workflow
    stages = tuple(
        dataclasses.replace(s, remind_hours=hours) if s.name == stage else s for s in wf.stages
    )
    desk.app.workflow = dataclasses.replace(wf, stages=stages)


def test_a_shorter_interval_after_a_reload_is_not_missed(desk, caplog):
    cr_id = desk.open_cr()
    entered = aware(desk.cr(cr_id).entered_at)
    reminders.sweep(desk.app, desk.clock())  # the stored times match today's settings
    assert _next(desk, cr_id) == entered + timedelta(hours=24)
    _stage_reminding_after(desk, desk.stage(cr_id), 2)
    desk.clock.advance(hours=3)
    start = len(desk.outbox())
    with caplog.at_level("INFO", logger="mailflow.service.reminders"):
        assert reminders.sweep(desk.app, desk.clock()) == 1
    assert "due times recomputed, 1 open CR(s) moved" in caplog.text
    assert desk.templates_sent(start) == [
        ("notice/reminder", ["integration@ft.example", "priya@ft.example"])
    ]


def test_a_day_that_now_counts_brings_the_reminder_forward(tmp_path):
    desk = Desk(tmp_path, adjust=_weekdays)
    try:
        desk.clock.now = datetime(2026, 11, 6, 18, 0, tzinfo=UTC)  # a Friday evening
        cr_id = desk.open_cr()
        reminders.sweep(desk.app, desk.clock())
        assert _next(desk, cr_id) == datetime(2026, 11, 9, 18, 0, tzinfo=UTC)
        desk.app.settings = dataclasses.replace(desk.app.settings, schedule=ScheduleSettings())
        desk.clock.now = datetime(2026, 11, 7, 19, 0, tzinfo=UTC)  # Saturday, now a work day
        assert reminders.sweep(desk.app, desk.clock()) == 1
    finally:
        desk.close()


def test_unchanged_settings_recompute_nothing(desk, caplog):
    cr_id = desk.open_cr()
    reminders.sweep(desk.app, desk.clock())
    with desk.app.db.transaction() as session:  # a time no computation would give
        session.execute(text("UPDATE change_request SET next_reminder_at = '2099-01-01 00:00:00'"))
    with caplog.at_level("INFO", logger="mailflow.service.reminders"):
        reminders.sweep(desk.app, desk.clock())
    assert "recomputed" not in caplog.text
    assert _next(desk, cr_id) == datetime(2099, 1, 1, tzinfo=UTC)

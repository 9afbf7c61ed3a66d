"""Reminders reach whoever still owes a reply; escalations stay inside; a CSM sees who is late."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest

from mailflow.cli.main import main
from mailflow.config.schedule import ScheduleSettings
from mailflow.workflow.calendar import BusinessCalendar
from tests.helpers import EXAMPLE_CONFIG, Desk
from tests.scenario.cast import CSM, EXEC, REP, TEAM

INTERNAL = re.compile(r"token|in-reply-to|ledger|\bverb\b|in_principle|not_verified", re.I)


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def to_in_principle(desk: Desk) -> str:
    cr_id = desk.open_cr()
    desk.say(TEAM, cr_id, "IS CR")
    assert desk.stage(cr_id) == "in_principle"
    return cr_id


def chase(desk: Desk, times: int, hours: float = 49) -> list[tuple[str, list[str]]]:
    start = len(desk.outbox())
    for _ in range(times):
        desk.clock.advance(hours=hours)
        desk.daemon.run(once=True)
    return desk.templates_sent(start)


def test_at_an_all_of_stage_only_the_one_who_has_not_answered_is_reminded(desk):
    cr_id = to_in_principle(desk)
    desk.say(REP, cr_id, "Approved")
    sent = chase(desk, 4)
    assert [t for t, _ in sent] == ["notice/reminder"] * 2 + ["notice/escalation"] * 2
    reminded = {a for t, to in sent if t == "notice/reminder" for a in to}
    assert REP not in reminded and EXEC in reminded
    escalated = [to for t, to in sent if t == "notice/escalation"]
    assert escalated[0][0] == CSM, "first the CSM"
    assert escalated[1][0] == CSM and "sumesh@ft.example" in escalated[1], "not the late exec"
    assert all(REP not in to for to in escalated), "customers are never on escalations"
    body = desk.last_mail_to(CSM, cr_id).get_body(("plain",)).get_content()
    assert "2 reminders went unanswered" in body and "3 reminder" not in body


def test_a_customer_late_is_chased_but_never_copied_on_the_escalation(desk):
    cr_id = to_in_principle(desk)
    desk.say(EXEC, cr_id, "Approved")
    sent = chase(desk, 3)
    assert sent[0] == ("notice/reminder", [REP, CSM])
    assert sent[2][0] == "notice/escalation" and REP not in sent[2][1]


def test_business_days_leave_the_weekend_and_holidays_out(tmp_path):
    def weekdays(settings):
        calendar = BusinessCalendar(frozenset(range(5)))
        return dataclasses.replace(settings, schedule=ScheduleSettings(calendar))

    desk = Desk(tmp_path, adjust=weekdays)
    try:
        # Open the CR so that its triage wait starts on a Friday morning.
        days_to_friday = (4 - desk.clock.now.weekday()) % 7
        desk.clock.advance(days=days_to_friday)
        cr_id = to_in_principle(desk)
        desk.clock.advance(hours=38)  # Friday 09:00 to Saturday 23:00: 15 business hours
        desk.daemon.run(once=True)
        sent = chase(desk, 1, hours=24)  # Sunday gone too: still 15 business hours
        assert sent == []
        sent = chase(desk, 1, hours=34)  # Monday gone, Tuesday 09:00: 48 business hours
        assert [t for t, _ in sent] == ["notice/reminder"]
        assert desk.events(cr_id, {"reminder"})
    finally:
        desk.close()


def test_remind_dry_run_lists_what_the_next_sweep_would_send(desk, capsys):
    cr_id = to_in_principle(desk)
    desk.say(REP, cr_id, "Approved")
    desk.clock.advance(hours=49)
    cfg = ["--config", str(EXAMPLE_CONFIG)]
    data = str(desk.app.settings.data_dir)
    rows = len(desk.outbox())
    import mailflow.cli.cr as cli_cr

    later = desk.clock.now
    original = cli_cr._now
    cli_cr._now = lambda: later  # type: ignore[assignment]
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("MAILFLOW_CONFIG", str(EXAMPLE_CONFIG))
            desk_config = write_config(desk, data)
            assert main(["remind", "--dry-run", "--config", desk_config]) == 0
    finally:
        cli_cr._now = original  # type: ignore[assignment]
    out = capsys.readouterr().out
    assert f"{cr_id}  reminder 1  to {EXEC}" in out and "Executive" in out
    assert REP not in out.split("to ", 1)[1].split("(")[0]
    assert len(desk.outbox()) == rows, "a dry run sends nothing"
    assert cfg


def write_config(desk: Desk, data: str) -> str:
    text = EXAMPLE_CONFIG.read_text()
    text = text.replace('data_dir = "mailflow-data"', f'data_dir = "{data}"')
    path = desk.app.settings.data_dir / "mailflow.toml"
    path.write_text(text)
    return str(path)


def test_cr_list_says_whom_each_cr_waits_on_and_takes_a_stage_title(desk, capsys):
    cr_id = to_in_principle(desk)
    desk.say(REP, cr_id, "Approved")
    config = write_config(desk, str(desk.app.settings.data_dir))
    assert main(["cr", "list", "--config", config, "--stage", "In-principle approval"]) == 0
    out = capsys.readouterr().out
    assert cr_id in out and EXEC in out and REP not in out.splitlines()[1]
    assert main(["cr", "list", "--config", config, "--stage", "in_principle"]) == 0
    assert cr_id in capsys.readouterr().out
    assert main(["cr", "show", cr_id, "--config", config]) == 0
    assert f"Waiting on: Executive ({EXEC})" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [("--stage", "Costs", "Costing (costing)"), ("--account", "globex", "acme"),
     ("--csm", "nobody@ft.example", CSM)],
)  # fmt: skip
def test_an_unknown_filter_is_an_error_naming_the_known_ones(desk, capsys, option, value, named):
    config = write_config(desk, str(desk.app.settings.data_dir))
    assert main(["cr", "list", "--config", config, option, value]) == 3
    err = capsys.readouterr().err
    assert value in err and named in err


def test_status_says_whom_the_cr_waits_on(desk):
    cr_id = to_in_principle(desk)
    desk.say(REP, cr_id, "Approved")
    desk.say(REP, cr_id, "STATUS?")
    body = desk.last_mail_to(REP, cr_id).get_body(("plain",)).get_content()
    assert "waiting for a reply from FT." in body, "the customer is not told FT's people"
    assert EXEC not in body
    desk.say(CSM, cr_id, "STATUS?")
    body = desk.last_mail_to(CSM, cr_id).get_body(("plain",)).get_content()
    assert f"waiting for a reply from the Executive ({EXEC})" in body


def test_a_second_identical_decision_is_already_recorded_on_its_date(desk):
    cr_id = to_in_principle(desk)
    desk.say(REP, cr_id, "Approved")
    desk.clock.advance(days=1)
    desk.say(REP, cr_id, "Approved")
    body = desk.last_mail_to(REP, cr_id).get_body(("plain",)).get_content()
    day = (desk.clock.now - timedelta(days=1)).strftime("%Y-%m-%d")
    assert f"already recorded on {day}" in body and not INTERNAL.search(body)


def test_a_reply_to_an_old_request_says_where_the_cr_is_now(desk):
    cr_id = to_in_principle(desk)
    old_request = desk.last_mail_to(REP, cr_id)
    desk.say(REP, cr_id, "Approved")
    desk.say(EXEC, cr_id, "Approved")
    assert desk.stage(cr_id) == "cr_document"
    again = desk.mail(REP, f"RE: {old_request['Subject']}", "Approved")
    again["In-Reply-To"] = old_request["Message-ID"]
    desk.send(again)
    body = desk.last_mail_to(REP, cr_id).get_body(("plain",)).get_content()
    assert "Where the change request is now:" in body
    assert "In-principle approval" in body and not INTERNAL.search(body)

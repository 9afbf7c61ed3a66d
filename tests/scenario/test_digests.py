"""The weekly digests: each CSM hears of her accounts' CRs, the executive of what waits on
him, on the configured weekday, once a week, through the real daemon and outbox.

The week is built from the test clock's own start, so the tests hold on any date.
"""

from __future__ import annotations

import dataclasses
import email
from datetime import timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest

from mailflow.cli.main import main
from mailflow.config.settings import Person, Settings
from mailflow.service import digest_mail
from mailflow.service.daemon import Daemon
from mailflow.store.message_tables import OutboxRow
from tests.helpers import EXAMPLE_CONFIG, Clock, Desk
from tests.scenario.cast import CSM, EXEC, REP, TEAM
from tests.test_answer_words import TERMS

LENA, OLA = "lena@ft.example", "ola@globex.example"
DIGEST_DAY = (Clock().now.weekday() + 3) % 7  # three days after the desk's first day
CUSTOMERS = {REP, OLA}


def weekly(settings: Settings) -> Settings:
    """Digests at 08:00 on DIGEST_DAY, and a second account with a CSM of its own."""
    schedule = dataclasses.replace(settings.schedule, digest_weekday=DIGEST_DAY, digest_hour=8)
    globex = dataclasses.replace(
        settings.accounts[0], key="globex", name="Globex", domains=("globex.example",)
    )
    people = (
        Person("Lena Berg", LENA, ("csm",), ("globex",)),
        Person("Ola Nordmann", OLA, ("customer_rep",), ("globex",)),
    )
    return dataclasses.replace(
        settings,
        schedule=schedule,
        accounts=(*settings.accounts, globex),
        people=(*settings.people, *people),
    )


@pytest.fixture
def desk(tmp_path: Path):
    d = Desk(tmp_path, adjust=weekly)
    yield d
    d.close()


def at(desk: Desk, days: int, hour: int, minute: int = 0) -> None:
    """Move the clock to a time on the desk's first day plus `days`."""
    start = Clock().now.replace(hour=0, minute=0)
    desk.clock.now = start + timedelta(days=days, hours=hour, minutes=minute)


def digest_day(week: int = 0) -> int:
    """Days from the desk's first day to the digest day of that week."""
    return (DIGEST_DAY - Clock().now.weekday()) % 7 + 7 * week


def digests(desk: Desk, since: int = 0) -> dict[str, list[str]]:
    """The digest mails queued since outbox row `since`: recipient → plain texts."""
    out: dict[str, list[str]] = {}
    for row in desk.outbox()[since:]:
        if row.template.startswith("notice/digest_"):
            (to,) = row.recipients
            out.setdefault(to, []).append(_text(row))
    return out


def _text(row: OutboxRow) -> str:
    msg = email.message_from_bytes(row.data, policy=default_policy)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    return " ".join(f"Subject: {msg['Subject']} {text}".split())  # wrapped lines joined


def a_week_of_work(desk: Desk) -> tuple[str, str, str]:
    """Acme's CR waits on the executive (overdue by the digest); Globex's is fresh at triage."""
    at(desk, 0, 9)
    waiting_exec = desk.open_cr()
    desk.say(TEAM, waiting_exec, "IS CR")
    desk.say(REP, waiting_exec, "Approved")
    at(desk, 0, 10)
    ended = desk.open_cr(subject="Old banner", body="Customer: acme\n\nA banner.")
    desk.say(TEAM, ended, "NOT CR")
    at(desk, digest_day() - 1, 10)
    fresh = desk.open_cr(LENA, "Invoice feed", "Customer: globex\n\nA nightly invoice feed.")
    return waiting_exec, ended, fresh


def test_each_csm_and_the_executive_get_their_digest_on_the_day(desk: Desk) -> None:
    waiting_exec, ended, fresh = a_week_of_work(desk)
    at(desk, digest_day(), 7, 30)
    desk.daemon.run(once=True)
    assert digests(desk) == {}, "not before the configured hour"

    before = len(desk.outbox())
    at(desk, digest_day(), 8, 15)
    desk.daemon.run(once=True)
    sent = digests(desk, before)
    assert set(sent) == {CSM, LENA, EXEC}, "CSMs and the executive; no customer"
    assert all(len(texts) == 1 for texts in sent.values())

    priya = sent[CSM][0]
    assert waiting_exec in priya and fresh not in priya, "only her own accounts"
    assert "Executive (amardeep@ft.example)" in priya
    assert "OVERDUE" in priya and "1 open change request, 1 overdue" in priya
    assert "moved: Triage: is this a change request? → In-principle approval" in priya
    assert f"{REP}: APPROVED (at In-principle approval)" in priya
    assert (
        ended in priya
        and "moved: Triage: is this a change request? → Not a change request" in priya
    )
    assert priya.count(ended) == 1, "an ended CR shows in this week's changes, not as open"

    lena = sent[LENA][0]
    assert fresh in lena and waiting_exec not in lena
    assert "Integration team (integration@ft.example)" in lena and "OVERDUE" not in lena

    amardeep = sent[EXEC][0]
    assert waiting_exec in amardeep and fresh not in amardeep and ended not in amardeep
    assert "OVERDUE" in amardeep and "1 change request waiting for you" in amardeep
    for text in (priya, lena, amardeep):
        assert TERMS.search(text) is None, text


def test_a_digest_goes_once_a_week_across_restarts_and_the_command(desk: Desk, capsys) -> None:
    a_week_of_work(desk)
    at(desk, digest_day(), 8, 5)
    desk.daemon.run(once=True)
    first = len(digests(desk))
    assert first == 3
    at(desk, digest_day(), 17)
    desk.daemon.run(once=True)
    restarted = Daemon(desk.app, desk.source, desk.sink, clock=desk.clock)
    restarted.run(once=True)
    assert digest_mail.send(desk.app, desk.clock.now) == 0, "the command finds them sent"
    lines = digest_mail.preview(desk.app, desk.clock.now)
    assert len(lines) == 3 and all("already sent this week" in line for line in lines)
    at(desk, digest_day() + 1, 9)
    desk.daemon.run(once=True)
    assert sum(len(t) for t in digests(desk).values()) == first, "nothing sent twice"

    before = len(desk.outbox())
    at(desk, digest_day(week=1), 9)
    desk.daemon.run(once=True)
    again = digests(desk, before)
    assert set(again) == {CSM, LENA, EXEC}, "next week, the next digest"
    assert "Nothing changed on them in the last seven days." in again[CSM][0]
    assert "OVERDUE" in again[CSM][0] and "OVERDUE" in again[EXEC][0], "still waiting"


def test_no_digest_without_a_configured_weekday(tmp_path: Path) -> None:
    desk = Desk(tmp_path)  # the example configuration: no digest weekday
    try:
        desk.open_cr()
        for day in range(8):
            at(desk, day, 12)
            desk.daemon.run(once=True)
        assert digests(desk) == {}
        assert digest_mail.send(desk.app, desk.clock.now) == 2, "the command still sends"
        assert set(digests(desk)) == {CSM, EXEC} and not CUSTOMERS & set(digests(desk))
    finally:
        desk.close()


def test_the_digest_command_lists_then_sends_and_bad_settings_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailflow.cli.cr as cli_cr

    desk = Desk(tmp_path)
    try:
        cr_id = desk.open_cr()
        desk.say(TEAM, cr_id, "IS CR")
        desk.say(REP, cr_id, "Approved")
    finally:
        desk.close()
    monkeypatch.setattr(cli_cr, "_now", lambda: desk.clock.now)
    text = EXAMPLE_CONFIG.read_text().replace(
        'data_dir = "mailflow-data"', f'data_dir = "{tmp_path}"'
    )
    config = tmp_path / "mailflow.toml"
    config.write_text(text.replace("[schedule]\n", '[schedule]\ndigest_weekday = "Monday"\n'))
    assert main(["digest", "--dry-run", "--config", str(config)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == [CSM, EXEC], "no customer"
    assert "1 open, 0 overdue" in listed[1]
    assert main(["digest", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == "2 digest(s) queued"
    assert main(["digest", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == "0 digest(s) queued"
    assert main(["digest", "--dry-run", "--config", str(config)]) == 0
    assert capsys.readouterr().out.count("already sent this week") == 2

    config.write_text(text.replace("[schedule]\n", '[schedule]\ndigest_weekday = "someday"\n'
                                   "digest_hour = 24\n"))  # fmt: skip
    assert main(["check", "--config", str(config)]) != 0
    err = capsys.readouterr().err
    assert "schedule.digest_weekday" in err and "schedule.digest_hour" in err

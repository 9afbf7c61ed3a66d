"""The command line: every command has help, errors are one line with an exit code."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailflow.cli.main import _parser, main
from tests.helpers import EXAMPLE_CONFIG, ROOT


def cr_id(number: int) -> str:
    """The id the command line gives the n-th CR opened today (the year comes from the clock)."""
    return f"CR-{datetime.now(UTC).year}-{number:04d}"


def _commands(parser, prefix=()):
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, sub in action.choices.items():
            yield (*prefix, name)
            yield from _commands(sub, (*prefix, name))


@pytest.mark.parametrize("command", sorted(set(_commands(_parser()))))
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: mailflow" in capsys.readouterr().out


@pytest.fixture
def config(tmp_path: Path) -> Path:
    text = EXAMPLE_CONFIG.read_text().replace(
        'data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"'
    )
    path = tmp_path / "mailflow.toml"
    path.write_text(text)
    return path


def test_check_accepts_the_example(config, capsys):
    assert main(["check", "--config", str(config)]) == 0
    assert "OK" in capsys.readouterr().out


def test_check_reports_every_problem_with_file_and_key(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        EXAMPLE_CONFIG.read_text()
        .replace('shared_inbox = "approvals@ft.example"', 'shared_inbox = "nope"')
        .replace('currency = "USD"', 'currency = "dollars"')
        .replace('roles = ["qa"]', 'roles = ["tester"]')
        .replace("poll_seconds = 30", "poll_seconds = -1")
    )
    assert main(["check", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: mailflow.shared_inbox" in err
    assert f"{bad}: accounts[0].currency" in err
    assert f"{bad}: daemon.poll_seconds" in err
    bad.write_text(EXAMPLE_CONFIG.read_text().replace('roles = ["qa"]', 'roles = ["tester"]'))
    assert main(["check", "--config", str(bad)]) == 2
    assert "people[8].roles names the unknown role 'tester'" in capsys.readouterr().err


def test_missing_config_file_is_one_clear_line(tmp_path, capsys):
    assert main(["check", "--config", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err.strip() == f"mailflow: {tmp_path / 'nope.toml'}: no such file"


def test_secrets_come_from_the_environment(config, monkeypatch, capsys):
    text = config.read_text().replace("[database]", '[database]\nurl_env = "MF_TEST_DB"')
    config.write_text(text)
    assert main(["check", "--config", str(config)]) == 2
    assert "database.url_env names $MF_TEST_DB, which is not set" in capsys.readouterr().err
    monkeypatch.setenv("MF_TEST_DB", f"sqlite:///{config.parent / 'env.db'}")
    assert main(["cr", "list", "--config", str(config)]) == 0
    assert not (config.parent / "env.db").exists(), "a command that only reads makes nothing"
    opened = ["--account", "acme", "--title", "T", "--by", "priya@ft.example"]
    assert main(["cr", "new", "--config", str(config), *opened]) == 0
    assert (config.parent / "env.db").exists()
    capsys.readouterr()
    assert main(["cr", "list", "--config", str(config)]) == 0
    assert f"{cr_id(1)}  acme" in capsys.readouterr().out


def test_cr_commands_for_a_csm(config, capsys):
    c = ["--config", str(config)]
    assert (
        main(
            [
                "cr",
                "new",
                *c,
                "--account",
                "acme",
                "--title",
                "Nightly export",
                "--description",
                "Add a column",
                "--by",
                "priya@ft.example",
            ]
        )
        == 0
    )
    assert f"{cr_id(1)} opened" in capsys.readouterr().out
    assert main(["cr", "list", *c]) == 0
    listing = capsys.readouterr().out
    assert "Nightly export" in listing and "Triage" in listing
    assert main(["cr", "hold", cr_id(1), *c, "--by", "priya@ft.example"]) == 0
    assert "(on hold)" in capsys.readouterr().out
    assert main(["cr", "hold", cr_id(1), *c, "--by", "priya@ft.example"]) == 1
    assert "already on hold" in capsys.readouterr().err
    assert main(["cr", "resume", cr_id(1), *c, "--by", "amardeep@ft.example"]) == 0
    assert main(["cr", "cancel", cr_id(1), *c, "--by", "dana@acme.example", "--reason", "x"]) == 1
    assert "only" in capsys.readouterr().err
    assert (
        main(
            [
                "cr",
                "cancel",
                cr_id(1),
                *c,
                "--by",
                "priya@ft.example",
                "--reason",
                "customer withdrew",
            ]
        )
        == 0
    )
    assert main(["cr", "list", *c]) == 0
    assert "no change requests" in capsys.readouterr().out
    assert main(["cr", "list", "--all", *c]) == 0
    assert "Cancelled" in capsys.readouterr().out
    assert main(["cr", "show", cr_id(1).lower(), *c]) == 0
    shown = capsys.readouterr().out
    for text in (
        "Nightly export",
        "Cancelled",
        "HOLD",
        "RESUME",
        "customer withdrew",
        "request for Triage: is this a change request? → integration@ft.example",
        "priya@ft.example (Customer Success Manager): OPEN",
    ):
        assert text in shown
    assert "request/" not in shown and "(csm)" not in shown, "no template names or role keys"
    stage = next(line for line in shown.splitlines() if line.lstrip().startswith("stage:"))
    assert stage.split(":", 1)[1].strip() == "Cancelled", "the stage by its title alone"
    assert main(["cr", "show", cr_id(404), *c]) == 3
    assert capsys.readouterr().err.strip() == f"mailflow: no change request {cr_id(404)}"


def test_cr_new_refuses_non_csms_and_unknown_people(config, capsys):
    c = ["--config", str(config)]
    assert (
        main(["cr", "new", *c, "--account", "acme", "--title", "x", "--by", "dana@acme.example"])
        == 1
    )
    assert "may not open a CR" in capsys.readouterr().err
    assert (
        main(["cr", "new", *c, "--account", "acme", "--title", "x", "--by", "who@nowhere.example"])
        == 3
    )
    assert (
        main(["cr", "new", *c, "--account", "globex", "--title", "x", "--by", "priya@ft.example"])
        == 1
    )
    assert "unknown account 'globex'" in capsys.readouterr().err


def test_workflow_show_text_and_mermaid(config, capsys):
    assert main(["workflow", "show", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert "executive_approval" in text and "REJECTED" in text and "→ costing" in text
    assert main(["workflow", "show", "--mermaid", "--config", str(config)]) == 0
    assert "uat --> development: FAILED" in capsys.readouterr().out


def test_run_once_and_module_entry_points(config):
    for argv in (
        [sys.executable, "-m", "mailflow", "run", "--once", "--config", str(config)],
        [sys.executable, str(ROOT / "run.py"), "--once", "--config", str(config)],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stderr
    assert (config.parent / "data" / "mail" / "inbox").is_dir()


def test_status_counts_and_watcher_health(config, capsys):
    assert main(["status", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "open CRs: 0" in out and "messages: none yet" in out
    assert "no heartbeat yet" in out
    assert "rate limits: nothing held back" in out
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert main(["status", "--config", str(config)]) == 1  # --once has ended: nothing watches
    out = capsys.readouterr().out
    assert "STOPPED — mailbox checked 0 s ago" in out or "STOPPED — mailbox checked 1 s ago" in out
    assert "it stopped cleanly" in out


def test_status_turns_unhealthy_when_the_mailbox_is_not_checked(config, capsys):
    from datetime import UTC, datetime, timedelta

    from mailflow.app import build_app
    from mailflow.store.heartbeat import beat

    app = build_app(config)
    with app.db.transaction() as session:
        beat(
            session,
            "imap://approvals@mail.example/INBOX",
            datetime.now(UTC),
            checked=datetime.now(UTC) - timedelta(minutes=10),
            error="timed out",
        )
    app.close()
    assert main(["status", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "imap://approvals@mail.example/INBOX: UNHEALTHY — mailbox checked 10 min ago" in out
    assert "not been checked for over 300 s" in out and "timed out" in out


def test_check_accepts_the_readme_microsoft_365_example(config, capsys):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("Microsoft 365 (basic authentication is off")[1].split("```toml")[1]
    block = block.split("```")[0]
    text = config.read_text().replace(
        'kind = "maildir"\n\n[source.maildir]', 'kind = "imap"\n\n[source.maildir]', 1
    )
    text = text.replace(
        '[sink]\n# "maildir": outgoing mail is written to <data_dir>/mail/sent; '
        '"smtp": a real server.\nkind = "maildir"',
        '[sink]\nkind = "smtp"',
    )
    config.write_text(text + "\n" + block)
    assert main(["check", "--config", str(config)]) == 0, capsys.readouterr().err
    assert "source imap, sink smtp" in capsys.readouterr().out


def test_check_names_unknown_transport_keys(config, capsys):
    text = config.read_text().replace(
        'kind = "maildir"\n\n[source.maildir]', 'kind = "imap"\n\n[source.maildir]', 1
    )
    config.write_text(text + '\n[source.imap]\nhost = "h"\nusername = "u"\nhostname = "x"\n')
    assert main(["check", "--config", str(config)]) == 2
    assert "source.imap.hostname is not a known setting" in capsys.readouterr().err


def test_cr_set_corrects_typed_fields_and_records_the_change(config, capsys):
    from datetime import UTC, date, datetime, timedelta

    due = date.today() + timedelta(days=60)
    c = ["--config", str(config)]
    assert (
        main(
            ["cr", "new", *c, "--account", "acme", "--title", "Export", "--by", "priya@ft.example"]
        )
        == 0
    )
    cr_id = f"CR-{datetime.now(UTC).year}-0001"
    assert (
        main(
            [
                "cr",
                "set",
                cr_id,
                "Cost=$9,000",
                f"due={due:%d %b %Y}",
                *c,
                "--by",
                "priya@ft.example",
            ]
        )
        == 0
    )
    assert "Cost corrected" in capsys.readouterr().out
    assert (
        main(["cr", "set", cr_id, "Cost=USD 8,500", "Due=soon", *c, "--by", "priya@ft.example"])
        == 1
    )
    err = capsys.readouterr().err
    assert "nothing changed" in err and "Due: 'soon' is not a date" in err
    assert main(["cr", "set", cr_id, "Cost=1", *c, "--by", "dana@acme.example"]) == 1
    assert "may not" in capsys.readouterr().err
    assert main(["cr", "set", cr_id, "Colour=red", *c, "--by", "priya@ft.example"]) == 1
    assert "no field 'Colour'" in capsys.readouterr().err
    assert main(["cr", "show", cr_id, *c]) == 0
    shown = capsys.readouterr().out
    assert "Cost: USD 9,000.00" in shown
    assert f"Due: {due:%A} {due.day} {due:%B} {due.year}" in shown
    assert "correction   priya@ft.example: Cost: (none) → USD 9,000.00" in shown


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("Effort=12abc", "contains 'abc' among the digits"),
        ("Effort=1e309", "contains 'e' among the digits"),
        ("Effort=2 weeks", "counted in person-days, and 'weeks' is not"),
        ("Effort=1,5", "did you mean 1.5 person-days or 15 person-days?"),
        ("Cost=4.800,00", "did you mean USD 4,800.00 or USD 4.80?"),
        ("Cost=€4,800", "is in EUR, but this account is billed in USD"),
        ("Due=03/04/2030", "can be read as day/month or as month/day"),
        ("Due=2001-01-01", "is in the past"),
        ("Jira=INT-482", "not in this account's Jira projects (ACME)"),
        ("Engineer=bob@ft.example", "not one of the configured integration engineers"),
    ],
)
def test_cr_set_refuses_what_a_reply_may_not_say(config, capsys, value, said):
    """The command line reads figures by the same rules as mail: whole, or not at all."""
    from datetime import UTC, datetime

    c = ["--config", str(config), "--by", "priya@ft.example"]
    assert main(["cr", "new", *c, "--account", "acme", "--title", "Export"]) == 0
    cr_id = f"CR-{datetime.now(UTC).year}-0001"
    capsys.readouterr()
    assert main(["cr", "set", cr_id, value, *c]) == 1
    err = capsys.readouterr().err
    assert said in err and "nothing changed" in err
    assert len(err.strip().splitlines()) == 1, "one line, as every command error"


def test_cr_report_counts_stages_and_overdue(config, capsys):
    from datetime import UTC, datetime, timedelta

    from mailflow.app import build_app
    from mailflow.store.tables import ChangeRequest

    c = ["--config", str(config)]
    for title in ("One", "Two", "Three"):
        assert (
            main(
                ["cr", "new", *c, "--account", "acme", "--title", title, "--by", "priya@ft.example"]
            )
            == 0
        )
    assert main(["cr", "cancel", cr_id(3), *c, "--by", "priya@ft.example", "--reason", "dup"]) == 0
    app = build_app(config)
    with app.db.transaction() as session:
        old = session.get(ChangeRequest, cr_id(1))
        old.entered_at = datetime.now(UTC) - timedelta(days=3)
        session.add(old)
    app.close()
    capsys.readouterr()
    assert main(["cr", "report", *c]) == 0
    out = capsys.readouterr().out
    assert "Triage: is this a change request?" in out
    assert "Cancelled 1" in out
    assert "Overdue" in out and cr_id(1) in out.split("Overdue")[1]
    assert cr_id(2) not in out.split("Overdue")[1]

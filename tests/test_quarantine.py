"""The quarantine from the command line: list, show, and release a message to be handled anew."""

from __future__ import annotations

import dataclasses

import pytest

from mailflow.chain import post
from mailflow.cli.main import main
from mailflow.transport.maildir import deliver
from tests.helpers import EXAMPLE_CONFIG, Desk


@pytest.fixture
def desk(tmp_path, monkeypatch):
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text()
        .replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path}"')
        .replace("quarantine_after_attempts = 3", "quarantine_after_attempts = 1")
    )
    monkeypatch.setenv("MAILFLOW_CONFIG", str(config))
    d = Desk(tmp_path, adjust=lambda s: dataclasses.replace(s, quarantine_after_attempts=1))
    yield d
    d.close()


def test_a_released_message_is_handled_as_new(desk, monkeypatch, capsys):
    cr_id = desk.open_cr()
    real = post.queue_mail

    def broken(*args, **kwargs):
        raise RuntimeError("template bug")

    monkeypatch.setattr(post, "queue_mail", broken)
    desk.say("integration@ft.example", cr_id, "IS CR")
    quarantined = desk.ledger()[-1]
    assert quarantined.outcome == "quarantined"
    assert len(list((desk.root / "quarantine").glob("*/*"))) == 1

    assert main(["quarantine", "list"]) == 0
    out = capsys.readouterr().out
    assert "template bug" in out and "1 quarantined message(s)" in out
    assert main(["quarantine", "show", str(quarantined.id)]) == 0
    out = capsys.readouterr().out
    assert "From: integration@ft.example" in out and "RuntimeError: template bug" in out

    monkeypatch.setattr(post, "queue_mail", real)
    assert main(["quarantine", "release", str(quarantined.id)]) == 0
    assert "back in the inbox" in capsys.readouterr().out
    assert list((desk.root / "quarantine").glob("*/*")) == []
    desk.daemon.run(once=True)
    assert desk.stage(cr_id) == "in_principle"
    outcomes = [e.outcome for e in desk.ledger()]
    assert outcomes.count("quarantined") == 1 and outcomes[-1] == "applied"

    assert main(["quarantine", "list"]) == 0
    assert "0 quarantined message(s)" in capsys.readouterr().out
    assert main(["quarantine", "release", str(quarantined.id)]) == 1
    assert "already released" in capsys.readouterr().err


def test_show_of_an_unknown_id_is_one_line(desk, capsys):
    assert main(["quarantine", "show", "999"]) == 3
    assert capsys.readouterr().err.strip() == (
        "mailflow: no quarantined message 999 (see `mailflow quarantine list`)"
    )


def test_unreadable_bytes_are_quarantined_at_once_and_can_be_shown(desk, capsys):
    deliver(desk.root, b"\x00\x01 garbage")
    desk.daemon.run(once=True)
    entry = desk.ledger()[-1]
    assert entry.outcome == "quarantined" and "unreadable" in entry.reason
    assert main(["quarantine", "show", str(entry.id)]) == 0

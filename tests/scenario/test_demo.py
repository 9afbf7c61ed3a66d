"""`mailflow demo` end to end: one CR through all 19 stages by real mail and the real loop."""

from __future__ import annotations

from datetime import UTC, datetime

from mailflow.cli.main import main
from tests.helpers import EXAMPLE_CONFIG


def test_the_demo_closes_its_cr_after_every_stage(tmp_path, capsys):
    code = main(["demo", "--config", str(EXAMPLE_CONFIG), "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ended as: Closed" in out
    timeline = out.rsplit("\nTimeline:\n", 1)[1]
    assert "refusal      qa@ft.example: wrong_sender" in timeline
    assert "refusal      dana@acme.example: unclear" in timeline
    assert "explain/unclear → dana@acme.example" in timeline
    assert "auto-reply   amardeep@ft.example" in timeline
    assert "Executive approval → Costing" in timeline, "rejection loops back to costing"
    assert "Integration testing and UAT → Development" in timeline, "UAT failure loops back"
    assert "question     dana@acme.example: likely: read as APPROVED" in timeline
    assert "explain/confirm → dana@acme.example" in timeline
    stages_seen = {
        line.split("→")[1].strip() for line in timeline.splitlines() if " transition " in line
    }
    assert len(stages_seen) == 19, sorted(stages_seen)


def test_the_demo_sends_only_real_files_to_the_sent_maildir(tmp_path, capsys):
    assert (
        main(["demo", "--config", str(EXAMPLE_CONFIG), "--data-dir", str(tmp_path), "--quiet"]) == 0
    )
    sent = list((tmp_path / "mail" / "sent").glob("*/*"))
    assert len(sent) > 50
    first = f"Message-ID: <cr-{datetime.now(UTC).year}-0001.".encode()
    assert all(first in f.read_bytes() for f in sent)

"""`mailflow demo` end to end: one CR through all 19 stages by real mail and the real loop."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from mailflow.cli.main import main
from tests.helpers import EXAMPLE_CONFIG, ROOT


def test_the_demo_closes_its_cr_after_every_stage(tmp_path, capsys):
    code = main(["demo", "--config", str(EXAMPLE_CONFIG), "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ended as: Closed" in out
    timeline = out.rsplit("\nTimeline:\n", 1)[1]
    assert "refusal      qa@ft.example: wrong sender" in timeline, "the reason in words"
    assert "refusal      dana@acme.example: unclear" in timeline
    assert "explanation: unclear → dana@acme.example" in timeline
    assert "auto-reply   amardeep@ft.example" in timeline
    assert "Executive approval → Costing" in timeline, "rejection loops back to costing"
    assert "Integration testing and UAT → Development" in timeline, "UAT failure loops back"
    assert "question     dana@acme.example: likely: read as APPROVED" in timeline
    assert "explanation: confirm → dana@acme.example" in timeline
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


def _demo(tmp_path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The demo as a person starts it: its own process, its own log handler."""
    return subprocess.run(
        [sys.executable, "-m", "mailflow", "demo", "--config", str(EXAMPLE_CONFIG)]
        + ["--data-dir", str(tmp_path / "demo"), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_the_demo_tells_its_story_in_full_and_says_where_its_mails_are(tmp_path):
    done = _demo(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "no log lines without -v"
    assert " INFO " not in done.stdout
    story = done.stdout
    for line in ("| Cost: USD 9,600", "| Effort: 12", "| Signed off.", "| UAT complete."):
        assert line in story, f"each mail is shown whole, figures included: {line}"
    assert "[attached: CR-loyalty-export.docx]" in story
    mail = tmp_path / "demo" / "mail"
    assert f"The demo's mails are in {mail}" in story
    read = re.search(r"cat (\S+)", story)
    assert (
        read
        and Path(read.group(1)).is_file()
        and Path(read.group(1)).parent.parent == (mail / "sent")
    )
    explained = re.search(r"mailflow explain (\S+)", story)
    assert explained and Path(explained.group(1)).is_file()


def test_the_demo_shows_the_service_log_with_v(tmp_path):
    done = _demo(tmp_path, "-v")
    assert done.returncode == 0, done.stderr
    assert "mailflow starting" in done.stderr and " INFO " in done.stderr

"""`python3 run.py` on a checkout with nothing installed: it installs itself, then runs."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.helpers import ROOT


def test_run_py_bootstraps_a_fresh_checkout(tmp_path):
    checkout = tmp_path / "mailflow"
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        target = checkout / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    # -S hides this interpreter's site-packages: as on a machine where nothing is installed.
    done = subprocess.run(
        [sys.executable, "-S", "run.py", "--once"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "first run: installing" in done.stderr
    assert (checkout / ".venv" / "bin" / "mailflow").exists()
    assert (checkout / "mailflow-data" / "mail" / "inbox").is_dir()
    again = subprocess.run(
        [str(checkout / ".venv" / "bin" / "python"), "run.py", "--once"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and "first run" not in again.stderr
    stamp = checkout / ".venv" / "mailflow-installed.sha256"
    installed_at = stamp.stat().st_mtime_ns
    # From the bare interpreter again: straight into .venv, no pip, no package index.
    third = subprocess.run(
        [sys.executable, "-S", "run.py", "--once"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert third.returncode == 0, third.stderr[-2000:]
    assert stamp.stat().st_mtime_ns == installed_at, "nothing was installed again"
    assert "mailflow starting: config" in third.stderr
    for part in ("mailbox maildir:", "database sqlite:///", "workflow change_request"):
        assert part in third.stderr
    assert (
        third.stderr.strip()
        .splitlines()[-1]
        .endswith("done: 0 message(s) handled (none waiting), 0 mail(s) sent, 0 reminder(s)")
    )
    (checkout / "pyproject.toml").write_text(
        (checkout / "pyproject.toml").read_text() + "\n# a changed dependency list\n"
    )
    fourth = subprocess.run(
        [sys.executable, "-S", "run.py", "--once"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert fourth.returncode == 0, fourth.stderr[-2000:]
    assert stamp.stat().st_mtime_ns != installed_at, "a changed pyproject.toml installs again"

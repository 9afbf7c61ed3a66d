"""contrib/mailflow.service: a dedicated user, hardening, reload by SIGHUP, and a unit that
systemd itself accepts (`systemd-analyze verify`, where systemd is installed)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

UNIT = ROOT / "contrib" / "mailflow.service"


def _service() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser["Service"]


def test_the_unit_runs_as_its_own_user_hardened_and_reloads_with_sighup():
    service = _service()
    assert service["User"] == "mailflow" and service["Group"] == "mailflow"
    for key, value in {
        "NoNewPrivileges": "true",
        "ProtectSystem": "strict",
        "ProtectHome": "true",
        "PrivateTmp": "true",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == value, key
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert "mailflow run" in service["ExecStart"]


def test_systemd_accepts_the_unit(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (no systemd on this machine)")
    # verify checks that the programs exist: point them at ones that do, keep the rest.
    text = UNIT.read_text().replace(
        "/opt/mailflow/.venv/bin/mailflow", shutil.which("true") or "/bin/true"
    )
    unit = tmp_path / "mailflow.service"
    unit.write_text(text)
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "mailflow.service" in line and "Documentation" not in line
    ]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr

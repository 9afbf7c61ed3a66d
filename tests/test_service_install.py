"""Installing mailflow as a service, as far as a test machine allows.

The README's install steps need root and a running systemd; what can be run here is:
systemd-analyze verify on the unit, the README's own line that makes data_dir absolute,
`mailflow check --for-unit` judging the configured paths against the unit's sandbox,
`mailflow status` creating nothing, and `check` naming a package a setting needs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from mailflow.cli.main import main
from mailflow.cli.unit import Verdict, judge, read_unit
from tests.helpers import EXAMPLE_CONFIG, ROOT
from tests.pg import postgres_server, postgres_url  # noqa: F401

UNIT = ROOT / "contrib" / "mailflow.service"


def _readme_line(starting: str) -> str:
    """The README's install step that starts so, exactly as written there."""
    lines = [line for line in (ROOT / "README.md").read_text().splitlines()]
    (line,) = [line for line in lines if line.startswith(starting)]
    return line


def _unit_for(tmp_path: Path, config: Path, writable: Path | None = None) -> Path:
    """The unit as shipped, reading `config`; tests live under /tmp, so /tmp is not private."""
    shipped = "Environment=MAILFLOW_CONFIG=/etc/mailflow/mailflow.toml"
    text = UNIT.read_text().replace(shipped, f"Environment=MAILFLOW_CONFIG={config}")
    text = text.replace("PrivateTmp=true", "PrivateTmp=false")
    if writable is not None:
        text = text.replace("ReadWritePaths=/var/lib/mailflow", f"ReadWritePaths={writable}")
    assert f"MAILFLOW_CONFIG={config}" in text and "PrivateTmp=false" in text
    unit = tmp_path / "mailflow.service"
    unit.write_text(text)
    return unit


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_systemd_accepts_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: no systemd on this machine")
    # verify wants the programs to exist: point them at one that does, keep everything else
    unit = tmp_path / "mailflow.service"
    unit.write_text(UNIT.read_text().replace("/opt/mailflow/.venv/bin/mailflow", "/bin/true"))
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "mailflow.service" in line and "Documentation" not in line
    ]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def test_the_readme_makes_data_dir_absolute_and_the_unit_accepts_it(tmp_path, capsys):
    config = tmp_path / "mailflow.toml"
    shutil.copy(EXAMPLE_CONFIG, config)
    sed = _readme_line("sed -i 's|^data_dir")
    subprocess.run(sed.replace("/etc/mailflow/mailflow.toml", str(config)), shell=True, check=True)
    assert 'data_dir = "/var/lib/mailflow"' in config.read_text()
    if not os.access("/var/lib", os.W_OK):
        pytest.skip("/var/lib is not writable here, so this configuration cannot be loaded")
    unit = _unit_for(tmp_path, config)
    assert main(["check", "--config", str(config), "--for-unit", str(unit)]) == 0, (
        capsys.readouterr().err
    )
    assert f"fits the unit {unit}" in capsys.readouterr().out


def test_a_relative_data_dir_is_refused_for_the_unit(tmp_path, capsys):
    """The issue's case: the example's mailflow-data next to /etc/mailflow/mailflow.toml."""
    config = tmp_path / "etc" / "mailflow.toml"
    config.parent.mkdir()
    shutil.copy(EXAMPLE_CONFIG, config)
    unit = _unit_for(tmp_path, config)
    assert main(["check", "--config", str(config), "--for-unit", str(unit)]) == 2
    err = capsys.readouterr().err
    assert f"mailflow.data_dir is {tmp_path / 'etc' / 'mailflow-data'}" in err
    assert "ProtectSystem=strict" in err and "/var/lib/mailflow" in err
    assert "source.maildir.path" in err and "database.url" in err
    assert main(["check", "--config", str(config)]) == 0, "fine without a unit"


def test_a_folder_the_unit_lets_write_is_accepted(tmp_path, capsys, monkeypatch):
    data = tmp_path / "state"
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace('data_dir = "mailflow-data"', f'data_dir = "{data}"')
    )
    monkeypatch.setenv("MAILFLOW_CONFIG", str(config))
    assert main(["check", "--for-unit", str(_unit_for(tmp_path, config, data))]) == 0, (
        capsys.readouterr().err
    )
    assert main(["check", "--for-unit", str(UNIT)]) == 2
    err = capsys.readouterr().err
    assert (
        f"the unit reads /etc/mailflow/mailflow.toml (Environment=MAILFLOW_CONFIG), not {config}"
        in err
    )
    assert "PrivateTmp=true gives the service its own /tmp" in err


@pytest.mark.parametrize(
    ("path", "verdict", "why"),
    [
        ("/var/lib/mailflow", Verdict.WRITABLE, ""),
        ("/var/lib/mailflow/mail/inbox", Verdict.WRITABLE, ""),
        ("/etc/mailflow/mailflow-data", Verdict.READ_ONLY, "ProtectSystem=strict"),
        ("/srv/mailflow", Verdict.READ_ONLY, "ProtectSystem=strict"),
        ("/var/lib/mailflow-other", Verdict.READ_ONLY, "ProtectSystem=strict"),
        ("/home/ops/mailflow-data", Verdict.HIDDEN, "ProtectHome=true"),
        ("/root/mailflow-data", Verdict.HIDDEN, "ProtectHome=true"),
        ("/tmp/mailflow-data", Verdict.EPHEMERAL, "PrivateTmp=true"),
    ],
)
def test_the_sandbox_of_the_unit(path, verdict, why):
    found, reason = judge(read_unit(UNIT), Path(path))
    assert found is verdict and why in reason


def test_status_creates_nothing_before_the_first_run(tmp_path, capsys):
    data = tmp_path / "new" / "data"
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace('data_dir = "mailflow-data"', f'data_dir = "{data}"')
    )
    before = _tree(tmp_path)
    assert main(["--config", str(config), "status"]) == 1
    out = capsys.readouterr().out
    assert f"database: none yet at {data / 'mailflow.db'}" in out
    assert "no heartbeat yet" in out
    assert _tree(tmp_path) == before, "status made no folder and no database"


def test_run_once_on_an_empty_inbox_says_where_mail_is_read_and_what_to_try(tmp_path):
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace(
            'data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"'
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "mailflow", "--config", str(config), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    # for the person, on stdout: the log on stderr still ends with the summary line
    assert f"the Maildir folder {tmp_path / 'data' / 'mail' / 'inbox'}" in done.stdout
    assert "mailflow demo" in done.stdout
    assert done.stderr.strip().splitlines()[-1].endswith("0 reminder(s)")


def test_a_setting_whose_package_is_missing_is_named_before_run_starts(
    tmp_path, capsys, monkeypatch
):
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace(
            'data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"'
        )
        + "\n[metrics]\nport = 9325\n"
    )
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # as if not installed
    assert main(["check", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert re.search(r"\[metrics\] port needs the prometheus-client package", line)
    assert main(["run", "--once", "--config", str(config)]) == 2
    assert "prometheus-client" in capsys.readouterr().err
    assert not (tmp_path / "data").exists(), "run stopped before opening anything"
    monkeypatch.undo()
    assert main(["check", "--config", str(config)]) == 0


def test_a_command_whose_package_is_missing_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    """`mailflow web` on an install without uvicorn: one line, not a traceback."""
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    assert main(["web", "--config", str(EXAMPLE_CONFIG)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("mailflow: the uvicorn package is not installed; install mailflow")


def test_status_on_an_empty_postgresql_database_creates_no_table(tmp_path, postgres_url, capsys):  # noqa: F811, E501
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text()
        .replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"')
        .replace('# url_env = "MAILFLOW_DATABASE_URL"', f'url = "{postgres_url}"')
    )
    assert main(["--config", str(config), "status"]) == 1
    assert "is still empty" in capsys.readouterr().out
    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == [], "status made no table"
    finally:
        engine.dispose()

"""A command that only reads checks the tables it reads, as it reads them; `check` and `run`
still check the whole file at once. Both make the same settings from the same file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mailflow.cli.main import main
from mailflow.config.parts import PART_OF, PARTS
from mailflow.config.settings import Settings, load_settings
from mailflow.errors import ConfigError
from tests.helpers import example_changed

A_MISTAKE_IN_SECURITY = ("accept_forwarded = false", 'accept_forwarded = "false"')
A_MISTAKE_IN_DAEMON = ("unhealthy_after_seconds = 300", 'unhealthy_after_seconds = "300"')


def _write(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    return example_changed(tmp_path, *changes)


def test_every_setting_is_made_by_exactly_one_part() -> None:
    fields = [f.name for f in dataclasses.fields(Settings) if f.name != "path"]
    names = [name for part in PARTS for name in part.names]
    assert sorted(names) == sorted(fields)
    assert len(set(names)) == len(names)


def test_each_part_makes_the_settings_it_names(tmp_path: Path) -> None:
    whole = load_settings(_write(tmp_path))
    for part in PARTS:
        as_used = load_settings(_write(tmp_path), as_used=True)
        assert {n: getattr(as_used, n) for n in part.names} == {
            n: getattr(whole, n) for n in part.names
        }, part.tables
        assert set(vars(as_used)) - {"path", "_unread"} == set(part.names)


def test_settings_read_as_used_equal_the_whole(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert load_settings(path, as_used=True) == load_settings(path)


def test_a_table_never_read_is_never_checked(tmp_path: Path) -> None:
    path = _write(tmp_path, A_MISTAKE_IN_SECURITY)
    settings = load_settings(path, as_used=True)
    assert settings.database_url.startswith("sqlite:///")
    assert len(settings.people) == 9
    with pytest.raises(ConfigError) as raised:
        settings.security  # noqa: B018 (the reading is what is tested)
    assert raised.value.problems[0].startswith(f"{path}: security.accept_forwarded is 'false'")


def test_a_table_read_is_checked_with_its_key(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, A_MISTAKE_IN_DAEMON)
    assert main(["status", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"mailflow: {path}: daemon.unhealthy_after_seconds is '300'; expected" in err


def test_a_misspelt_table_still_stops_a_reading_command(tmp_path: Path, capsys) -> None:
    """Else a misspelt [databse] would show a new, empty database as if it were the one."""
    path = _write(tmp_path, ("[database]", "[databse]"))
    assert main(["cr", "list", "--config", str(path)]) == 2
    assert "[databse] is not a known table (did you mean [database]?)" in capsys.readouterr().err


def test_check_and_run_still_name_a_table_no_reading_command_reads(tmp_path, capsys) -> None:
    path = _write(tmp_path, A_MISTAKE_IN_SECURITY, A_MISTAKE_IN_DAEMON)
    assert main(["cr", "list", "--config", str(path)]) == 0
    capsys.readouterr()
    for command in (["check"], ["run", "--once"]):
        assert main([*command, "--config", str(path)]) == 2
        err = capsys.readouterr().err
        assert "security.accept_forwarded" in err and "daemon.unhealthy_after_seconds" in err


def test_a_part_is_found_by_each_of_its_settings() -> None:
    assert all(PART_OF[name] is part for part in PARTS for name in part.names)
    assert "path" not in PART_OF

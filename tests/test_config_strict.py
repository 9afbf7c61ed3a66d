"""The configuration is read strictly: each of these mistakes is named, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.app import build_app
from mailflow.cli.main import main
from mailflow.errors import ConfigError
from tests.helpers import EXAMPLE_CONFIG

EXAMPLE = EXAMPLE_CONFIG.read_text()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mailflow.toml"
    path.write_text(text.replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "d"}"'))
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        build_app(_write(tmp_path, text))
    return raised.value.problems


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("accept_forwarded = false", 'accept_forwarded = "false"'), "security.accept_forwarded"),
        (("[security]\n", "[securty]\n"), "securty"),
        (("[security.roles]\n", "[security.roles]\nexecutiv = 'authenticated'\n"),
         "security.roles.executiv"),
        (("poll_seconds = 30", "poll_seconds = 1e400"), "daemon.poll_seconds"),
        (("poll_seconds = 30", "poll_seconds = true"), "daemon.poll_seconds"),
        (("escalate_after = 2", "escalate_after = 2.5"), "daemon.escalate_after"),
        (("# url_env", 'url = "mysql://u@db/mf"\n# url_env'), "database.url"),
        (("# templates = ", 'templates = "nowhere"\n# templates = '), "mailflow.templates"),
        (('roles = ["executive"]', 'roles = ["management_cc"]'), "executive"),
        (('email = "qa@ft.example"', 'email = "approvals@ft.example"'), "people[8].email"),
        (("name = \"FT QA\"", "name = \"FT QA\"\nnickname = \"qa\""), "people[8].nickname"),
        (('currency = "USD"', 'currency = "USD"\ncolour = "red"'), "accounts[0].colour"),
    ],
)  # fmt: skip
def test_each_mistake_is_named(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    assert change[0] in EXAMPLE
    problems = _problems(tmp_path, EXAMPLE.replace(change[0], change[1], 1))
    assert any(key in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "mailflow.toml") + ": ") for p in problems)


def test_folders_must_be_writable(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    text = EXAMPLE.replace('# path = "mailflow-data/mail"', f'path = "{tmp_path / "afile"}"')
    assert any("source.maildir.path" in p and "a file" in p for p in _problems(tmp_path, text))
    text = EXAMPLE.replace('data_dir = "mailflow-data"', 'data_dir = "/proc/mailflow"')
    path = tmp_path / "proc.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        build_app(path)
    assert any("mailflow.data_dir" in p for p in raised.value.problems)


def test_check_lists_every_problem_in_people_at_once(tmp_path: Path, capsys) -> None:
    text = EXAMPLE.replace('email = "qa@ft.example"', "email = 7").replace(
        'email = "devops@ft.example"', 'email = "devops@ft.example"\nrole = "devops"'
    )
    assert main(["check", "--config", str(_write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert "people[7].role" in err and "people[8].email" in err
    assert "Traceback" not in err


def test_run_checks_first(tmp_path: Path, capsys) -> None:
    text = EXAMPLE.replace("accept_forwarded = false", 'accept_forwarded = "false"')
    assert main(["run", "--once", "--config", str(_write(tmp_path, text))]) == 2
    assert "security.accept_forwarded" in capsys.readouterr().err

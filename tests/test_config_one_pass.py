"""`mailflow check` reads a configuration in one pass: the schema and what the file means,
every problem at once, a near miss named with what was meant, nothing raised in silence."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from mailflow.cli.main import main
from mailflow.config.schema import ConfigFile
from mailflow.config.settings import load_settings
from mailflow.errors import ConfigError
from tests.helpers import EXAMPLE_CONFIG, example_changed

EXAMPLE = EXAMPLE_CONFIG.read_text()


def _check(tmp_path: Path, *changes: tuple[str, str]) -> list[str]:
    """The lines `mailflow check` prints for the example with these changes, each change
    made once and required to apply."""
    return _run_check(example_changed(tmp_path, *changes))


def _run_check(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert all(line.startswith(f"{path}: ") for line in raised.value.problems)
    return [line.removeprefix(f"{path}: ") for line in raised.value.problems]


def test_an_unknown_account_an_unknown_role_and_a_type_error_in_one_run(tmp_path, capsys):
    text = (
        EXAMPLE.replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "d"}"')
        .replace('accounts = ["acme"]', 'accounts = ["acme", "globex"]', 1)
        .replace('roles = ["qa"]', 'roles = ["tester"]')
        .replace("escalate_after = 2", 'escalate_after = "2"')
    )
    path = tmp_path / "mailflow.toml"
    path.write_text(text)
    assert main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: people[0].accounts names the unknown account 'globex'" in err
    assert f"{path}: people[8].roles names the unknown role 'tester'" in err
    assert f"{path}: daemon.escalate_after is '2'; expected" in err
    assert err.count("mailflow: ") == 3, err


def test_a_misspelt_table_is_named_with_the_one_meant(tmp_path):
    problems = _check(tmp_path, ("[daemon]", "[deamon]"))
    assert problems == ["[deamon] is not a known table (did you mean [daemon]?)"]


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (("poll_seconds = 30", "pol_seconds = 30"),
         "daemon.pol_seconds is not a known setting (did you mean daemon.poll_seconds?)"),
        (("accept_forwarded = false", "acept_forwarded = false"),
         "security.acept_forwarded is not a known setting "
         "(did you mean security.accept_forwarded?)"),
        (('roles = ["qa"]', 'role = ["qa"]'),
         "people[8].role is not a known setting (did you mean people[8].roles?)"),
        (("[security.roles]\n", "[security.role]\n"),
         "[security.role] is not a known table (did you mean [security.roles]?)"),
        (("[source.maildir]", "[source.maildr]"),
         "[source.maildr] is not a known table (did you mean [source.maildir]?)"),
        (('accounts = ["acme"]', 'accounts = ["acm"]'),
         "people[0].accounts names the unknown account 'acm' (did you mean 'acme'?)"),
        (("[security.roles]\n", "[security.roles]\nexecutiv = 'authenticated'\n"),
         "security.roles.executiv is not a role of the workflow (did you mean 'executive'?)"),
    ],
)  # fmt: skip
def test_a_near_miss_names_what_was_meant(tmp_path, change, line):
    problems = _check(tmp_path, change)
    assert any(p.startswith(line) for p in problems), problems


def test_a_name_near_nothing_gets_no_guess(tmp_path):
    problems = _check(tmp_path, ("poll_seconds = 30", "colour = 30"))
    assert problems == ["daemon.colour is not a known setting"]


def test_the_currency_error_echoes_what_was_written(tmp_path):
    problems = _check(tmp_path, ('currency = "USD"', 'currency = "dollars"'))
    assert problems == ["accounts[0].currency is 'dollars'; expected a 3-letter code like USD"]


@pytest.mark.parametrize("written", ["0", "-2"])
def test_a_value_out_of_range_is_refused_not_raised(tmp_path, written):
    change = ("quarantine_after_attempts = 3", f"quarantine_after_attempts = {written}")
    problems = _check(tmp_path, change)
    assert len(problems) == 1 and problems[0].startswith(
        f"daemon.quarantine_after_attempts is {written}; expected"
    ), problems
    assert ">= 1" in problems[0] or "greater than or equal to 1" in problems[0]


def test_meaning_is_checked_beside_a_shape_error_elsewhere(tmp_path):
    """The shared inbox given to a person is found although [daemon] is wrong too."""
    problems = _check(
        tmp_path,
        ('email = "qa@ft.example"', 'email = "approvals@ft.example"'),
        ("poll_seconds = 30", "poll_seconds = true"),
    )
    assert any(p.startswith("people[8].email is the shared inbox") for p in problems)
    assert any(p.startswith("daemon.poll_seconds is True") for p in problems)


def test_a_secret_from_an_unset_variable_is_named_with_its_key(tmp_path, monkeypatch):
    monkeypatch.delenv("MAILFLOW_NOT_SET", raising=False)
    block = '\n[sink.smtp]\nhost = "h"\npassword_env = "MAILFLOW_NOT_SET"\n'
    problems = _check(tmp_path, ("[daemon]", f"{block}\n[daemon]"))
    assert problems == ["sink.smtp.password_env names $MAILFLOW_NOT_SET, which is not set"]


def _defaults(model: Any) -> dict[str, Any]:
    return {name: f.get_default(call_default_factory=True) for name, f in model.items()}


def test_a_table_left_out_takes_the_schemas_defaults(tmp_path):
    data = tomllib.loads(EXAMPLE)
    data["mailflow"]["data_dir"] = str(tmp_path / "d")
    for name in ("daemon", "limits", "documents"):
        del data[name]
    path = tmp_path / "mailflow.toml"
    path.write_text("")  # the folder the paths are relative to
    from mailflow.config.settings import settings_from

    settings = settings_from(data, path)
    daemon = _defaults(ConfigFile.model_fields["daemon"].annotation.model_fields)
    assert settings.poll_seconds == daemon["poll_seconds"]
    assert settings.quarantine_after_attempts == daemon["quarantine_after_attempts"]
    assert settings.lease_seconds == daemon["lease_seconds"]
    assert settings.max_attach_bytes == 10 * 1024 * 1024


def _leaf_fields(model: Any, where: str) -> list[tuple[str, Any]]:
    from mailflow.config.problems import _fields, _model_in

    out = []
    for name, field in _fields(model).items():
        inner = _model_in(field.annotation)
        if inner is not None and name not in ("imap", "smtp"):
            out += _leaf_fields(inner, f"{where}{name}.")
        else:
            out.append((f"{where}{name}", field))
    return out


def test_every_setting_is_documented_on_its_field():
    undocumented = [key for key, field in _leaf_fields(ConfigFile, "") if not field.description]
    assert not undocumented

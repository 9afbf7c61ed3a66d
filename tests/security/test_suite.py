"""The suite itself: every attack file is exercised, and the whole lifecycle still works."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mailflow.cli.main import main
from mailflow.config.settings import settings_from
from mailflow.errors import ConfigError
from tests.helpers import EXAMPLE_CONFIG
from tests.security.kit import ATTACKS

POSITIVE = {
    "dmarc-pass-authenticated-policy.eml",
    "token-in-subaddress-of-sender.eml",
    "status-query-without-token.eml",
}


def test_at_least_forty_attack_mails_each_used_by_a_test():
    names = {p.name for p in ATTACKS.glob("*.eml")}
    assert len(names - POSITIVE) >= 40
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    unused = sorted(n for n in names if f'"{n}"' not in tests)
    assert not unused, unused


def test_the_whole_lifecycle_passes_under_the_default_token_policy(tmp_path, capsys):
    data = tomllib.loads(EXAMPLE_CONFIG.read_text())
    del data["security"]
    settings = settings_from(data, EXAMPLE_CONFIG)
    assert settings.security.policy == "token"
    code = main(["demo", "--config", str(EXAMPLE_CONFIG), "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "ended as: Closed" in out
    assert "no_valid_token" not in out, "every scripted reply carried its token"


def test_security_settings_are_checked():
    with pytest.raises(ConfigError) as err:
        settings_from(
            {
                "mailflow": {"shared_inbox": "approvals@ft.example"},
                "security": {"policy": "trust-me", "roles": {"executive": "maybe"}, "x": 1},
                "limits": {"total_per_hour": -1},
            },
            None,
        )
    text = "\n".join(err.value.problems)
    assert "security.policy is 'trust-me'" in text
    assert "security.roles.executive is 'maybe'" in text
    assert "security.x is not a known setting" in text
    assert "limits.total_per_hour is -1" in text

"""contrib/mailflow.service: a dedicated user, hardening, reload by SIGHUP (systemd's own
check of the unit is in tests/test_service_install.py)."""

from __future__ import annotations

import configparser

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

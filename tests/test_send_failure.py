"""A mail refused for good: on the CR's timeline, logged as an error, and `status` unhealthy."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from mailflow.cli.main import main
from mailflow.errors import PermanentSendError
from tests.helpers import EXAMPLE_CONFIG, Desk


class RefusingSink:
    def send(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> None:
        raise PermanentSendError(f"{recipients[0]}: 550 5.1.1 No such user")

    def close(self) -> None:
        """Nothing to release."""


def test_a_permanent_failure_is_recorded_logged_and_unhealthy(
    tmp_path, monkeypatch, caplog, capsys
):
    config = tmp_path / "mailflow.toml"
    config.write_text(EXAMPLE_CONFIG.read_text().replace("mailflow-data", str(tmp_path)))
    monkeypatch.setenv("MAILFLOW_CONFIG", str(config))
    desk = Desk(tmp_path)
    try:
        desk.daemon.sink = RefusingSink()
        with caplog.at_level(logging.ERROR):
            cr_id = desk.open_cr()
        assert any(
            r.levelno == logging.ERROR and "failed for good" in r.getMessage()
            for r in caplog.records
        )
        events = desk.events(cr_id, {"delivery_failed"})
        assert events and "550 5.1.1 No such user" in events[0].detail
        capsys.readouterr()
        desk.clock.now = datetime.now(UTC)  # the watcher is fresh: only the outbox is wrong
        desk.daemon.run(once=True)
        assert main(["status"]) == 1
        out = capsys.readouterr().out
        assert "outbox: UNHEALTHY" in out and "failed for good" in out
        assert "watcher MaildirSource: healthy" in out
    finally:
        desk.close()

"""A command starts with the cycle collector off, and collects again once its database is
open: the daemon serves for months with the collector on, and a command run in-process
(as these tests run them) leaves the collector as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailflow.cli.main import main
from mailflow.collector import quiet_start, settled
from tests.helpers import example_changed, make_app


@pytest.fixture
def collecting() -> Iterator[None]:
    """The collector on and nothing frozen, as a program starts; restored afterwards."""
    was_on, frozen = gc.isenabled(), gc.get_freeze_count()
    gc.unfreeze()
    gc.enable()
    yield
    if frozen:
        gc.freeze()
    if not was_on:
        gc.disable()


def test_opening_the_database_turns_the_collector_back_on(tmp_path: Path, collecting: None) -> None:
    app = make_app(tmp_path)
    with quiet_start():
        assert not gc.isenabled()
        assert app.db is not None
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what start-up made is left out of the walks
    app.close()


def test_a_command_that_only_reads_turns_it_back_on_too(tmp_path: Path, collecting: None) -> None:
    app = make_app(tmp_path)
    app.db.dispose()  # the tables exist; a reading command opens them afresh
    app = make_app(tmp_path)
    with quiet_start():
        app.for_reading()
        assert gc.isenabled()
    app.close()


def test_a_command_leaves_the_collector_as_it_found_it(
    tmp_path: Path, collecting: None, capsys: pytest.CaptureFixture[str]
) -> None:
    config = example_changed(tmp_path)
    make_app(tmp_path / "d").db.dispose()  # the tables the command reads
    assert main(["cr", "list", "--all", "--config", str(config)]) == 0  # opens the database
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert main(["workflow", "show", "--config", str(config)]) == 0  # never opens it
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # a program that embeds mailflow and collects by itself
    assert main(["cr", "list", "--all", "--config", str(config)]) == 0
    assert not gc.isenabled() and gc.get_freeze_count() == 0
    assert "no change requests" in capsys.readouterr().out


def test_settling_outside_a_command_start_changes_nothing(collecting: None) -> None:
    gc.disable()
    settled()
    assert not gc.isenabled() and gc.get_freeze_count() == 0

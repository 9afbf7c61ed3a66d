"""Strict typing and lint are part of the suite: a type error or an unformatted file fails it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}"


def test_the_package_type_checks_strictly() -> None:
    _run("mypy", "--strict", "mailflow")


@pytest.mark.parametrize("command", [("check",), ("format", "--check")], ids=["lint", "format"])
def test_ruff_finds_nothing(command: tuple[str, ...]) -> None:
    _run("ruff", *command, "mailflow", "tests")


def test_the_package_says_it_is_typed() -> None:
    assert (ROOT / "mailflow" / "py.typed").is_file()
    assert '"mailflow" = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()

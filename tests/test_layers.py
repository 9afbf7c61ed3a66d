"""The layers of the data path stay apart: reading is pure, the workflow knows no reader."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "mailflow"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _offending(paths: list[Path], banned: tuple[str, ...]) -> list[str]:
    return [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in paths
        for name in sorted(_imports(p))
        if name.startswith(banned)
    ]


def test_nothing_under_mail_touches_the_store_or_the_app() -> None:
    paths = sorted((PACKAGE / "mail").glob("*.py"))
    assert paths
    banned = ("mailflow.store", "mailflow.app", "sqlmodel", "sqlalchemy", "mailflow.transport")
    assert _offending(paths, banned) == []


@pytest.mark.parametrize("name", ["decide.py", "lines.py", "normalize.py", "tokens.py", "reply.py"])
def test_reading_is_pure(name: str) -> None:
    banned = ("mailflow.store", "mailflow.app", "sqlmodel", "sqlalchemy", "mailflow.transport")
    assert _offending([PACKAGE / "reading" / name], banned) == []


def test_the_workflow_layer_imports_no_reader_and_no_store() -> None:
    paths = sorted((PACKAGE / "workflow").glob("*.py"))
    banned = (
        "mailflow.reading.decide",
        "mailflow.reading.reply",
        "mailflow.store",
        "mailflow.app",
        "sqlmodel",
    )
    assert _offending(paths, banned) == []

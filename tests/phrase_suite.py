"""The project's decision phrase suite (tests/phrases/decisions.txt), loaded for tests and
the reading benchmark: each line with its category and the outcome it must give."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mailflow.app import with_names
from mailflow.config.settings import load_settings
from mailflow.mail.html_text import html_to_text
from mailflow.mail.reply_text import new_text
from mailflow.reading import decide
from mailflow.reading.likely import likely
from mailflow.workflow.definition import load_workflow
from mailflow.workflow.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "tests" / "phrases" / "decisions.txt"
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\n")


@dataclass(frozen=True)
class Case:
    category: str
    expected: str  # "VERB", "?VERB" or "?"
    source: str  # as written in the file
    text: str  # what the reader gets

    @property
    def decision(self) -> str | None:
        return None if self.expected.startswith("?") else self.expected


def load_cases(path: Path = SUITE) -> list[Case]:
    cases: list[Case] = []
    category = ""
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.startswith("## "):
            category = line[3:].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        expected, bar, source = line.partition(" | ")
        if not bar or not category:
            raise ValueError(f"{path}:{number}: expected 'OUTCOME | text' under a '## category'")
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else "\n", source)
        if category.startswith("html"):
            text = new_text(html_to_text(text))
        elif category.startswith("mail"):
            text = new_text(text)
        cases.append(Case(category, expected.strip(), source, text))
    return cases


def vocabulary() -> Vocabulary:
    """The built-in workflow's words, with the example configuration's people."""
    settings = load_settings(ROOT / "config.example.toml")
    return with_names(load_workflow().vocabulary, settings)


def outcome(text: str, words: Vocabulary) -> str:
    """What the reader makes of a text: a verb, "?VERB" (asked to confirm) or "?"."""
    read = decide.read(text, words)
    if isinstance(read, decide.Decision):
        return read.verb
    probable = likely(text, words)
    return f"?{probable}" if probable else "?"

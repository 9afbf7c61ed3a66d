"""The reading side against the shared corpus of real-world mail from other projects.

The corpus lives next to the repository (../shared/corpus) and is not part of
it; without it this module is skipped, except in CI (CI=true), where a missing corpus
fails the run instead of passing it unmeasured.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from mailflow.errors import ParseError
from mailflow.mail.automated import classify
from mailflow.mail.html_text import html_to_text
from mailflow.mail.parse import parse
from mailflow.mail.reply_text import new_text
from mailflow.reading.decide import Decision, read
from tests.test_decide import AFFIRMATIVE, VOCAB

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.skipif(
    not (CORPUS / "index.tsv").exists() and not IN_CI,
    reason=f"the shared mail corpus is not at {CORPUS} (in CI, with CI=true, this fails)",
)
OWN = ("cr@ft.example",)


def test_the_corpus_is_there() -> None:
    assert (CORPUS / "index.tsv").is_file(), f"the shared mail corpus is missing at {CORPUS}"


def rows() -> list[dict[str, str]]:
    if not (CORPUS / "index.tsv").exists():
        return []
    with (CORPUS / "index.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def mail_inputs() -> list[str]:
    """Every corpus input that is a whole mail (not TNEF blobs, lists or body-only text)."""
    names = []
    for row in rows():
        file = row["file"]
        if row["role"] != "input":
            continue
        whole_mail = file.startswith(("mime/", "autoreplies/")) or (
            file.startswith("replies/") and file.endswith(".eml")
        )
        if whole_mail and not file.endswith((".tnef", ".msg", ".list")):
            names.append(file)
    return names


def test_parse_never_raises_on_corpus_mail() -> None:
    failures = []
    inputs = mail_inputs()
    assert len(inputs) > 150
    for name in inputs:
        try:
            parse((CORPUS / name).read_bytes())
        except ParseError as exc:
            failures.append(f"{name}: ParseError {exc}")
        except Exception as exc:  # noqa: BLE001 - collect every failure, then report them all
            failures.append(f"{name}: {type(exc).__name__} {exc}")
    assert not failures, failures


def test_non_mail_blobs_raise_only_parse_error() -> None:
    for path in sorted((CORPUS / "mime").rglob("*.tnef")):
        with pytest.raises(ParseError):
            parse(path.read_bytes())


def test_auto_replies_and_bounces_are_flagged() -> None:
    flagged, missed, controls = 0, [], []
    for row in rows():
        if row["category"] != "autoreplies" or row["role"] != "input":
            continue
        label, name = row["label"], row["file"]
        result = classify(parse((CORPUS / name).read_bytes()), OWN)
        if label == "bounce" or label.startswith("auto-reply"):
            if result is not None:
                flagged += 1
            else:
                missed.append(name)
        elif label.startswith(("not-bounce", "other")):
            controls.append((name, result))
    total = flagged + len(missed)
    assert total > 150
    assert flagged / total >= 0.98, missed
    assert controls, "the corpus should hold non-bounce controls"
    wrongly_bounced = [name for name, result in controls if result and result.kind == "bounce"]
    assert not wrongly_bounced


def reply_bodies() -> list[tuple[str, str]]:
    bodies = []
    for row in rows():
        name = row["file"]
        if not name.startswith("replies/") or row["role"] != "input":
            continue
        data = (CORPUS / name).read_bytes()
        if name.endswith(".eml"):
            text = parse(data).text
        elif name.endswith(".html"):
            text = html_to_text(data.decode("utf-8", "replace"))
        else:
            text = data.decode("utf-8", "replace")
        bodies.append((name, text.replace("\r\n", "\n").replace("\r", "\n")))
    return bodies


def test_no_decision_is_read_from_quoted_text() -> None:
    """Put an approval into each reply's history; it must never be read."""
    checked, read_from_quote = 0, []
    for name, body in reply_bodies():
        kept = new_text(body)
        at = body.find(kept) if kept else 0
        if at < 0:
            continue  # the kept text was re-wrapped; where its history starts is unknown
        history = body[at + len(kept) :]
        if not history.strip():
            continue
        lines = history.split("\n")
        first = next(i for i, line in enumerate(lines) if line.strip())
        # Right after each of the first lines of the history, where a request's text sits.
        for offset in range(1, 4):
            tampered_lines = list(lines)
            prefix = "> " if lines[first].lstrip().startswith(">") else ""
            tampered_lines.insert(first + offset, f"{prefix}APPROVED")
            # Only a greeting above: the reader skips it and must still find nothing.
            tampered = "Thanks,\n\n" + "\n".join(tampered_lines)
            checked += 1
            result = read(new_text(tampered), VOCAB)
            if isinstance(result, Decision) and result.verb in AFFIRMATIVE:
                read_from_quote.append(f"{name} (+{offset})")
        # The reply as it stands must not yield a decision from its history either.
        original = read(new_text(body), VOCAB)
        if isinstance(original, Decision) and original.verb in AFFIRMATIVE:
            assert original.line in kept, name
    assert checked > 50
    assert not read_from_quote


def _benchmark():  # type: ignore[no-untyped-def]
    """The measurement script, loaded by path: it is a script, not a package module."""
    import importlib.util
    import sys

    path = Path(__file__).parents[1] / "benchmarks" / "reply_accuracy.py"
    spec = importlib.util.spec_from_file_location("reply_accuracy", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("reply_accuracy", module)
    spec.loader.exec_module(module)
    return module


def test_measured_figures_hold() -> None:
    """The figures issue 5 asks for, held at what is reached, so that a regression fails.

    Reply text is the visible text (what the mail shows, as the sources'
    trimmers keep it); decisions are read from the new text only, and the
    "quoted" count checks that path. First-line match is 100% and whole-reply
    match 95.9%: the misses are sign-off conventions (talon keeps signatures,
    mailflow cuts them) and one reply whose source keeps an interleaved quote
    below typed text, where mailflow shows only the typed text.
    """
    figures = _benchmark().measure(CORPUS, with_libraries=False)
    hits, firsts, count = figures.total()
    assert count >= 95
    assert hits / count >= 0.95, figures.misses
    assert firsts / count >= 0.98, figures.misses
    history = sum(figures.history_misses.values())
    assert history <= 1, figures.misses
    assert firsts - figures.history_first_hits == count - history, figures.misses
    assert sum(figures.quoted.values()) == 0, figures.misses
    assert sum(figures.crashes.values()) == 0
    detected, expected = (sum(v[i] for v in figures.auto.values()) for i in (0, 1))
    assert expected > 150 and detected / expected >= 0.98
    assert not figures.wrong_bounce

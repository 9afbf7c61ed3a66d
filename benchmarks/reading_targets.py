"""Print the reading targets: the phrase suite's figures, the shared corpus's, and the
worst-case cost of reading a hostile mail.

Usage: python3 benchmarks/reading_targets.py [CORPUS]

Targets (the README quotes them):
  affirmative where not given   must be 0 (lines whose expected outcome is not that decision)
  likely the wrong way          must be 0
  plain decisions decided       at least 98% of the 'plain' category
  whole replies decided         at least 97% of 'mail-plain': plain replies with ordinary
                                remarks, footers, signatures and disclaimers, read whole
  attack mails recorded         must be 0 of 'mail-attack'
  friction                      lines of the suite a person would call plain that the
                                closed rule asks back ('friction'), counted, not a target
  other-words approvals         at least 85% of 'other-words-approve' asked back as ?APPROVED
  quoted decisions (corpus)     must be 0
  auto-replies detected         100% of the corpus's auto-replies and bounces
  reading a 25 MB line          under 1 s (new text + decision + likely), text and HTML;
                                parsing the mail first is printed beside it (an HTML part
                                is rendered up to its first 512,000 characters)
CORPUS defaults to ../shared/corpus; without it the corpus rows say so.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailflow.mail.parse import parse  # noqa: E402
from mailflow.mail.reply_text import new_text  # noqa: E402
from mailflow.reading import decide  # noqa: E402
from mailflow.reading.likely import likely  # noqa: E402
from tests.phrase_suite import load_cases, outcome, vocabulary  # noqa: E402


def suite_figures() -> list[tuple[str, str, str]]:
    words = vocabulary()
    affirmative = {v.verb for v in words.verbs if v.affirmative}
    cases = load_cases()
    per: dict[str, Counter[str]] = defaultdict(Counter)
    wrong_yes = wrong_way = 0
    for case in cases:
        got = outcome(case.text, words)
        per[case.category]["n"] += 1
        per[case.category]["as expected"] += got == case.expected
        per[case.category]["decided"] += not got.startswith("?")
        per[case.category]["likely " + got[1:]] += got.startswith("?") and got != "?"
        wrong_yes += got in affirmative and got != case.decision
        meant = case.expected.lstrip("?")
        if got.startswith("?") and got != "?":
            wrong_way += not meant or ((meant in affirmative) != (got[1:] in affirmative))
    print(f"phrase suite: {len(cases)} lines in {len(per)} categories\n")
    print(f"{'category':32} {'n':>4} {'as expected':>12} {'decided':>8}")
    for name, c in per.items():
        print(f"{name:32} {c['n']:>4} {c['as expected']:>12} {c['decided']:>8}")
    plain = per["plain"]
    approve = per["other-words-approve"]
    approve_total = sum(1 for c in cases if c.category == "other-words-approve"
                        and c.expected == "?APPROVED")  # fmt: skip
    remarks = [c for c in cases if c.category == "remarks"]
    remark_decided = sum(1 for c in remarks if c.decision and outcome(c.text, words) == c.decision)
    remark_meant = sum(1 for c in remarks if c.decision)
    whole = per["mail-plain"]
    attacks = [c for c in cases if c.category == "mail-attack"]
    attack_yes = sum(1 for c in attacks if outcome(c.text, words) in affirmative)
    friction = per["friction"]
    return [
        ("affirmative where not given", str(wrong_yes), "0"),
        ("likely the wrong way", str(wrong_way), "0"),
        ("plain decisions decided", _pct(plain["decided"], plain["n"]), ">= 98%"),
        (
            "other-words approvals ?APPROVED",
            _pct(approve["likely APPROVED"], approve_total),
            ">= 85%",
        ),  # fmt: skip
        ("whole replies decided", _pct(whole["as expected"], whole["n"]), ">= 97%"),
        ("attack mails recorded as a yes", f"{attack_yes} of {len(attacks)}", "0"),
        (
            "friction: plain lines asked back",
            f"{friction['n']} of {len(cases)} (category 'friction')",
            "",
        ),
        (
            "remarks read without a question",
            f"{remark_decided}/{remark_meant} (same-line remarks off the list are asked back)",
            "",
        ),
    ]


def corpus_figures(corpus: Path) -> list[tuple[str, str, str]]:
    if not (corpus / "index.tsv").is_file():
        return [("shared corpus", f"not found at {corpus}", "")]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from reply_accuracy import measure

    figures = measure(corpus, with_libraries=False)
    quoted = sum(figures.quoted.values())
    hit, count = (sum(v[i] for v in figures.auto.values()) for i in (0, 1))
    return [
        ("quoted decisions (corpus)", str(quoted), "0"),
        ("auto-replies detected (corpus)", f"{_pct(hit, count)} ({hit}/{count})", "100%"),
    ]


def worst_case() -> list[tuple[str, str, str]]:
    words = vocabulary()
    head = "From: dana@acme.example\nTo: approvals@ft.example\nSubject: RE: [CR-1] x\n"
    bodies = {
        "25 MB text line": (head + "Content-Type: text/plain\n\n" + "approved not " * 2_000_000),
        "25 MB HTML line": (
            head + "Content-Type: text/html\n\n<p>" + "approved <b>not</b> " * 1_300_000 + "</p>"
        ),  # fmt: skip
    }
    rows = []
    for name, raw in bodies.items():
        start = time.perf_counter()
        msg = parse(raw.encode())
        parsed = time.perf_counter()
        text = new_text(msg.text)
        decide.read(text, words)
        likely(text, words)
        done = time.perf_counter()
        rows.append((f"reading a {name}", f"{done - parsed:.3f} s", "< 1 s"))
        rows.append(("  parsing it first (MIME, HTML)", f"{parsed - start:.3f} s", ""))
    return rows


def _pct(hit: int, total: int) -> str:
    return f"{100 * hit / total:.1f}%" if total else "n/a"


def main(argv: list[str]) -> int:
    corpus = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "corpus"
    rows = suite_figures() + corpus_figures(corpus) + worst_case()
    print(f"\n{'target':34} {'measured':>24}  goal")
    for name, value, goal in rows:
        print(f"{name:34} {value:>24}  {goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

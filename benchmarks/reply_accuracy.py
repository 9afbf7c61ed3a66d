"""Measure how mailflow reads real mail from the shared corpus, beside the maintained libraries.

Usage: python3 benchmarks/reply_accuracy.py [CORPUS] [--details]

CORPUS defaults to ../shared/corpus relative to the repository root. Its
index.tsv names every input and, where the upstream project defines one, the
expected reply text. mailflow is measured through `explain_message`, the
function behind `mailflow explain --json`, so the figures are what ops see.

Figures, per corpus source folder:

reply %    the visible reply text (explain's `reply_text`, which is
           `reply_text.visible_text`) equals the expected text after whitespace
           is normalised (every run of whitespace is one space; ends stripped),
           over the inputs that have an expected output. Like the trimmers the
           sources test, it keeps quoted or forwarded material when nothing was
           typed above it (without attribution, separator and header lines).
first %    the first non-blank line of that text equals the expected one (same
           normalising).
new text   printed below the table: `reply_text.new_text`, what decisions are read
           from, against the expected text, over the inputs whose expected text
           holds no quoted ("> ") history. It cuts client footers and notices only
           at the end of the reply, so a footer with text below it stays in it.
quoted     decisions read from quoted text; must be 0. This measures the
           decision path, `reply_text.new_text`, never the visible text. One is
           counted when (a) an input has an expected reply and `decide.read`
           on mailflow's new text yields a decision whose line does not occur in that
           expected reply (the keyword came from the history), or (b) an
           "APPROVED" line, inserted into the history mailflow
           cut off (as the history's first line is written, and "> "-quoted),
           on any of the three lines after that line, makes `decide.read`
           return a decision it did not return for the untouched reply.
crashes    inputs where reading raised, or explain reported an internal error
           (bytes that are not mail at all, such as .tnef blobs, are skipped).
detected % auto-replies and bounces (labels bounce, auto-reply…, delay-warning…)
           that mailflow classifies as automated; controls (not-bounce, other)
           wrongly taken for bounces are listed apart.

Sign-offs: the sources disagree on whether a signature belongs to the reply.
mailflow follows the discourse trimmer and email_reply_parser: signatures
("-- ", "Sent from my iPhone", …) are cut. talon keeps them, so its expected
texts for such replies count as misses; "sig" counts those misses.

The libraries are optional and are never project dependencies. Install them
with `pip install mail-parser-reply email-reply-parser quotequail talon`;
a missing one is reported as "not installed".
"""

from __future__ import annotations

import csv
import logging
import re
import signal
import sys
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailflow.chain.explain import explain_message  # noqa: E402
from mailflow.mail.html_text import html_to_text  # noqa: E402
from mailflow.mail.parse import parse  # noqa: E402
from mailflow.mail.reply_text import new_text  # noqa: E402
from mailflow.reading.decide import Decision, read  # noqa: E402
from mailflow.workflow.definition import load_workflow  # noqa: E402

OWN = ("cr@mailflow.example",)
VOCAB = load_workflow(
    ROOT / "mailflow" / "workflow" / "change_request.toml", lambda _: True
).vocabulary
_SIG = re.compile(r"^\s*(--\s*$|__\s*$|sent (from|with|via) |get outlook|von meinem)", re.I | re.M)


def norm(text: str) -> str:
    return " ".join(text.split())


def first_line(text: str) -> str:
    return next((norm(line) for line in text.splitlines() if line.strip()), "")


def wrap(body: bytes, subtype: str) -> bytes:
    """A body-only corpus file as the smallest mail that carries it."""
    head = (
        "From: Someone <someone@example.org>\nTo: cr@mailflow.example\n"
        "Subject: Re: [CR-2026-0001] Approval\nMIME-Version: 1.0\n"
        f"Content-Type: text/{subtype}; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    )
    return head.encode() + body.decode("utf-8", "replace").encode("utf-8")


# -- the libraries, each given the same body mailflow reads ------------------
def _load_libraries() -> dict[str, Callable[[str, str | None], str] | str]:
    libs: dict[str, Callable[[str, str | None], str] | str] = {}
    try:
        from email_reply_parser import EmailReplyParser

        libs["email-reply-parser"] = lambda text, html: EmailReplyParser.parse_reply(text)
    except Exception as exc:  # noqa: BLE001 - optional
        libs["email-reply-parser"] = f"not installed ({type(exc).__name__})"
    try:
        from mailparser_reply import EmailReplyParser as MPR
        from mailparser_reply.constants import MAIL_LANGUAGES

        parser = MPR(languages=[k for k in MAIL_LANGUAGES if k != "david"])
        libs["mail-parser-reply"] = lambda text, html: parser.parse_reply(text)
    except Exception as exc:  # noqa: BLE001 - optional
        libs["mail-parser-reply"] = f"not installed ({type(exc).__name__})"
    try:
        import quotequail

        def qq(text: str, html: str | None) -> str:
            if html is not None:
                parts = quotequail.quote_html(html)
                return html_to_text("".join(p for keep, p in parts if keep))
            return "\n".join(p for keep, p in quotequail.quote(text) if keep)

        libs["quotequail"] = qq
    except Exception as exc:  # noqa: BLE001 - optional
        libs["quotequail"] = f"not installed ({type(exc).__name__})"
    try:
        from talon import quotations

        def talon(text: str, html: str | None) -> str:
            if html is not None:
                return html_to_text(quotations.extract_from_html(html))
            return str(quotations.extract_from_plain(text))

        libs["talon"] = talon
    except Exception as exc:  # noqa: BLE001 - optional; talon needs lxml, scikit-learn
        libs["talon"] = f"not installed ({type(exc).__name__}: {exc})"[:120]
    return libs


class _Timeout(Exception):
    pass


def _call(func: Callable[[], str], seconds: int = 10) -> str:
    def alarm(*_: Any) -> None:
        raise _Timeout()

    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        return func()
    finally:
        signal.alarm(0)


# -- the corpus ---------------------------------------------------------------
def rows(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "index.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def source_of(name: str) -> str:
    return "/".join(name.split("/")[:2])


def reply_case(corpus: Path, row: dict[str, str]) -> tuple[bytes, str, str | None]:
    """(the mail explain reads, the body text libraries read, the HTML if HTML-only)."""
    name = row["file"]
    data = (corpus / name).read_bytes()
    if name.endswith(".eml"):
        msg = parse(data)
        return data, msg.text, None
    if name.endswith(".html"):
        html = data.decode("utf-8", "replace")
        return wrap(data, "html"), html_to_text(html), html
    return wrap(data, "plain"), data.decode("utf-8", "replace"), None


def expected_of(corpus: Path, row: dict[str, str]) -> str | None:
    if not row["expected_file"]:
        return None
    text = (corpus / row["expected_file"]).read_text(encoding="utf-8", errors="replace")
    return html_to_text(text) if row["expected_file"].endswith(".html") else text


def quoted_decisions(body: str, kept: str, expected: str | None) -> int:
    """1 when a decision came from history for one reply (see the module docstring), else 0."""
    result = read(kept, VOCAB)
    from_history = isinstance(result, Decision) and norm(result.line) not in norm(expected or "")
    if expected is not None and from_history:
        return 1
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    start = body.find(kept) + len(kept) if kept else 0
    lines = body[start:].split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return 0
    before = read(new_text(body), VOCAB)
    plain = "> " if lines[first].lstrip().startswith(">") else ""
    for offset in (1, 2, 3):
        for prefix in {plain, "> "}:
            tampered = list(lines)
            tampered.insert(first + offset, f"{prefix}APPROVED")
            text = body[:start] + "\n".join(tampered)
            after = read(new_text(text), VOCAB)
            if isinstance(after, Decision) and after != before:
                return 1
    return 0


@dataclass
class Figures:
    """Everything measured; counters are keyed by source folder, then by reader."""

    libs: dict[str, Any] = field(default_factory=dict)
    score: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    )  # [whole-reply hits, first-line hits, inputs]
    quoted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    crashes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sig_misses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    history_misses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    history_first_hits: int = 0
    new_text: list[int] = field(default_factory=lambda: [0, 0])  # [hits, inputs]
    auto: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    wrong_bounce: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def total(self, reader: str = "mailflow") -> tuple[int, int, int]:
        cells = [per[reader] for per in self.score.values() if reader in per]
        return (sum(c[0] for c in cells), sum(c[1] for c in cells), sum(c[2] for c in cells))


def _explain(raw: bytes) -> dict[str, Any]:
    try:
        return explain_message(raw, vocabulary=VOCAB, own_addresses=OWN)
    except Exception:  # noqa: BLE001 - counted as a crash
        return {"error": "internal error: explain_message raised", "reply_text": ""}


def measure(corpus: Path, *, with_libraries: bool = True) -> Figures:
    """Read every corpus input with mailflow (and the libraries) and count the results."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)  # the libraries log every odd part they skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            figures = Figures(libs=_load_libraries() if with_libraries else {})
            for row in rows(corpus):
                name = row["file"]
                if row["role"] != "input" or name.endswith((".tnef", ".msg", ".list")):
                    continue
                if row["category"] == "replies":
                    _reply(corpus, row, figures)
                else:
                    _other(corpus, row, figures)
    finally:
        logging.disable(previous)
    return figures


def _other(corpus: Path, row: dict[str, str], figures: Figures) -> None:
    source = source_of(row["file"])
    result = _explain((corpus / row["file"]).read_bytes())
    figures.crashes[source] += str(result.get("error") or "").startswith("internal")
    label = row["label"]
    if label.startswith(("bounce", "auto-reply", "delay-warning")):
        figures.auto[source][1] += 1
        figures.auto[source][0] += result.get("automated") is not None
    elif label.startswith(("not-bounce", "other")) and result.get("automated") == "bounce":
        figures.wrong_bounce.append(row["file"])


def _reply(corpus: Path, row: dict[str, str], figures: Figures) -> None:
    name, source = row["file"], source_of(row["file"])
    raw, body, html = reply_case(corpus, row)
    expected = expected_of(corpus, row)
    result = _explain(raw)
    figures.crashes[source] += bool(result.get("error"))
    ours = result.get("reply_text") or ""
    if quoted_decisions(body, new_text(body), expected):
        figures.quoted[source] += 1
        figures.misses.append(f"QUOTED {name}")
    else:
        figures.quoted[source] += 0
    if expected is None:
        return
    if not re.search(r"^\s*>", expected, re.M):
        figures.new_text[0] += norm(new_text(body)) == norm(expected)
        figures.new_text[1] += 1
    outputs = {"mailflow": ours}
    for lib, func in figures.libs.items():
        if isinstance(func, str):
            continue
        try:
            outputs[lib] = _call(lambda f=func: f(body, html))  # type: ignore[misc]
        except BaseException:  # noqa: BLE001 - a library failure is that library's miss
            outputs[lib] = "\0crash"
    for reader, text in outputs.items():
        cell = figures.score[source][reader]
        cell[0] += norm(text) == norm(expected)
        cell[1] += first_line(text) == first_line(expected)
        cell[2] += 1
    if norm(ours) != norm(expected):
        clean = expected.strip()
        rest = clean[len(ours.strip()) :] if clean.startswith(ours.strip()) else ""
        figures.sig_misses[source] += bool(ours.strip() and _SIG.search(rest))
        kept_history = not ours.strip() or re.search(r"^\s*>", expected, re.M) is not None
        figures.history_misses[source] += kept_history
        figures.history_first_hits += kept_history and first_line(ours) == first_line(expected)
        figures.misses.append(f"MISS {name}\n  ours: {ours[:300]!r}\n  want: {expected[:300]!r}")


def _pct(hit: int, total: int) -> str:
    return f"{100 * hit / total:5.1f}" if total else "    -"


_SHORT = {"mailflow": "mailflow", "email-reply-parser": "erp", "mail-parser-reply": "mpr",
          "quotequail": "quotequail", "talon": "talon"}  # fmt: skip


def _pick(figures: Figures, name: str, source: str, sources: list[str]) -> int:
    counts: dict[str, int] = getattr(figures, name)
    return sum(counts[s] for s in sources) if source == "ALL" else counts[source]


def report(figures: Figures) -> None:
    """Print the compact tables."""
    readers = ["mailflow", *figures.libs]
    print("Reply text: whole-reply % / first-line % (inputs with an expected output)")
    head = f"{'source':36} {'n':>3} " + " ".join(f"{_SHORT.get(r, r):>13}" for r in readers)
    print(head + "  sig hist quoted crash")
    sources = sorted(set(figures.score) | set(figures.quoted))
    for source in [*sources, "ALL"]:
        line = f"{source:36} "
        for number, reader in enumerate(readers):
            if source == "ALL":
                hit, first, count = figures.total(reader)
            else:
                hit, first, count = figures.score.get(source, {}).get(reader, [0, 0, 0])
            line += f"{count:3} " if number == 0 else ""
            line += f"  {_pct(hit, count)}/{_pct(first, count)}"
        line += "".join(
            f"{_pick(figures, name, source, sources):{width}} "
            for name, width in (("sig_misses", 4), ("history_misses", 4), ("quoted", 6))
        )
        print(line + f"{_pick(figures, 'crashes', source, sources):5}")
    for lib, state in figures.libs.items():
        if isinstance(state, str):
            print(f"  {lib}: {state}")
    hit, first, count = figures.total()
    history = sum(figures.history_misses.values())
    print(
        f"mailflow without the {history} inputs whose expected text keeps quoted history it "
        f"does not show: whole-reply {_pct(hit, count - history).strip()}%, "
        f"first-line {_pct(first - figures.history_first_hits, count - history).strip()}%"
    )
    hit, count = figures.new_text
    print(
        f"mailflow new text (what decisions are read from) on the {count} inputs whose "
        f"expected text holds no quoted history: whole-reply {_pct(hit, count).strip()}%"
    )
    print("\nAuto-replies and bounces detected (mailflow)")
    for source in sorted(figures.auto):
        hit, count = figures.auto[source]
        print(f"{source:36} {count:3}   {_pct(hit, count)}%   crashes {figures.crashes[source]}")
    hit, count = (sum(v[i] for v in figures.auto.values()) for i in (0, 1))
    print(f"{'ALL':36} {count:3}   {_pct(hit, count)}%   controls taken for bounces: "
          f"{len(figures.wrong_bounce)}")  # fmt: skip
    mime = sum(v for k, v in figures.crashes.items() if k.startswith("mime/"))
    print(f"Crashes on mime/ inputs: {mime}")
    print(
        "\nSign-offs: mailflow cuts signatures and phone footers, like the discourse trimmer "
        "and email_reply_parser; talon's expected texts keep them ('sig': misses only for "
        "that). 'hist': misses where the source keeps quoted history that mailflow's visible "
        "text leaves out (text typed above a quote: only that text is shown). Decisions are "
        "read from the new text only, never from quoted or forwarded material."
    )


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else ROOT.parent / "shared" / "corpus"
    if not (corpus / "index.tsv").exists():
        print(f"no corpus at {corpus} (expected its index.tsv)", file=sys.stderr)
        return 2
    figures = measure(corpus)
    if "--details" in argv:
        print("\n".join(figures.misses), end="\n\n")
    report(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

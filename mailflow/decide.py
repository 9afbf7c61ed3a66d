"""④ The new text of a reply → a Decision (verb, reason text, fields) or Unclear.

A false approval is the worst error mailflow can make, so a yes is read by a
closed grammar: an affirmative verb counts only when its line holds the verb's
phrase and otherwise only words known to add nothing (greetings, thanks, names,
harmless words, listed remarks, the verb's own everyday phrases). Any other word
— a condition, a scope, someone else's decision, a question mark — makes the
reply a question back. A list of dangerous words is never complete; a list of
safe ones is. The text is first normalised as a reader sees it, and reading
looks at a bounded amount of it, in time linear in its length.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mailflow.decide_lines import fields_of, trailing_text
from mailflow.decide_normalize import LINE_CAP, mixed_script_words, normalize_line, reorders
from mailflow.decide_remarks import first_phrase, phrase_set, taken_back
from mailflow.decide_tokens import Kind, Piece, phrase_words, pieces, tokens
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary

__all__ = [
    "Decision",
    "Known",
    "Unclear",
    "UnclearKind",
    "VerbSpec",
    "Vocabulary",
    "likely",
    "read",
    "remark_key",
]

TEXT_CAP = 20_000  # characters of new text looked at; a decision is never further down


class UnclearKind(enum.Enum):
    """Why no decision was recorded; each is explained to the sender in plain words."""

    NO_TEXT = "no new text"
    NO_DECISION = "no decision word"
    QUESTION = "a question"
    NEGATION = "a negation"
    DISGUISED = "mixed alphabets"
    BOTH = "two decisions"
    MORE_THAN_A_DECISION = "more than the decision"
    TAKEN_BACK_BELOW = "taken back below"
    TOO_LONG = "line too long"
    PARTS_DISAGREE = "text and HTML disagree"
    REMARK = "a sentence beside the decision"  # may be confirmed: see Unclear.as_written
    FIELD_NAME = "a field name not known"
    REQUEST = "a request, not a decision"


@dataclass(frozen=True)
class Known:
    """What is on record about the sender that reading may rely on.

    A remark the person confirmed before is theirs to repeat; a block found at the
    bottom of two of their earlier mails is their signature. Both come from the
    store, so the chain looks them up and hands them in: reading stays pure.
    """

    remarks: frozenset[str] = frozenset()  # remark_key() of remarks this person confirmed
    signatures: tuple[str, ...] = ()  # signature blocks learned from their earlier mails


@dataclass(frozen=True)
class Decision:
    """What a reply asks for: the verb, its reason text and its "Key: value" fields."""

    verb: str
    text: str
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    line: str = ""
    normalized: str = ""
    rule: str = ""


@dataclass(frozen=True)
class Unclear:
    """Why a reply could not be read; the sentence is sent back to the sender.

    For a REMARK, `remark` is the sentence asked about, as written, and `as_written`
    the decision that a CONFIRM from the sender records, the remark kept beside it.
    """

    reason: str
    line: str
    kind: UnclearKind = UnclearKind.NO_DECISION
    normalized: str = ""
    remark: str = ""
    as_written: Decision | None = None


@dataclass(frozen=True)
class _Line:
    index: int
    raw: str
    text: str  # normalised
    parts: list[Piece]


_QUIET = frozenset({Kind.GREETING, Kind.HARMLESS, Kind.NAME})


NOTHING_KNOWN = Known()


def remark_key(sentence: str) -> str:
    """A remark as compared with the ones a person confirmed: normalised words only."""
    return " ".join(t.word for t in tokens(normalize_line(sentence)))


def read(text: str, vocabulary: Vocabulary, known: Known = NOTHING_KNOWN) -> Decision | Unclear:
    """Read the decision in the new text of a reply.

    The caller has already removed quoted history and signatures
    (reply_text.new_text). Only the first line that is more than a greeting can
    carry the verb; "Key: value" lines anywhere in the text become fields. The
    line is first put to the checks of _LINE_CHECKS, in order; then its first verb
    says which grammar reads it.
    """
    lines = _lines(text)
    found = _decision_line(lines, vocabulary)
    if found is None:
        no_text = "The reply has no new text above the quoted message."
        return Unclear(no_text, "", UnclearKind.NO_TEXT)
    for check in _LINE_CHECKS:
        unclear = check(found)
        if unclear is not None:
            return unclear
    verbs = [p for p in found.parts if p.kind is Kind.VERB and p.spec is not None]
    first, spec = verbs[0], verbs[0].spec
    assert spec is not None
    if spec.takes_text and not spec.affirmative:
        return _with_text(found, lines, first, spec, vocabulary)
    kinds = list(dict.fromkeys(v.spec.verb for v in verbs if v.spec is not None))
    if len(kinds) > 1:
        both = " and ".join(kinds) if len(kinds) == 2 else ", ".join(kinds)
        return _unclear(found, UnclearKind.BOTH, f"Both {both} were found in: {_quote(found.raw)}")
    if not spec.affirmative:
        return _plain_verb(found, lines, first, spec)
    return _affirmative(found, lines, first, spec, vocabulary)


def _too_long(found: _Line) -> Unclear | None:
    if len(found.raw) <= LINE_CAP:
        return None
    why = f"The first line is longer than {LINE_CAP:,} characters, so no decision was read from it."
    return _unclear(found, UnclearKind.TOO_LONG, why)


def _reordered(found: _Line) -> Unclear | None:
    if not reorders(found.raw):
        return None
    why = "The line holds characters that change the order in which it is shown, so it "
    return _unclear(
        found, UnclearKind.DISGUISED, f"{why}cannot be read safely: {_quote(found.raw)}"
    )


def _mixed_alphabets(found: _Line) -> Unclear | None:
    mixed = mixed_script_words(found.text)
    if not mixed:
        return None
    why = f"'{mixed[0]}' mixes letters of different alphabets, so the line cannot be read safely"
    return _unclear(found, UnclearKind.DISGUISED, f"{why}: {_quote(found.raw)}")


def _no_verb(found: _Line) -> Unclear | None:
    if any(p.kind is Kind.VERB and p.spec is not None for p in found.parts):
        return None
    why = f"No decision word was found in: {_quote(found.raw)}"
    return _unclear(found, UnclearKind.NO_DECISION, why)


# What makes a decision line unreadable before any grammar applies, in order.
_LINE_CHECKS: tuple[Callable[[_Line], Unclear | None], ...] = (
    _too_long,
    _reordered,
    _mixed_alphabets,
    _no_verb,
)


def _plain_verb(found: _Line, lines: list[str], first: Piece, spec: VerbSpec) -> Decision | Unclear:
    """A verb that neither says yes nor takes a reason ("NOT CR", "RESUME")."""
    bad = [p for p in found.parts if p.end <= first.start and p.kind not in _QUIET]
    if bad:
        return _not_plain(found, spec, first, bad)
    rest = found.text[first.end :]
    fields = {**fields_of([rest.strip(" \t:-–—,.;")]), **fields_of(lines[found.index + 1 :])}
    return _decision(found, spec.verb, "", fields, "verb")


def _affirmative(
    found: _Line, lines: list[str], first: Piece, spec: VerbSpec, vocabulary: Vocabulary
) -> Decision | Unclear:
    """The closed rule for the verb's sentence; the belt for the sentences around it.

    The sentence holding the verb may hold only words known to add nothing (and a
    known field). Other sentences of the line and the lines below are remarks: they
    may say anything except a condition, a negation or a figure.
    """
    start, end = _sentence(found.text, first)
    inside = [p for p in found.parts if start <= p.start < end]
    parts, own_fields = _split_field(found, first, vocabulary, inside)
    extra = [p for p in parts if p.kind is not Kind.VERB and not _adds_nothing(p)]
    if extra:
        return _not_plain(found, spec, first, extra)
    around = [found.text[:start], found.text[end:]]
    below = taken_back([*around, *lines[found.index + 1 :]], vocabulary, _plain_yes)
    if below is not None:
        word, line = below
        return _unclear(
            found,
            UnclearKind.TAKEN_BACK_BELOW,
            f"'{word}' in {_quote(line)} may change or take back {spec.verb}, so it was "
            f"not recorded. If {spec.verb} is your whole answer, reply with just {spec.verb}.",
        )
    fields = {**own_fields, **fields_of(lines[found.index + 1 :])}
    return _decision(found, spec.verb, "", fields, "closed grammar")


_SENTENCE_END = re.compile(r"[.!]+\s+(?=\S)")


def _sentence(text: str, verb: Piece) -> tuple[int, int]:
    """Where the sentence holding the verb starts and ends on its line."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() <= verb.start:
            start = match.end()
        elif match.start() >= verb.end:
            return start, match.start()
    return start, len(text)


def _adds_nothing(piece: Piece) -> bool:
    if piece.kind in _QUIET or piece.kind is Kind.REMARK:
        return True
    return piece.kind is Kind.LIKELY and piece.spec is not None and piece.spec.affirmative


def _split_field(
    found: _Line, first: Piece, vocabulary: Vocabulary, parts: list[Piece]
) -> tuple[list[Piece], dict[str, str]]:
    """A known field after the verb on its line ("DONE - Effort: 5") is data, not words."""
    after = found.text[first.end :]
    key, colon, _ = after.partition(":")
    if not colon or " ".join(phrase_words(key)) not in vocabulary.field_names:
        return parts, {}
    key_start = first.end + len(key) - len(key.lstrip(" \t-–—,.;"))
    fields = fields_of([found.text[key_start:].strip()])
    return [p for p in parts if p.start < key_start], fields


def _with_text(
    found: _Line, lines: list[str], first: Piece, spec: VerbSpec, vocabulary: Vocabulary
) -> Decision | Unclear:
    """A negative verb with its reason: what precedes it must still be only a greeting."""
    bad = [p for p in found.parts if p.end <= first.start and p.kind not in _QUIET]
    if bad:
        return _not_plain(found, spec, first, bad)
    rest = found.text[first.end :]
    taken_back = first_phrase([t.word for t in tokens(rest)], phrase_set(vocabulary.retractions))
    if taken_back:
        return _unclear(
            found,
            UnclearKind.TAKEN_BACK_BELOW,
            f"'{taken_back}' may take back {spec.verb}, so it was not recorded: "
            f"{_quote(found.raw)}. Reply with {spec.verb} and your reason, or with the "
            "decision you mean.",
        )
    reason = trailing_text(rest, lines[found.index + 1 :])
    return _decision(found, spec.verb, reason, fields_of(lines[found.index + 1 :]), "verb")


def _not_plain(found: _Line, spec: VerbSpec, first: Piece, extra: list[Piece]) -> Unclear:
    verb, phrase = spec.verb, first.text
    if any(p.kind is Kind.QUESTION for p in extra) or found.text.rstrip().endswith("?"):
        return _unclear(
            found,
            UnclearKind.QUESTION,
            f"'{phrase}' reads as a question, so it was not taken as {verb}: {_quote(found.raw)}",
        )
    negation = next((p for p in extra if p.kind is Kind.NEGATION), None)
    if negation is not None:
        return _unclear(
            found,
            UnclearKind.NEGATION,
            f"'{negation.text}' is a negation, so '{phrase}' was not read as {verb}; "
            "please answer with just the decision word, in: "
            f"{_quote(found.raw)}",
        )
    words = ", ".join(f"'{p.text}'" for p in extra[:6]) + (" …" if len(extra) > 6 else "")
    return _unclear(
        found,
        UnclearKind.MORE_THAN_A_DECISION,
        f"The line says more than {verb} ({words}), which may add a condition or a "
        f"limit, so it was not recorded as {verb}: {_quote(found.raw)}. If {verb} is "
        f"your whole answer, reply with just {verb} (a remark may follow on the next line).",
    )


def _plain_yes(text: str, vocabulary: Vocabulary) -> bool:
    return isinstance(read(text, vocabulary), Decision)


def _lines(text: str) -> list[str]:
    return text[:TEXT_CAP].replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _decision_line(lines: list[str], vocabulary: Vocabulary) -> _Line | None:
    """The first line that is more than blank, punctuation, a greeting or a name."""
    for index, raw in enumerate(lines):
        if len(raw) > LINE_CAP:
            return _Line(index, raw, "", [])
        text = normalize_line(raw)
        parts = pieces(text, vocabulary)
        addressing = all(p.kind in (Kind.GREETING, Kind.NAME) for p in parts)
        if parts and not addressing and not _salutation(text, parts, vocabulary):
            return _Line(index, raw.strip(), text, parts)
    return None


def _salutation(text: str, parts: list[Piece], vocabulary: Vocabulary) -> bool:
    """A line that only addresses someone by name ("Shirley,"), names and all unknown.

    One to three capitalised words and a comma; none of them may be a word the
    grammar knows, so "Wait," or "Maybe," is never skipped.
    """
    if not text.endswith(",") or not 1 <= len(parts) <= 3:
        return False
    known = phrase_set(vocabulary.conditions + vocabulary.doubts + vocabulary.retractions)
    return all(
        p.kind in (Kind.UNKNOWN, Kind.NAME, Kind.GREETING)
        and p.text.isalpha()
        and p.text.istitle()
        and (p.text.lower(),) not in known
        for p in parts
    )


def _decision(found: _Line, verb: str, text: str, fields: dict[str, str], rule: str) -> Decision:
    return Decision(verb, text, MappingProxyType(fields), found.raw, found.text, rule)


def _unclear(found: _Line, kind: UnclearKind, reason: str) -> Unclear:
    return Unclear(reason, found.raw[:LINE_CAP], kind, found.text)


def _quote(line: str) -> str:
    shown = line if len(line) <= 120 else line[:117] + "..."
    return f"'{shown}'"


# likely() reads with read() and the line finder above, so it lives beside them in a
# module of its own and is re-exported here, where callers look for it.
from mailflow.decide_likely import likely  # noqa: E402

"""The new text of a reply → a Decision (verb, reason text, fields) or Unclear.

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

import re
from collections.abc import Callable
from types import MappingProxyType

from mailflow.reading.decision_line import (
    TEXT_CAP,
    Line,
    cut_short,
    split_lines,
    verb_line,
)
from mailflow.reading.lines import fields_of, trailing_text
from mailflow.reading.normalize import LINE_CAP, mixed_script_words, reorders
from mailflow.reading.sentences import Finding, Verdict, first_doubt, near_field
from mailflow.reading.tokens import (
    QUIET_MARKS,
    Kind,
    Piece,
    first_phrase,
    phrase_set,
    phrase_words,
    tokens,
)
from mailflow.reading.verdict import (
    NOTHING_KNOWN,
    Decision,
    Known,
    Unclear,
    UnclearKind,
    remark_key,
)
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary

__all__ = [
    "NOTHING_KNOWN",
    "TEXT_CAP",
    "Decision",
    "Known",
    "Unclear",
    "UnclearKind",
    "VerbSpec",
    "Vocabulary",
    "read",
    "remark_key",
]


_QUIET = frozenset({Kind.GREETING, Kind.HARMLESS, Kind.NAME})


def read(text: str, vocabulary: Vocabulary, known: Known = NOTHING_KNOWN) -> Decision | Unclear:
    """Read the decision in the new text of a reply.

    The caller has already removed quoted history and signatures
    (reply_text.new_text). Only the first line that is more than a greeting can
    carry the verb; "Key: value" lines anywhere in the text become fields. The
    line is first put to the checks of _LINE_CHECKS, in order; then its first verb
    says which grammar reads it.
    """
    lines = split_lines(text)
    found = verb_line(lines, vocabulary)
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
    return _affirmative(found, lines, first, spec, vocabulary, known)


def _too_long(found: Line) -> Unclear | None:
    if len(found.raw) <= LINE_CAP:
        return None
    why = f"The first line is longer than {LINE_CAP:,} characters, so no decision was read from it."
    return _unclear(found, UnclearKind.TOO_LONG, why)


def _reordered(found: Line) -> Unclear | None:
    if not reorders(found.raw):
        return None
    why = "The line holds characters that change the order in which it is shown, so it "
    return _unclear(
        found, UnclearKind.DISGUISED, f"{why}cannot be read safely: {_quote(found.raw)}"
    )


def _mixed_alphabets(found: Line) -> Unclear | None:
    mixed = mixed_script_words(found.text)
    if not mixed:
        return None
    why = f"'{mixed[0]}' mixes letters of different alphabets, so the line cannot be read safely"
    return _unclear(found, UnclearKind.DISGUISED, f"{why}: {_quote(found.raw)}")


def _no_verb(found: Line) -> Unclear | None:
    if any(p.kind is Kind.VERB and p.spec is not None for p in found.parts):
        return None
    why = f"No decision word was found in: {_quote(found.raw)}"
    return _unclear(found, UnclearKind.NO_DECISION, why)


# What makes a decision line unreadable before any grammar applies, in order.
_LINE_CHECKS: tuple[Callable[[Line], Unclear | None], ...] = (
    _too_long,
    _reordered,
    _mixed_alphabets,
    _no_verb,
)


def _plain_verb(found: Line, lines: list[str], first: Piece, spec: VerbSpec) -> Decision | Unclear:
    """A verb that neither says yes nor takes a reason ("NOT CR", "RESUME")."""
    bad = [p for p in found.parts if p.end <= first.start and p.kind not in _QUIET]
    if bad:
        return _not_plain(found, spec, first, bad)
    rest = found.text[first.end :]
    fields = {**fields_of([rest.strip(" \t:-–—,.;")]), **fields_of(lines[found.index + 1 :])}
    return _decision(found, spec.verb, "", fields, "verb")


def _affirmative(
    found: Line,
    lines: list[str],
    first: Piece,
    spec: VerbSpec,
    vocabulary: Vocabulary,
    known: Known,
) -> Decision | Unclear:
    """The closed rule, for the verb's sentence and for every other sentence of the reply.

    The sentence holding the verb may hold only words known to add nothing (and a
    known field); a request ("Please approve") is never a decision. Every other
    sentence, above or below and on the same line, must be on the closed lists of
    decide_sentences, or a remark this sender confirmed before.
    """
    start, end = _sentence(found.text, first)
    inside = [p for p in found.parts if start <= p.start < end]
    parts, own_fields = _split_field(found, first, vocabulary, inside)
    extra = [p for p in parts if p.kind is not Kind.VERB and not _adds_nothing(p)]
    if extra:
        return _not_plain(found, spec, first, extra)
    request = _request(found, first, vocabulary)
    if request is not None:
        return request
    opener = next(
        (p for p in inside if p.end <= first.start and p.kind not in (Kind.GREETING, Kind.NAME)),
        None,
    )
    if opener is not None and phrase_words(opener.text)[:1] in {
        (w,) for w in vocabulary.question_openers
    }:
        why = f"{_quote(found.raw)} reads as a question, so {spec.verb} was not recorded."
        return _unclear(found, UnclearKind.QUESTION, why)
    above, below = lines[: found.index], lines[found.index + 1 :]
    given = (fields_of(above), own_fields, fields_of(below))
    twice = _given_twice(given)
    if twice is not None:
        why = (
            f"'{twice.capitalize()}' is given twice with different values, so {spec.verb} "
            f"was not recorded. Reply {spec.verb} with each detail once."
        )
        return _unclear(found, UnclearKind.MORE_THAN_A_DECISION, why)
    fields = {k: v for part in given for k, v in part.items()}
    as_written = _decision(found, spec.verb, "", fields, "closed grammar")
    if cut_short(lines):
        why = f"The reply is too long to read whole, so {spec.verb} was not recorded."
        return _unclear(found, UnclearKind.TOO_LONG, why)
    around = [found.text[:start], found.text[end:], *above, *below]
    doubt = first_doubt(around, spec, vocabulary, known.remarks)
    if doubt is None:
        return as_written
    return _doubted(found, spec, doubt, as_written, vocabulary)


def _given_twice(given: tuple[dict[str, str], ...]) -> str | None:
    """A field written in two places with two values: which one was meant is a guess."""
    seen: dict[str, str] = {}
    for part in given:
        for key, value in part.items():
            if seen.setdefault(key, value).strip() != value.strip():
                return key
    return None


def _doubted(
    found: Line, spec: VerbSpec, doubt: Finding, as_written: Decision, vocabulary: Vocabulary
) -> Unclear:
    """The question back for a sentence off the lists, quoting it."""
    verb, quoted = spec.verb, _quote(doubt.sentence)
    if doubt.verdict is Verdict.NEAR_FIELD:
        name = near_field(" ".join(phrase_words(doubt.field)), vocabulary) or ""
        value = doubt.sentence.partition(":")[2].strip()
        why = (
            f"{quoted} is not a detail this step takes, so {verb} was not recorded. "
            f"Did you mean '{name}: {value}'? If so, reply {verb} with that line."
        )
        return _unclear(found, UnclearKind.FIELD_NAME, why)
    if doubt.verdict is Verdict.REMARK:
        why = (
            f"You replied {verb} and also wrote {quoted}. That may change what {verb} "
            f"means, so nothing was recorded yet. If {verb} stands as written, reply "
            f"CONFIRM and it is recorded with your remark; otherwise reply with just "
            f"the decision you mean."
        )
        return Unclear(why, found.raw[:LINE_CAP], UnclearKind.REMARK, found.text,
                       doubt.sentence, as_written)  # fmt: skip
    why = (
        f"{quoted} may change or take back {verb}, so it was not recorded. If {verb} is "
        f"your whole answer, reply with just {verb}."
    )
    return _unclear(found, UnclearKind.TAKEN_BACK_BELOW, why)


def _request(found: Line, first: Piece, vocabulary: Vocabulary) -> Unclear | None:
    """ "Please approve", "Kindly approve": asking for the decision is not giving it."""
    before = [p for p in found.parts if p.end <= first.start]
    if not before or phrase_words(before[-1].text) not in phrase_set(vocabulary.requests):
        return None
    why = (
        f"{_quote(found.raw)} asks for {first.spec.verb if first.spec else 'a decision'} "
        "rather than giving it, so nothing was recorded. If that is your decision, reply "
        f"with just {first.spec.verb if first.spec else 'the decision word'}."
    )
    return _unclear(found, UnclearKind.REQUEST, why)


_SENTENCE_END = re.compile(r"(?<![.!?;。])[.!?;。]+\s+(?=\S)")


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
    found: Line, first: Piece, vocabulary: Vocabulary, parts: list[Piece]
) -> tuple[list[Piece], dict[str, str]]:
    """A known field after the verb on its line ("DONE - Effort: 5") is data, not words."""
    after = found.text[first.end :]
    key, colon, _ = after.partition(":")
    if not colon or " ".join(phrase_words(key)) not in vocabulary.field_names:
        return parts, {}
    key_start = first.end + len(key) - len(key.lstrip("".join(QUIET_MARKS) + " \t"))
    fields = fields_of([found.text[key_start:].strip()])
    if not fields:  # not a field line after all: every word stays to be judged
        return parts, {}
    return [p for p in parts if p.start < key_start], fields


def _with_text(
    found: Line, lines: list[str], first: Piece, spec: VerbSpec, vocabulary: Vocabulary
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


def _not_plain(found: Line, spec: VerbSpec, first: Piece, extra: list[Piece]) -> Unclear:
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
    said = found.text[extra[0].start : extra[-1].end]
    words = said if len(said) <= 80 else said[:77] + "..."
    return _unclear(
        found,
        UnclearKind.MORE_THAN_A_DECISION,
        f"Besides {verb}, your line says '{words}', which may add a condition or a limit, "
        f"so {verb} was not recorded: {_quote(found.raw)}. If {verb} is your whole answer, "
        f"reply with just {verb}.",
    )


def _decision(found: Line, verb: str, text: str, fields: dict[str, str], rule: str) -> Decision:
    return Decision(verb, text, MappingProxyType(fields), found.raw, found.text, rule)


def _unclear(found: Line, kind: UnclearKind, reason: str) -> Unclear:
    return Unclear(reason, found.raw[:LINE_CAP], kind, found.text)


def _quote(line: str) -> str:
    shown = line if len(line) <= 120 else line[:117] + "..."
    return f"'{shown}'"

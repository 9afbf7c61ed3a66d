"""Every sentence around a yes, read by the closed rule.

A yes is recorded only when nothing else in the reply could change it. Lists of
dangerous words ("but", "unless", "only") are never complete: "Budget permitting",
"Per Bob" or "After the freeze." carry a condition no such list names. So the rule
runs the other way: each sentence of the new text beside the decision must be one
of a closed set of shapes, and the first that is not is quoted back to the sender.

The shapes: blank or punctuation; a field line the workflow reads ("Effort: 12",
with the lines of a field that continues below); a sentence made only of listed
harmless phrases (greetings, thanks, sign-offs, configured people's names,
politeness, everyday forms such as "from my end", listed remarks such as "no
issues", the decision's own words again); a contact line of a signature (an
address, a link, a telephone number, with or without a listed label such as
"Mobile:"); or a remark this sender confirmed before. Footers, disclaimers and a
sender's learned signature are cut from the text before it gets here.

Each line is read once, so the cost is linear in the text, which the caller caps.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mailflow.reading.lines import field_of
from mailflow.reading.normalize import LINE_CAP, mixed_script_words, normalize_line, reorders
from mailflow.reading.tokens import Kind, Piece, phrase_words, pieces, tokens
from mailflow.workflow.fields import closest_field
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary


class Verdict(enum.Enum):
    """What a sentence beside a decision turned out to be."""

    QUIET = "adds nothing"
    FIELD = "a field line"
    CONFIRMED = "a remark confirmed before"
    CONTACT = "a contact line"
    REMARK = "a remark off the lists"  # asked back, and may be confirmed
    NEAR_FIELD = "a field name not known"  # asked back: "did you mean Cost:?"
    AGAINST = "another decision, a negation or a question"  # asked back, never confirmed
    UNREADABLE = "text that cannot be read safely"  # asked back, never confirmed


# Verdicts that let the yes stand.
ACCEPTED = frozenset({Verdict.QUIET, Verdict.FIELD, Verdict.CONFIRMED, Verdict.CONTACT})
_QUIET_KINDS = frozenset({Kind.GREETING, Kind.HARMLESS, Kind.NAME, Kind.REMARK})
_SENTENCE_END = re.compile(r"(?<![.!?;。])[.!?;。]+(?=\s|$)")
_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>]+|<(?:https?://|mailto:)[^\s<>]+>")
_PHONE = re.compile(r"\+?[\d()][\d ()./-]{5,30}\d(?: ?(?:ext|x)\.? ?\d{1,5})?")


@dataclass(frozen=True)
class Finding:
    """The first sentence that did not let a yes stand, and why."""

    verdict: Verdict
    sentence: str  # as written, for quoting
    field: str = ""  # for NEAR_FIELD: the key as written


def first_doubt(
    lines: list[str],
    spec: VerbSpec,
    vocabulary: Vocabulary,
    confirmed: frozenset[str],
) -> Finding | None:
    """The first line or sentence that is not on the closed lists, or None.

    `lines` are the text around the decision sentence, as written: the rest of its
    line first, then the lines above and below it.
    """
    in_field = False
    for raw in lines:
        if len(raw) > LINE_CAP:
            return Finding(Verdict.UNREADABLE, raw[:120] + "...")
        if reorders(raw):
            return Finding(Verdict.UNREADABLE, raw.strip())
        text = normalize_line(raw)
        if not text:
            in_field = False
            continue
        field = field_of(text)
        if field is not None:
            verdict = _field_line(field[0], field[1], text, vocabulary, confirmed)
            if verdict not in ACCEPTED:
                return Finding(verdict, raw.strip(), field[0])
            in_field = verdict is Verdict.FIELD and not field[1]
            continue
        if in_field:
            continue  # the value of a field whose key stood alone on the line above
        if _contact(text) or _title_line(text, vocabulary):
            continue
        for sentence in sentences(text):
            verdict = judge(sentence, spec, vocabulary, confirmed)
            if verdict not in ACCEPTED:
                return Finding(verdict, sentence)
    return None


def sentences(text: str) -> Iterator[str]:
    """The sentences of a normalised line, each with its closing marks."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        sentence = text[start : match.end()].strip()
        start = match.end()
        if sentence:
            yield sentence
    if text[start:].strip():
        yield text[start:].strip()


def judge(
    sentence: str, spec: VerbSpec, vocabulary: Vocabulary, confirmed: frozenset[str]
) -> Verdict:
    """One normalised sentence beside a yes of `spec`."""
    words = [t.word for t in tokens(sentence)]
    if not words:
        return Verdict.QUIET
    if " ".join(words) in confirmed:
        return Verdict.CONFIRMED
    if mixed_script_words(sentence):
        return Verdict.UNREADABLE
    if _contact(sentence):
        return Verdict.CONTACT
    found = pieces(sentence, vocabulary)
    if all(_adds_nothing(p, spec) for p in found):
        return Verdict.QUIET
    if any(_against(p, spec) for p in found):
        return Verdict.AGAINST
    return Verdict.REMARK


def _adds_nothing(piece: Piece, spec: VerbSpec) -> bool:
    if piece.kind in _QUIET_KINDS:
        return True
    if piece.kind is Kind.VERB:
        return piece.spec is spec
    if piece.kind is not Kind.LIKELY or piece.spec is None:
        return False
    return piece.spec.verb == spec.verb or (piece.spec.affirmative and spec.affirmative)


def _against(piece: Piece, spec: VerbSpec) -> bool:
    """A piece that turns a remark into another answer: no CONFIRM is offered for it."""
    if piece.kind in (Kind.NEGATION, Kind.QUESTION):
        return True
    if piece.kind in (Kind.VERB, Kind.LIKELY) and piece.spec is not None:
        return piece.spec.verb != spec.verb and not (
            piece.kind is Kind.LIKELY and piece.spec.affirmative and spec.affirmative
        )
    return False


def _field_line(
    key: str, value: str, text: str, vocabulary: Vocabulary, confirmed: frozenset[str]
) -> Verdict:
    name = " ".join(phrase_words(key))
    if name in vocabulary.field_names:
        return Verdict.FIELD
    if name in vocabulary.contact_labels and (not value or _contact(value)):
        return Verdict.CONTACT
    if " ".join(t.word for t in tokens(text)) in confirmed:
        return Verdict.CONFIRMED
    return Verdict.NEAR_FIELD if near_field(name, vocabulary) else Verdict.REMARK


def near_field(key: str, vocabulary: Vocabulary) -> str | None:
    """The known field name a key was probably meant as ("Cots" → "Cost"), or None."""
    return closest_field(key, vocabulary)


def _title_line(text: str, vocabulary: Vocabulary) -> bool:
    """A signature's title line ("Head of Digital | Acme Retail"): listed title and
    department words and names only, with no sentence mark."""
    if any(mark in text for mark in ".!?;:"):
        return False
    words = [t.word for t in tokens(text)]
    return bool(words) and all(
        w in vocabulary.signature_words or w in vocabulary.names for w in words
    )


def _contact(text: str) -> bool:
    """A line of only addresses, links and telephone numbers, as signatures carry."""
    rest = _PHONE.sub(" ", _LINK.sub(" ", _EMAIL.sub(" ", text)))
    return rest != text and not any(ch.isalnum() for ch in rest)

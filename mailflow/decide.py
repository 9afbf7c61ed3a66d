"""④ The new text of a reply → a Decision (verb, reason text, fields) or Unclear.

A false approval is the worst error mailflow can make, so this module reads
narrowly: the verb comes from the first meaningful line only, a negated or
hedged affirmative is never taken as a yes (nor as a no: it is a question
back), and two different verbs on that line are unclear. The vocabulary
(verbs, their phrases, negations) comes from the workflow definition.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mailflow.decide_lines import fields_of, first_meaningful, trailing_text
from mailflow.workflow.vocabulary import VerbSpec, Vocabulary

__all__ = ["Decision", "Unclear", "VerbSpec", "Vocabulary", "likely", "read"]


@dataclass(frozen=True)
class Decision:
    """What a reply asks for: the verb, its reason text and its "Key: value" fields."""

    verb: str
    text: str
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    line: str = ""


@dataclass(frozen=True)
class Unclear:
    """Why a reply could not be read; the sentence is sent back to the sender."""

    reason: str
    line: str


# Words that turn an affirmative into a condition or a plan rather than a yes.
_HEDGES_ANYWHERE = ("if", "unless", "provided", "pending", "subject to", "once", "as soon as")
_HEDGES_BEFORE = (
    "would", "could", "might", "may", "maybe", "perhaps", "probably", "will", "shall",
    "should", "to be", "going to", "about to", "almost", "nearly", "partially",
)  # fmt: skip


def read(text: str, vocabulary: Vocabulary) -> Decision | Unclear:
    """Read the decision in the new text of a reply.

    The caller has already removed quoted history and signatures
    (reply_text.new_text). Only the first meaningful line can carry the verb;
    "Key: value" lines anywhere in the text become fields.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found = first_meaningful(lines)
    if found is None:
        return Unclear("The reply has no new text above the quoted message.", "")
    index, line, content = found
    matches = _matches(content, vocabulary)
    if not matches:
        return Unclear(f"No decision word was found in: {_quote(line)}", line)

    first = matches[0]
    spec = first.spec
    rest_start = first.end
    if spec.takes_text and not spec.affirmative:
        # A reason may mention other keywords ("REJECTED: cost not approved").
        considered = [first]
        rest_start = first.end
    else:
        considered = matches
    verbs = list(dict.fromkeys(m.spec.verb for m in considered))
    if len(verbs) > 1:
        both = " and ".join(verbs) if len(verbs) == 2 else ", ".join(verbs)
        return Unclear(f"Both {both} were found in: {_quote(line)}", line)

    lowered = _normalize(content)
    before = lowered[: first.start]
    scope = lowered if spec.affirmative or not spec.takes_text else before
    phrase = lowered[first.start : first.end]
    negation = _find_word(_blank_matches(scope, considered), _negations(vocabulary))
    if negation:
        return Unclear(
            f"'{negation}' is a negation, so '{phrase}' was not read as {spec.verb}; "
            f"please answer with just the decision word, in: {_quote(line)}",
            line,
        )
    if spec.affirmative:
        unclear = _hedged(lowered, first, considered, phrase, spec.verb, line)
        if unclear:
            return unclear

    rest = content[rest_start:]
    own_fields = {} if spec.takes_text else fields_of([rest.strip(" \t:-–—,.;")])
    fields = {**own_fields, **fields_of(lines[index + 1 :])}
    reason = trailing_text(rest, lines[index + 1 :]) if spec.takes_text else ""
    return Decision(spec.verb, reason, MappingProxyType(fields), line)


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    spec: VerbSpec


_APOSTROPHES = str.maketrans("’‘´`", "''''")


def _normalize(text: str) -> str:
    """Lower-case with typographic apostrophes made plain; keeps offsets (same length)."""
    return text.lower().translate(_APOSTROPHES)


def _phrase_pattern(phrase: str) -> str:
    words = [re.escape(w).replace("'", "'?") for w in phrase.split()]
    body = r"[\s\-]+".join(words)
    body = re.sub(r"\\\?$", r"\\s*\\?", body)  # "status?" also matches "STATUS ?"
    # A hyphen before the phrase makes another word ("pre-approved", "un-approved").
    return rf"(?<![\w\-']){body}(?![\w\-])"


def _matches(content: str, vocabulary: Vocabulary) -> list[_Match]:
    """Non-overlapping phrase matches, longest phrase first, in line order."""
    lowered = _normalize(content)
    candidates: list[tuple[int, int, VerbSpec]] = []
    for spec in vocabulary.verbs:
        for phrase in spec.phrases:
            if not phrase.strip():
                continue
            for m in re.finditer(_phrase_pattern(phrase.lower()), lowered):
                candidates.append((m.start(), m.end(), spec))
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken: list[_Match] = []
    for start, end, spec in candidates:
        if all(end <= t.start or start >= t.end for t in taken):
            taken.append(_Match(start, end, spec))
    return sorted(taken, key=lambda t: t.start)


def _negations(vocabulary: Vocabulary) -> tuple[str, ...]:
    return tuple(n.lower() for n in vocabulary.negations if n.strip())


def _blank_matches(text: str, matches: list[_Match]) -> str:
    """Hide the matched phrases so that "not cr" does not negate itself."""
    chars = list(text)
    for m in matches:
        if m.end <= len(chars):
            chars[m.start : m.end] = " " * (m.end - m.start)
    return "".join(chars)


def _find_word(text: str, words: tuple[str, ...]) -> str | None:
    """First of words present on word boundaries; also any "…n't" contraction."""
    for word in sorted(words, key=len, reverse=True):
        if re.search(_phrase_pattern(word), text):
            return word
    for contraction in re.finditer(r"\b\w+n'?t\b", text):
        word = contraction.group(0)
        if word.endswith("n't") or word in _APOSTROPHE_LESS:
            return word
    return None


_APOSTROPHE_LESS = frozenset(
    {"dont", "cant", "wont", "isnt", "arent", "wasnt", "werent", "didnt", "doesnt",
     "havent", "hasnt", "hadnt", "shouldnt", "couldnt", "wouldnt", "aint"}
)  # fmt: skip


def _hedged(
    lowered: str, first: _Match, considered: list[_Match], phrase: str, verb: str, line: str
) -> Unclear | None:
    """A question, condition or plan around an affirmative word is not a yes."""
    scope = _blank_matches(lowered, considered)
    if re.search(r"^\s*\?", lowered[first.end :]) or lowered.rstrip().endswith("?"):
        return Unclear(
            f"'{phrase}' reads as a question, so it was not taken as {verb}: {_quote(line)}",
            line,
        )
    word = _find_word(scope, _HEDGES_ANYWHERE) or _find_word(scope[: first.start], _HEDGES_BEFORE)
    if word:
        return Unclear(
            f"'{word}' makes '{phrase}' conditional or not yet given, so it was not taken "
            f"as {verb}; reply with just {verb} when it is final: {_quote(line)}",
            line,
        )
    return None


def _quote(line: str) -> str:
    shown = line if len(line) <= 120 else line[:117] + "..."
    return f"'{shown}'"


# Words around an everyday "ok" that make it a condition, a plan or a doubt.
_LIKELY_HEDGES = (
    "but", "however", "though", "although", "except", "wait", "hold on", "unless", "if",
    "once", "pending", "provided", "before", "after", "first", "later", "tomorrow",
    "not sure", "unsure", "let me", "check", "question", "questions", "concern",
    "concerns", "maybe", "perhaps", "probably", "might", "would", "could", "should",
    "will", "i'll", "we'll", "need", "needs", "almost", "nearly", "partially", "assuming",
)  # fmt: skip
_LIKELY_SCOPE = 4  # lines below the first one that can still take the "ok" back


def likely(text: str, vocabulary: Vocabulary) -> str | None:
    """The verb a reply probably means in other words ("go ahead", "OK", "👍"), or None.

    Real approvers rarely write the keyword, so these replies must not be
    ignored; but they are not clear enough to record either. The caller asks
    the sender to confirm. Any doubt gives None: no decision phrase found,
    a keyword already read by `read`, two different verbs, a negation, a
    question mark, or a hedge ("ok but wait", "looks good, let me check")
    in the first lines.
    """
    if isinstance(read(text, vocabulary), Decision):
        return None
    specs = tuple(
        VerbSpec(v.verb, v.likely, takes_text=False, affirmative=v.affirmative)
        for v in vocabulary.verbs
        if v.likely
    )
    if not specs:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found = _first_line(lines)
    if found is None:
        return None
    index, content = found
    own = Vocabulary(specs, vocabulary.negations)
    matches = _matches(content, own)
    if not matches or len({m.spec.verb for m in matches}) > 1:
        return None
    following = [line for line in lines[index + 1 :] if line.strip()][:_LIKELY_SCOPE]
    scope = [_blank_matches(_normalize(content), matches), *map(_normalize, following)]
    negations = _negations(vocabulary)
    for part in scope:
        if "?" in part or _find_word(part, negations) or _find_word(part, _LIKELY_HEDGES):
            return None
        if part is not scope[0] and {m.spec.verb for m in _matches(part, own)} - {
            matches[0].spec.verb
        }:
            return None
    return matches[0].spec.verb


def _first_line(lines: list[str]) -> tuple[int, str] | None:
    """Like first_meaningful, but a line of only symbols ("👍") counts too."""
    found = first_meaningful(lines)
    symbols = next(
        (i for i, line in enumerate(lines) if line.strip() and not re.search(r"\w", line)), None
    )
    if symbols is not None and (found is None or symbols < found[0]):
        return symbols, lines[symbols].strip()
    return (found[0], found[2]) if found else None

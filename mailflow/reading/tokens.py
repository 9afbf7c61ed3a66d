"""A normalised line → the phrases it is made of, each labelled by what it is.

The decision grammar is closed: a yes counts only when everything beside the verb
is known to add nothing. To tell, the line is cut into tokens (words, "?" and
single symbols such as emoji; quiet punctuation is dropped), and tokens are grouped
into the longest phrases the vocabulary knows, in one left-to-right pass: a verb
phrase, an everyday phrase that probably means a verb, a greeting, a harmless word,
a remark, a negation, a person's name, or an unknown word. The pass is linear in
the length of the line, whatever the line holds.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

from mailflow.workflow.vocabulary import VerbSpec, Vocabulary


class Kind(enum.Enum):
    """What a piece of a decision line is."""

    VERB = "verb"  # a phrase of a reply verb ("approved", "signed off")
    LIKELY = "likely"  # everyday words that probably mean a verb ("go ahead")
    GREETING = "greeting"  # salutations, thanks, sign-offs ("hi", "thanks", "regards")
    HARMLESS = "harmless"  # words that add nothing beside a verb ("yes", "hereby")
    REMARK = "remark"  # a remark that may follow a verb ("no issues")
    NAME = "name"  # a person's name
    NEGATION = "negation"  # a word that negates ("not", "can't")
    QUESTION = "question"  # a question mark
    UNKNOWN = "unknown"  # anything else


# Punctuation that carries no meaning of its own on a decision line.
QUIET_MARKS = frozenset(".,!;:-–—()[]\"'…*•·。、・")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]|_")
_TITLES = frozenset({"mr", "mrs", "ms", "dr", "mx"})
_PRIORITY = {Kind.VERB: 0, Kind.LIKELY: 1, Kind.NEGATION: 2, Kind.REMARK: 3}
_MAX_NAME_RUN = 3


@dataclass(frozen=True)
class Token:
    text: str  # as written (normalised), for names and quoting
    word: str  # lower-case
    start: int
    end: int
    after_mark: bool  # quiet punctuation stands right before it


@dataclass(frozen=True)
class Piece:
    """A phrase of the line: its kind, the verb it belongs to, and where it stands."""

    kind: Kind
    text: str
    start: int
    end: int
    spec: VerbSpec | None = None


@dataclass(frozen=True)
class _Entry:
    words: tuple[str, ...]
    kind: Kind
    spec: VerbSpec | None


def tokens(line: str) -> list[Token]:
    """Words, "?" and symbols of a line; quiet punctuation only marks the next token."""
    out: list[Token] = []
    mark = False
    for match in _TOKEN.finditer(line):
        text = match.group(0)
        if text in QUIET_MARKS:
            mark = True
            continue
        out.append(Token(text, text.lower(), match.start(), match.end(), mark))
        mark = False
    return out


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A vocabulary phrase cut the way lines are, so both compare token by token."""
    return tuple(t.word for t in tokens(phrase))


@lru_cache(maxsize=64)
def _index(vocabulary: Vocabulary) -> dict[str, list[_Entry]]:
    entries: list[_Entry] = []
    for spec in vocabulary.verbs:
        entries += [_Entry(phrase_words(p), Kind.VERB, spec) for p in spec.phrases]
        entries += [_Entry(phrase_words(p), Kind.LIKELY, spec) for p in spec.likely]
    for kind, phrases in (
        (Kind.NEGATION, vocabulary.negations),
        (Kind.REMARK, vocabulary.remarks),
        (Kind.HARMLESS, vocabulary.harmless),
        (Kind.GREETING, vocabulary.greetings),
    ):
        entries += [_Entry(phrase_words(p), kind, None) for p in phrases]
    index: dict[str, list[_Entry]] = {}
    for entry in entries:
        if entry.words:
            index.setdefault(entry.words[0], []).append(entry)
    for bucket in index.values():
        bucket.sort(key=lambda e: (-len(e.words), _PRIORITY.get(e.kind, 9)))
    return index


def pieces(line: str, vocabulary: Vocabulary) -> list[Piece]:
    """The line as a sequence of labelled phrases, longest known phrase first."""
    toks = tokens(line)
    index = _index(vocabulary)
    out: list[Piece] = []
    i = 0
    while i < len(toks):
        entry = _longest(toks, i, index.get(toks[i].word, ()))
        if entry is not None:
            last = toks[i + len(entry.words) - 1]
            out.append(
                Piece(
                    entry.kind, line[toks[i].start : last.end], toks[i].start, last.end, entry.spec
                )
            )
            i += len(entry.words)
            continue
        tok = toks[i]
        kind = Kind.QUESTION if tok.text == "?" else Kind.UNKNOWN
        if tok.word in vocabulary.names:
            kind = Kind.NAME
        elif kind is Kind.UNKNOWN and _contraction_negation(tok.word):
            kind = Kind.NEGATION
        out.append(Piece(kind, tok.text, tok.start, tok.end))
        i += 1
    return _addressees(out, toks)


def _longest(toks: list[Token], i: int, bucket: list[_Entry] | tuple[()]) -> _Entry | None:
    for entry in bucket:
        n = len(entry.words)
        if i + n <= len(toks) and all(toks[i + k].word == w for k, w in enumerate(entry.words)):
            return entry
    return None


def _contraction_negation(word: str) -> bool:
    return word.endswith("n't")


def _addressees(found: list[Piece], toks: list[Token]) -> list[Piece]:
    """Capitalised words right after a greeting ("Hi Sam,") are the person addressed.

    Only a short run of them, and only when the run ends the line or is followed by
    punctuation: "Thanks Conditionally approved" names nobody.
    """
    by_start = {t.start: t for t in toks}
    out = list(found)
    i = 0
    while i < len(out):
        opener = out[i]
        is_opener = opener.kind is Kind.GREETING or opener.text.lower() in _TITLES
        j = i + 1
        while j < len(out) and j - i <= _MAX_NAME_RUN and _looks_like_name(out[j]):
            j += 1
        if is_opener and j > i + 1:
            ends = j == len(out) or by_start[out[j].start].after_mark
            if ends:
                for k in range(i + 1, j):
                    out[k] = Piece(Kind.NAME, out[k].text, out[k].start, out[k].end)
        i = max(j, i + 1)
    return out


def _looks_like_name(piece: Piece) -> bool:
    return piece.kind in (Kind.UNKNOWN, Kind.NAME) and piece.text.isalpha() and piece.text.istitle()


def phrase_set(phrases: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Vocabulary phrases as token tuples, for lookups."""
    return {w for w in (phrase_words(p) for p in phrases) if w}


def first_phrase(words: list[str], phrases: set[tuple[str, ...]]) -> str | None:
    """The first of `phrases` found in `words`, longest first at each position."""
    longest = max((len(p) for p in phrases), default=0)
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            if tuple(words[i : i + n]) in phrases:
                return " ".join(words[i : i + n])
    return None

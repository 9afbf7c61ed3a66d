"""What reading a reply comes to: a Decision, or Unclear with its kind and reason.

Kept apart from the grammar in decide.py, which makes them: the grammar is long,
and these are all that most callers of it name. decide.py offers them too.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mailflow.reading.normalize import normalize_line
from mailflow.reading.tokens import tokens


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


NOTHING_KNOWN = Known()


def remark_key(sentence: str) -> str:
    """A remark as compared with the ones a person confirmed: normalised words only."""
    return " ".join(t.word for t in tokens(normalize_line(sentence)))

"""The words a workflow understands: its verbs, their phrases, and the words around them.

These are plain data read from the workflow file; reading (decide.py) interprets
them. They live with the workflow so that the workflow layer imports nothing of
the reading layer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VerbSpec:
    """One reply keyword and the phrases that mean it."""

    verb: str  # canonical upper-case, e.g. "APPROVED"
    phrases: tuple[str, ...]  # lower-case phrases that mean this verb
    takes_text: bool  # the rest of the line after the phrase is the reason / status text
    affirmative: bool  # moves a CR forward; a negated phrase must never produce it
    likely: tuple[str, ...] = ()  # lower-case everyday words that probably mean it ("go ahead")


@dataclass(frozen=True)
class Vocabulary:
    """Every verb a workflow understands, and the closed lists of words around them.

    A yes is recorded only from a line made of its verb and words on these lists:
    greetings and thanks, harmless words, remarks, and people's names; every other
    sentence of the reply must be made of them too. Anything else makes the reply a
    question back; negations and retractions only say which question to ask.
    """

    verbs: tuple[VerbSpec, ...]
    negations: tuple[str, ...]
    greetings: tuple[str, ...] = ()  # salutations, thanks, sign-offs ("hi", "regards")
    harmless: tuple[str, ...] = ()  # words that add nothing beside a verb ("yes", "hereby")
    remarks: tuple[str, ...] = ()  # remarks that may follow a verb ("no issues")
    retractions: tuple[str, ...] = ()  # words that take back a reason's verb ("no wait")
    requests: tuple[str, ...] = ()  # words that make a verb a request ("please approve")
    question_openers: tuple[str, ...] = ()  # first words that make a question ("is it …")
    contact_labels: tuple[str, ...] = ()  # labels of signature contact lines ("mobile")
    signature_words: tuple[str, ...] = ()  # words of title lines ("head", "of")
    field_names: frozenset[str] = frozenset()  # "Key" of "Key: value" lines the workflow reads
    names: frozenset[str] = frozenset()  # people's names, lower-case (from the directory)

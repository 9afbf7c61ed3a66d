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
    """Every verb a workflow understands, plus the words that negate them."""

    verbs: tuple[VerbSpec, ...]
    negations: tuple[str, ...]

"""Is this reply a forward of someone else's mail, and if so, whose words does it carry?

A decision counts when the person who holds the role sends it. A forwarded approval is
someone else's copy of it: refused by default, or, with `[security] accept_forwarded`,
taken as evidence attested by the forwarder when the original is attached whole
(message/rfc822), so that its own reply token can be checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mailflow.errors import ParseError
from mailflow.mail import reply_text
from mailflow.mail.parse import Inbound, parse

_FWD_SUBJECT = re.compile(r"^\s*((re|aw|sv|antw)\s*:\s*)*(fwd?|wg|tr|rv|vs|doorst)\s*:", re.I)
# Each pattern stays linear on hostile text (DESIGN.md, invariant 8): no two repeats in a row
# can take the same character, and a searched one starts only where one can. `\s*` after `^`
# would span lines and rescan every blank line below each line start, and `\s*[-_ ]*` would
# split a line of spaces every possible way.
_INLINE_MARK = re.compile(
    r"^[^\S\n]*(?:[-_][-_ ]*)?(forwarded message|begin forwarded message|"
    r"weitergeleitete nachricht|message transféré|mensaje reenviado)[-_ :]*$",
    re.IGNORECASE | re.MULTILINE,
)
# The address is taken at the start of a word only, never from the middle of a long one.
_INLINE_FROM = re.compile(
    r"^\s*[*_]?from\s*(?:[*_]\s*)?:(?:.*?[^\w.+'-])??([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)", re.I
)


@dataclass(frozen=True)
class Forward:
    """The forwarded original: its author, its new text, and the whole message if attached."""

    author: str
    text: str
    original: Inbound | None = None


def detect(msg: Inbound) -> Forward | None:
    """The forwarded original, or None when the message is not a forward."""
    for part in msg.attachments:
        if part.content_type.lower() == "message/rfc822":
            try:
                original = parse(part.payload)
            except ParseError:
                continue
            return Forward(original.from_addr, reply_text.new_text(original.text), original)
    inline = _INLINE_MARK.search(msg.text)
    if inline is None and not _FWD_SUBJECT.match(msg.subject):
        return None
    body = msg.text[inline.end() :] if inline else msg.text
    return _inline(body)


def _inline(body: str) -> Forward:
    """Author and first words of an inline forward: its header block, then its body."""
    lines = body.splitlines()
    author, start = "", 0
    for number, line in enumerate(lines[:12]):
        found = _INLINE_FROM.match(line)
        if found:
            author = found.group(1).lower()
        if author and not line.strip():
            start = number + 1
            break
    text = "\n".join(lines[start:]) if author else ""
    return Forward(author, reply_text.new_text(text).strip())


def decision_in(
    msg: Inbound, read: Callable[[str], object], sender_acts: bool
) -> tuple[Forward, object] | None:
    """(forward, its decision) when the message forwards someone else's decision.

    A sender who acts in a role with their own words is not forwarding anything.
    """
    if sender_acts:
        return None
    forward = detect(msg)
    if forward is None or not forward.author or forward.author == msg.from_addr:
        return None
    decision = read(forward.text)
    if getattr(decision, "verb", None) is None:
        return None
    return forward, decision


def refusal(forward: Forward, forwarder: str, accepted: bool) -> str:
    """Why a forwarded decision does not count, for the forwarder and the audit trail."""
    if accepted and forward.original is None:
        return (
            f"the decision of {forward.author} was forwarded by {forwarder} inline; only a "
            "forward with the original attached can be checked"
        )
    return (
        f"the decision of {forward.author} was forwarded by {forwarder}; "
        f"{forward.author} must reply to the request themselves"
    )

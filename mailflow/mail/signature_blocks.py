"""A person's own signature, learned from the bottom of their earlier mails.

Company signatures rarely start with the "-- " line that marks one, so they cannot
be cut by shape. What can be known is that the same block closed two earlier mails
of the same sender: that block is their signature, not something said in this
reply. Blocks are compared line by line after folding spaces, so a re-wrapped
client keeps matching; nothing here touches the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_SPACES = re.compile(r"\s+")

TAIL_LINES = 8  # the last non-blank lines of a reply kept to compare with the next ones
MIN_LINES = 2  # one line alike at the bottom of two mails ("Thanks") is no signature
_LINE_CAP = 200  # characters of a line kept; a longer line is said, not signed
_SAID = re.compile(r"[.!?…]$")


def block_lines(block: str) -> list[str]:
    """The non-blank lines of a block, spaces folded, as they are compared."""
    return [_SPACES.sub(" ", line).strip() for line in block.splitlines() if line.strip()]


def strip_learned(text: str, signatures: Sequence[str]) -> str:
    """The text without a learned signature block that ends it, if one does.

    Only a block at the very end counts: the same lines in the middle of a reply are
    words the sender wrote there, and stay.
    """
    if not signatures or not text.strip():
        return text
    lines = text.splitlines()
    shown = [(i, _SPACES.sub(" ", line).strip()) for i, line in enumerate(lines) if line.strip()]
    for signature in sorted(signatures, key=len, reverse=True):
        wanted = block_lines(signature)
        if not wanted or len(wanted) > len(shown):
            continue
        tail = shown[-len(wanted) :]
        if [line for _, line in tail] == wanted:
            return "\n".join(lines[: tail[0][0]]).rstrip()
    return text


def tail_of(text: str, limit: int = TAIL_LINES) -> str:
    """The last `limit` non-blank lines of a text, spaces folded: where a signature sits."""
    return "\n".join(line[:_LINE_CAP] for line in block_lines(text)[-limit:])


def common_tail(
    first: str, second: str, allowed: Callable[[str], bool] = lambda _line: True
) -> str:
    """The lines that end both blocks alike, as a block; "" when fewer than MIN_LINES.

    The run goes up from the bottom and stops at the first line that differs, that
    reads as a sentence (it ends with . ! ? or asks something: a remark, not a
    signature line; a name such as "Acme Inc." is too short to count), or that
    `allowed` refuses (the caller's check for a decision word or a field). So a
    condition written at the end of two mails is never learned as a signature.
    """
    a, b = block_lines(first), block_lines(second)
    run: list[str] = []
    for line_a, line_b in zip(reversed(a), reversed(b), strict=False):
        if line_a != line_b or _said(line_a) or not allowed(line_a):
            break
        run.append(line_a)
    return "\n".join(reversed(run)) if len(run) >= MIN_LINES else ""


def _said(line: str) -> bool:
    return "?" in line or (_SAID.search(line) is not None and len(line.split()) > 2)

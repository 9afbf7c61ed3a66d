"""A person's own signature, learned from the bottom of their earlier mails.

Company signatures rarely start with the "-- " line that marks one, so they cannot
be cut by shape. What can be known is that the same block closed two earlier mails
of the same sender: that block is their signature, not something said in this
reply. Blocks are compared line by line after folding spaces, so a re-wrapped
client keeps matching; nothing here touches the store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SPACES = re.compile(r"\s+")


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

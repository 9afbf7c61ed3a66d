"""Size limits on inbound mail: a message over one is answered and recorded, not acted on.

Limits keep one mail from filling the database (every message and attachment is
stored) and bound the work a hostile sender can cause.
"""

from __future__ import annotations

from mailflow.config.security import LimitSettings
from mailflow.mail.parse import Inbound


def breach(msg: Inbound, limits: LimitSettings) -> str | None:
    """The first limit the message breaks, said plainly, or None."""
    size = len(msg.raw)
    if limits.max_message_bytes and size > limits.max_message_bytes:
        return f"the message is {_size(size)}; the limit is {_size(limits.max_message_bytes)}"
    count = len(msg.attachments)
    if limits.max_attachments and count > limits.max_attachments:
        return f"the message has {count} attachments; the limit is {limits.max_attachments}"
    for part in msg.attachments:
        if limits.max_attachment_bytes and len(part.payload) > limits.max_attachment_bytes:
            return (
                f"the attachment {part.filename!r} is {_size(len(part.payload))}; "
                f"the limit is {_size(limits.max_attachment_bytes)} per file"
            )
    return None


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"

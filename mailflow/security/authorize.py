"""May this sender act on this CR at all? The stage-level role check is the engine's.

Here sit the checks that concern the message rather than the workflow: that it has one
unambiguous sender, and that the sender holds some role on the CR's account. The answer
to a stranger says nothing about the CR. Whether the reply proves its sender (reply
token, Authentication-Results) is mailflow.security.policy's question.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from email.utils import getaddresses

from mailflow.mail.parse import Inbound


@dataclass(frozen=True)
class Check:
    allowed: bool
    reason: str = ""


def check(msg: Inbound, roles: Set[str]) -> Check:
    """Allowed, or refused with a reason that reveals nothing about the CR to a stranger."""
    if not msg.from_addr:
        return Check(False, "the message has no sender address")
    senders = [v for k, v in msg.headers if k.lower() == "from"]
    addresses = [a for _, a in getaddresses(senders) if "@" in a]
    if len(senders) > 1 or len(addresses) > 1:
        # Which of several From addresses wrote it is unknowable; DMARC treats it as a fail.
        return Check(False, "the message names more than one sender")
    if not roles:
        return Check(False, f"{msg.from_addr} takes no part in this change request")
    return Check(True)

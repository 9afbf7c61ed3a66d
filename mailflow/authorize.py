"""③ May this sender act on this CR at all? The stage-level role check is the engine's.

Here sit the checks that concern the message rather than the workflow: that it has a
sender, and that the sender holds some role on the CR's account. The answer to a
stranger says nothing about the CR.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from mailflow.app import App
from mailflow.mail.parse import Inbound


@dataclass(frozen=True)
class Check:
    allowed: bool
    reason: str = ""


def check(app: App, msg: Inbound, roles: Set[str]) -> Check:
    """Allowed, or refused with a reason that reveals nothing about the CR to a stranger."""
    if not msg.from_addr:
        return Check(False, "the message has no sender address")
    if not roles:
        return Check(False, f"{msg.from_addr} takes no part in this change request")
    return Check(True)

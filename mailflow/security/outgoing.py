"""One logical mail → one copy per recipient, each with that recipient's reply token.

The token rides in the copy's Message-ID (and, when configured, in a Reply-To
sub-address), so an ordinary reply brings it back in In-Reply-To / References with no
effort from the person replying. Copies never show another person's token: references
that carry tokens are kept only in the copy to the person who wrote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from mailflow.app import App
from mailflow.security.tokens import TOKEN_RE, keyring, mint, note_key_use, stage_instance
from mailflow.store.tables import ChangeRequest


@dataclass(frozen=True)
class Copy:
    """One recipient's copy: its envelope address, Message-ID and optional Reply-To."""

    address: str
    message_id: str
    reply_address: str | None = None


def copies(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    recipients: Sequence[str],
    now: datetime,
) -> tuple[str, list[Copy]]:
    """(group id, copies): the group id names the logical mail and carries no token."""
    composer = app.composer
    group = composer.mint_message_id(cr.id if cr else None)
    if cr is None:
        return group, [Copy(a, composer.mint_message_id(None)) for a in recipients]
    ring = keyring(app.settings)
    note_key_use(session, ring.kid, now)
    instance = stage_instance(cr.stage, cr.entered_at)
    local, _, domain = app.settings.shared_inbox.partition("@")
    out = []
    for address in recipients:
        token = mint(ring, cr.id, instance, address, now)
        reply = f"{local}+{token}@{domain}" if app.settings.security.reply_subaddress else None
        out.append(Copy(address, composer.mint_message_id(cr.id, token), reply))
    return group, out


def references_for(address: str, replied_by: str | None, references: Sequence[str]) -> list[str]:
    """The thread references one copy may show: no one else's token."""
    if address == replied_by:
        return [r for r in references if r]
    return [r for r in references if r and not TOKEN_RE.search(r)]

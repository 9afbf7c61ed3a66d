"""Waiting for new IMAP mail: IDLE when the server offers it, polling when it does not.

Apart from reading and filing because it is a different conversation with the server: a
long-held IDLE, renewed before the server drops it, in which a BYE or a silently closed
connection must be told from a quiet mailbox. What counts as new mail (past the last UID
seen, or a changed UIDVALIDITY) is the source's to say: it is passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from imapclient import IMAPClient

from mailflow.config.servers import ImapSettings

_NEW_MAIL = (b"EXISTS", b"RECENT")


def _announces_mail(responses: list[tuple[object, ...]]) -> bool:
    return any(len(r) > 1 and r[1] in _NEW_MAIL for r in responses)


def wait_for_mail(
    client: IMAPClient,
    deadline: float,
    settings: ImapSettings,
    *,
    can_idle: bool,
    has_new_mail: Callable[[IMAPClient], bool],
    checked: Callable[[], None],
    sleep: Callable[[float], None],
) -> bool:
    """True once new mail may be there, False at `deadline` (monotonic) without any."""
    if has_new_mail(client):
        return True
    if not (settings.idle and can_idle):
        while (remaining := deadline - time.monotonic()) > 0:
            sleep(min(settings.poll_seconds, remaining))
            if has_new_mail(client):
                return True
        return False
    return idle(client, deadline, settings.idle_renew_seconds, checked)


def idle(
    client: IMAPClient, deadline: float, renew_every: float, checked: Callable[[], None]
) -> bool:
    """IDLE until mail, the deadline or a disconnect (BYE, or an early empty idle_check)."""
    client.idle()
    renew_at = time.monotonic() + renew_every
    while (now := time.monotonic()) < deadline:
        chunk = min(deadline, renew_at) - now
        responses = client.idle_check(timeout=chunk)
        if any(len(r) > 0 and r[0] == b"BYE" for r in responses):
            raise ConnectionAbortedError("IMAP server said BYE during IDLE")
        if not responses and chunk > 0.2 and time.monotonic() - now < chunk / 2:
            raise ConnectionAbortedError("IMAP connection closed during IDLE")
        if responses:
            checked()
        if _announces_mail(responses):
            client.idle_done()
            return True
        if time.monotonic() >= renew_at:
            if _announces_mail(client.idle_done()[1]):
                return True
            client.idle()
            checked()
            renew_at = time.monotonic() + renew_every
    return _announces_mail(client.idle_done()[1])

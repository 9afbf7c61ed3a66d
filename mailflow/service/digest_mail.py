"""Sending the weekly digests: on the configured weekday from the configured hour, each
recipient's digest at most once per ISO week, through the outbox like every other mail.

Each recipient's digest is claimed (store/sent_once.py) and queued in one transaction of
its own, so a restart, a second daemon or `mailflow digest` on the same day sends
nothing twice, and one recipient's failure does not hold back the others.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.store import outbox
from mailflow.store.sent_once import OnceKind, claim, sent, week_of
from mailflow.views.digests import Digest, DigestKind, build, collect, recipients


def due(app: App, now: datetime) -> bool:
    """Whether now is on the configured digest weekday, at or after its hour (UTC)."""
    schedule = app.settings.schedule
    return schedule.digest_weekday == now.weekday() and now.hour >= schedule.digest_hour


def send_due(app: App, now: datetime) -> int:
    """The service's weekly job: send what is due now; the number of digests queued."""
    return send(app, now) if due(app, now) else 0


def send(app: App, now: datetime) -> int:
    """Queue every digest not yet sent this week; the number queued.

    Who was already sent one is asked first, so a check later on the same day costs a
    look-up per recipient, not a reading of every CR.
    """
    queued, week = 0, week_of(now)
    for kind, person in recipients(app):
        key = _key(kind, person)
        with app.db.transaction() as session:
            if sent(session, OnceKind.DIGEST, key, week):
                continue
            digest = build(app, session, kind, person, now)
            if claim(session, OnceKind.DIGEST, key, week, now):
                queue(app, session, digest, now)
                queued += 1
    return queued


def preview(app: App, now: datetime) -> list[str]:
    """One line per digest: to whom, what it holds, and whether it already went this week."""
    lines = []
    with app.db.session() as session:
        for digest in collect(app, session, now):
            key = _key(digest.kind, digest.person)
            done = sent(session, OnceKind.DIGEST, key, week_of(now))
            lines.append(digest.summary() + ("  (already sent this week)" if done else ""))
    return lines


def _key(kind: DigestKind, person: Person) -> str:
    return f"{kind.removeprefix('notice/')} {person.email}"


def context(app: App, digest: Digest, now: datetime) -> dict[str, Any]:
    """The template's words: plain values only, as for every other mail."""
    return {
        "shared_inbox": app.settings.shared_inbox,
        "product": "mailflow",
        "digest": {
            "name": digest.person.name or digest.person.email,
            "date": f"{now:%A} {now.day} {now:%B %Y}",
            "open": digest.open,
            "overdue": digest.overdue,
            "changes": digest.changes,
        },
    }


def queue(app: App, session: Session, digest: Digest, now: datetime) -> None:
    """One digest as an outbox row addressed to its one recipient."""
    template = digest.kind.value
    message_id = app.composer.mint_message_id(None)
    msg = app.composer.build(
        template=template,
        context=context(app, digest, now),
        cr_id=None,
        to=[digest.person.email],
        now=now,
        message_id=message_id,
    )
    outbox.enqueue(
        session,
        message_id=message_id,
        envelope_from=app.settings.shared_inbox,
        recipients=[digest.person.email],
        data=msg.as_bytes(),
        cr_id=None,
        template=template,
        now=now,
    )

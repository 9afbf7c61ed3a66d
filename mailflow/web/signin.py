"""One-time sign-in links and browser sessions for the status page.

A link is minted only for an address among the configured people and mailed through the
outbox like every other mail. It expires after `link_minutes` and works once: using it
is an UPDATE that succeeds only while the link is unused and fresh, so two clicks (or a
mail scanner racing the person) cannot both sign in. The browser then holds a random
session id; the store holds only its hash. A person removed from the configuration is
signed out at the next request, because every request looks the person up again.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from sqlalchemy import delete, update
from sqlmodel import col

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.store import outbox
from mailflow.store.ops_tables import WebLogin, WebSession

# Not a CR mail, so not among the CR mail templates (which all speak of a CR).
BODY = """Hello {name},

here is your link to the change-request status page:

{link}

It works once, within {minutes} minutes. If you did not ask for it, ignore
this mail: nobody can sign in without it.
"""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def request_link(app: App, address: str, now: datetime) -> bool:
    """Mail a sign-in link to a configured person; False (and nothing sent) for anyone else."""
    person = app.settings.person(address.strip())
    if person is None:
        return False
    web = app.settings.web
    token = secrets.token_urlsafe(32)
    link = f"{web.base_url.rstrip('/')}/signin/{token}"
    body = BODY.format(name=person.name, link=link, minutes=web.link_minutes)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{app.settings.from_name} <{app.settings.shared_inbox}>"
    msg["To"] = person.email
    msg["Subject"] = "Your sign-in link for the change-request status page"
    msg["Date"] = format_datetime(now)
    message_id = make_msgid("signin", domain=app.settings.message_id_domain)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    with app.db.transaction() as session:
        session.add(
            WebLogin(
                token_hash=digest(token),
                email=person.email,
                created_at=now,
                expires_at=now + timedelta(minutes=web.link_minutes),
            )
        )
        outbox.enqueue(
            session,
            message_id=message_id,
            envelope_from=app.settings.shared_inbox,
            recipients=[person.email],
            data=msg.as_bytes(),
            cr_id=None,
            template="web/signin",
            now=now,
        )
    return True


def use_link(app: App, token: str, now: datetime) -> Person | None:
    """The person a fresh, unused link was mailed to, marking it used; else None."""
    hashed = digest(token)
    with app.db.transaction() as session:
        used = session.connection().execute(
            update(WebLogin)
            .where(col(WebLogin.token_hash) == hashed)
            .where(col(WebLogin.used_at).is_(None))
            .where(col(WebLogin.expires_at) > now)
            .values(used_at=now)
        )
        if used.rowcount != 1:
            return None
        row = session.get(WebLogin, hashed)
    return app.settings.person(row.email) if row is not None else None


def open_session(app: App, person: Person, now: datetime) -> str:
    """A new session for a signed-in person; the returned id goes into the cookie only."""
    sid = secrets.token_urlsafe(32)
    with app.db.transaction() as session:
        session.connection().execute(delete(WebSession).where(col(WebSession.expires_at) <= now))
        session.add(
            WebSession(
                id_hash=digest(sid),
                email=person.email,
                created_at=now,
                expires_at=now + timedelta(hours=app.settings.web.session_hours),
            )
        )
    return sid


def person_of(app: App, sid: str | None, now: datetime) -> Person | None:
    """Who holds this session id, if it is live and they are still configured."""
    if not sid:
        return None
    with app.db.session() as session:
        row = session.get(WebSession, digest(sid))
    if row is None or row.expires_at <= now:
        return None
    return app.settings.person(row.email)


def close_session(app: App, sid: str | None) -> None:
    if sid:
        with app.db.transaction() as session:
            session.connection().execute(
                delete(WebSession).where(col(WebSession.id_hash) == digest(sid))
            )

"""Outgoing mail as rows: one Mail effect rendered for each reader and put in the outbox.

Each copy is rendered for its reader's audience and carries its own reply token; an
answer to a message's sender is not queued while its answers are held back (`held`,
the answer cap in answer_cap.py), only noted on the timeline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App
from mailflow.chain import documents
from mailflow.chain.documents import StoredFile
from mailflow.chain.timeline import audit
from mailflow.mail.context import CrView, Reader
from mailflow.mail.parse import Inbound
from mailflow.security import outgoing
from mailflow.security.audience import Audience, audience_of
from mailflow.store import outbox
from mailflow.store.message_tables import OutboxRow
from mailflow.store.tables import ChangeRequest, Decision
from mailflow.views.cr import cr_context, name_of, reader_context
from mailflow.workflow.definition import PARTICIPANTS
from mailflow.workflow.engine_values import EVERYONE, Mail


def queue_mail(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    mail: Mail,
    *,
    now: datetime,
    reply_to: Inbound | None = None,
    context: Mapping[str, Any] | None = None,
    placeholder: Mapping[str, Any] | None = None,
    held: str = "",
    views: MutableMapping[Audience, CrView] | None = None,
) -> str | None:
    """Render one Mail effect into outbox rows, one per recipient (each with its own reply
    token); returns the logical mail's group id (None: nobody to tell, or an answer to the
    sender held back: `held` says why). `views`: see views.cr.cr_context."""
    addressed = _addressees(app, session, cr, mail, reply_to, now, held)
    if addressed is None:
        return None
    to, cc = addressed
    files: list[StoredFile] = []
    listed: list[dict[str, Any]] = []
    if cr is not None and mail.attach:
        listed, files = documents.for_request(app, session, cr, mail.attach)
    message_id, copies = outgoing.copies(app, session, cr, [*to, *cc], now)
    extra = {**(context or {}), **({"documents": listed} if listed else {})}
    letters = _letters(app, session, cr, mail, (to, cc), copies, extra, placeholder, views)
    thread = _thread(cr, mail, reply_to)
    for copy in copies:
        shown_to, shown_cc, ctx, rendered = letters[copy.address]
        letter = _Letter(mail.template, ctx, rendered, shown_to, shown_cc, *thread, files)
        _enqueue(app, session, cr, letter, copy, reply_to, now).group_id = message_id
    if cr is not None:
        if not cr.thread_root:
            cr.thread_root = message_id
            session.add(cr)
        copied = f" (cc {', '.join(cc)})" if cc else ""
        audit(session, cr, "mail", f"{mail.template} → {', '.join(to)}{copied}", now)
    return message_id


def _addressees(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    mail: Mail,
    reply_to: Inbound | None,
    now: datetime,
    held: str,
) -> tuple[list[str], list[str]] | None:
    """The To and Cc lines of the mail; None (and why, on the timeline) when it goes to nobody."""
    if held and mail.to_sender:
        if cr is not None:
            audit(session, cr, "mail", f"{mail.template}: not sent ({held})", now)
        return None
    to, cc = _recipients(app, session, cr, mail, reply_to)
    if not to:
        if cr is not None:
            nobody = f"{mail.template}: nobody holds the role(s) {', '.join(mail.to_roles)}"
            audit(session, cr, "mail", f"{nobody}; nothing sent", now)
        return None
    if app.composer.internal_only(mail.template):
        outside = [a for a in [*to, *cc] if _external(app, a)]
        if outside and cr is not None:
            audit(session, cr, "mail", f"{mail.template}: not sent to {', '.join(outside)} "
                  "(an internal mail)", now)  # fmt: skip
        to, cc = [a for a in to if a not in outside], [a for a in cc if a not in outside]
        if not to:
            to, cc = cc, []
        if not to:
            return None
    return to, cc


_Rendering = tuple[list[str], list[str], dict[str, Any], tuple[str, str, str]]


def _letters(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    mail: Mail,
    lines: tuple[list[str], list[str]],
    copies: Sequence[outgoing.Copy],
    context: Mapping[str, Any],
    placeholder: Mapping[str, Any] | None,
    views: MutableMapping[Audience, CrView] | None = None,
) -> dict[str, _Rendering]:
    """Each copy's To and Cc as shown, context and rendering. One rendering per kind of
    reader, shared by its copies: the audience (what the copy may show) and whether the
    reader is on its To line or copied (how it speaks to them)."""
    shown: dict[Audience, tuple[list[str], list[str]]] = {}
    kinds: dict[str, tuple[Audience, bool]] = {}
    for copy in copies:
        audience = audience_of(app.settings, app.workflow.external, copy.address)
        if audience not in shown:
            shown[audience] = _listed_for(app, cr, audience, *lines)
        kinds[copy.address] = (audience, copy.address in shown[audience][0])
    sharing = Counter(kinds.values())
    contexts: dict[Audience, dict[str, Any]] = {}
    made: dict[tuple[Audience, bool], _Rendering] = {}
    for copy in copies:
        kind = kinds[copy.address]
        audience, addressed = kind
        if kind in made:
            continue
        if audience not in contexts:  # the CR as this side sees it, read once
            contexts[audience] = cr_context(app, session, cr, mail.to_roles or (), placeholder,
                                            audience, views)  # fmt: skip
        shown_to, shown_cc = shown[audience]
        alone = sharing[kind] == 1  # a rendering for one copy may name its reader
        reader = Reader(
            addressed=addressed,
            name=name_of(app, copy.address) if alone else "",
            address=copy.address if alone else "",
        )
        ctx = {**contexts[audience]}
        ctx.update(reader_context(app, cr, shown_to, mail.to_roles, reader))
        ctx.update(context)
        made[kind] = (shown_to, shown_cc, ctx, app.composer.render(mail.template, ctx))
    return {copy.address: made[kinds[copy.address]] for copy in copies}


@dataclass(frozen=True)
class _Letter:
    """One logical mail, before it is cut into a copy per recipient."""

    template: str
    context: dict[str, Any]
    rendered: tuple[str, str, str]  # subject, text, html
    to: list[str]
    cc: list[str]
    in_reply_to: str | None
    references: Sequence[str]
    files: list[StoredFile]


def _thread(
    cr: ChangeRequest | None, mail: Mail, reply_to: Inbound | None
) -> tuple[str | None, Sequence[str]]:
    """In-Reply-To and References: the mail answered, else the CR's first mail."""
    if reply_to is not None and mail.to_sender:
        return reply_to.message_id or None, (*reply_to.references, reply_to.message_id)
    root = cr.thread_root if cr and cr.thread_root else None
    return root, (root,) if root else ()


def _enqueue(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    letter: _Letter,
    copy: outgoing.Copy,
    reply_to: Inbound | None,
    now: datetime,
) -> OutboxRow:
    replied_by = reply_to.from_addr if reply_to is not None else None
    refs = outgoing.references_for(copy.address, replied_by, letter.references)
    build: dict[str, Any] = {
        "template": letter.template,
        "context": {},  # rendered below: the context is not read again
        "cr_id": cr.id if cr else None,
        "to": letter.to,
        "cc": letter.cc,
        "in_reply_to": letter.in_reply_to if letter.in_reply_to in refs else None,
        "references": list(refs),
        "now": now,
        "message_id": copy.message_id,
        "reply_address": copy.reply_address,
        "rendered": letter.rendered,
        "attachments": [(f.filename, f.content_type, f.data) for f in letter.files],
    }
    row: dict[str, Any] = {
        "message_id": copy.message_id,
        "envelope_from": app.settings.shared_inbox,
        "recipients": [copy.address],
        "cr_id": cr.id if cr else None,
        "template": letter.template,
        "now": now,
    }

    def compose() -> bytes:
        return app.composer.build(**build).as_bytes()

    if app.compose_ahead is None:
        return outbox.enqueue(session, data=compose(), **row)
    return outbox.enqueue_draft(session, ahead=app.compose_ahead(build), compose=compose, **row)


def _external(app: App, address: str) -> bool:
    return audience_of(app.settings, app.workflow.external, address) is Audience.EXTERNAL


def _listed_for(
    app: App, cr: ChangeRequest | None, audience: Audience, to: list[str], cc: list[str]
) -> tuple[list[str], list[str]]:
    """The To and Cc lines a reader's copy shows: an external reader sees their own side
    and the people who run the conversation with them (their CSM), never the rest of FT."""
    if audience is Audience.INTERNAL or cr is None:
        return to, cc
    owners = set(app.workflow.thread_owners)

    def listed(address: str) -> bool:
        if _external(app, address):
            return True
        return bool(app.directory.roles_of(address, cr.account, cr.assignee) & owners)

    shown_to, shown_cc = [a for a in to if listed(a)], [a for a in cc if listed(a)]
    return (shown_to, shown_cc) if shown_to else (shown_cc, [])


def _recipients(
    app: App,
    session: Session,
    cr: ChangeRequest | None,
    mail: Mail,
    reply_to: Inbound | None,
) -> tuple[list[str], list[str]]:
    own = {app.settings.shared_inbox}
    if mail.to_sender:
        to = [reply_to.from_addr] if reply_to is not None else []
    else:
        to = _addresses(app, session, cr, mail.to_roles)
    cc = [a for a in _addresses(app, session, cr, mail.cc_roles) if a not in to]
    to, cc = [a for a in to if a not in own], [a for a in cc if a not in own]
    if not to:
        to, cc = cc, []
    return to, cc


def _addresses(
    app: App, session: Session, cr: ChangeRequest | None, roles: Iterable[str]
) -> list[str]:
    if cr is None:
        return []
    out: list[str] = []
    for role in roles:
        if role == PARTICIPANTS:
            out += [a for a in participants(app, session, cr) if a not in out]
            continue
        people = (
            app.directory.everyone(cr.account, cr.assignee)
            if role == EVERYONE
            else app.directory.holders(role, cr.account, cr.assignee)
        )
        out += [p.email for p in people if p.email not in out]
    return out


def participants(app: App, session: Session, cr: ChangeRequest) -> list[str]:
    """The people who take part in a CR: those told of every hold and ending (the
    workflow's `told` roles: its CSM and the executive), those who were sent one of its
    requests, and those who gave a decision on it. A role the CR never reached (QA, while
    it waits for costing) hears nothing of it."""
    out = [
        p.email
        for role in app.workflow.told
        for p in app.directory.holders(role, cr.account, cr.assignee)
    ]
    requested = session.exec(
        select(OutboxRow.recipients)
        .where(OutboxRow.cr_id == cr.id)
        .where(col(OutboxRow.template).startswith("request/"))
    ).all()
    acted = session.exec(select(Decision.actor).where(Decision.cr_id == cr.id)).all()
    for address in [*(a for row in requested for a in row), *acted]:
        if address not in out and app.directory.roles_of(address, cr.account, cr.assignee):
            out.append(address)
    return list(dict.fromkeys(out))

"""Tools for the attack suite: walk a CR to a stage, fill an attack mail, see what happened.

Attack mails live in attacks/ as real .eml files. Tokens are minted at run time, so a
file names what it needs as placeholders that `fill` resolves against the live desk:
``{{CR}}``, ``{{DATE}}``, ``{{MSGID:addr}}`` (the Message-ID of the newest mail the desk
sent that address on the CR), ``{{TOKEN:addr}}`` (the reply token inside it),
``{{TAMPERED:addr}}`` (that Message-ID with its expiry altered), and any ``{{NAME}}``
the test passes in.
"""

from __future__ import annotations

import dataclasses
import email
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.policy import default as default_policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from mailflow.config.security import LimitSettings, SecuritySettings
from mailflow.config.settings import Account, Person, Settings
from mailflow.security.tokens import TOKEN_RE
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import Evidence
from tests.helpers import Desk

ATTACKS = Path(__file__).parent / "attacks"
_PLACEHOLDER = re.compile(r"\{\{([A-Z_0-9]+)(?::([^}]+))?\}\}")

# The replies that walk a CR from triage; each entry: (who, what, attachment, stage after).
WALK = [
    ("integration@ft.example", "IS CR", "", "in_principle"),
    ("dana@acme.example", "APPROVED", "", "in_principle"),
    ("amardeep@ft.example", "APPROVED", "", "cr_document"),
    ("priya@ft.example", "DONE", "cr.docx", "impact_analysis"),
    (
        "integration@ft.example",
        "DONE\nApproach: new column\nEffort: 12\nTimeline: 3 weeks",
        "",
        "costing",
    ),
    ("priya@ft.example", "DONE\nCost: 9600", "", "executive_approval"),
    ("amardeep@ft.example", "APPROVED", "", "customer_approval"),
]


def adjust(
    security: dict[str, Any] | None = None,
    limits: dict[str, Any] | None = None,
    people: tuple[Person, ...] = (),
    accounts: tuple[Account, ...] = (),
) -> Callable[[Settings], Settings]:
    """A settings hook for Desk: other policies, limits, or extra people."""

    def hook(settings: Settings) -> Settings:
        return dataclasses.replace(
            settings,
            security=dataclasses.replace(
                settings.security or SecuritySettings(), **(security or {})
            ),
            limits=dataclasses.replace(settings.limits or LimitSettings(), **(limits or {})),
            people=settings.people + people,
            accounts=settings.accounts + accounts,
        )

    return hook


def walk_to(desk: Desk, stage: str) -> str:
    """Open a CR and reply, as the right people, until it stands at `stage`."""
    cr_id = desk.open_cr()
    for who, body, attachment, _after in WALK:
        if desk.stage(cr_id) == stage:
            break
        desk.say(who, cr_id, body, attachment=attachment)
    assert desk.stage(cr_id) == stage, desk.stage(cr_id)
    return cr_id


def msgid_to(desk: Desk, address: str, cr_id: str) -> str:
    mail = desk.last_mail_to(address, cr_id)
    assert mail is not None, f"nothing was sent to {address} on {cr_id}"
    return str(mail["Message-ID"])


def fill(desk: Desk, cr_id: str, name: str, **values: str) -> bytes:
    """The attack file with its placeholders resolved."""
    text = (ATTACKS / name).read_text("utf-8")

    def resolve(match: re.Match[str]) -> str:
        key, arg = match.group(1), match.group(2)
        if key in values:
            return values[key]
        if key == "CR":
            return cr_id
        if key == "DATE":
            return format_datetime(desk.clock())
        if key == "MSGID":
            return msgid_to(desk, arg, cr_id)
        if key == "TOKEN":
            found = TOKEN_RE.search(msgid_to(desk, arg, cr_id))
            assert found is not None
            return found.group(0)
        if key == "TAMPERED":
            found = TOKEN_RE.search(msgid_to(desk, arg, cr_id))
            assert found is not None
            kid, exp, mac = found.groups()
            later = exp[:-1] + ("z" if exp[-1] != "z" else "y")
            return msgid_to(desk, arg, cr_id).replace(found.group(0), f"t1{kid}{later}{mac}")
        raise KeyError(f"{name}: no value for {match.group(0)}")

    return _PLACEHOLDER.sub(resolve, text).encode("utf-8")


STRANGER_NOTE = "notice/stranger_note"


@dataclass
class Outcome:
    """What one attack mail caused."""

    moved: bool
    ledger: LedgerEntry
    refusals: list[str]
    answers: list[tuple[str, list[str]]]
    answer_data: list[bytes]
    evidence: list[Evidence]
    # the separate notes to the CR's CSM that someone outside it wrote (not answers)
    notes: list[tuple[str, list[str]]]


def attack(desk: Desk, cr_id: str | None, name: str, **values: str) -> Outcome:
    """Send one attack mail through the real loop; report what changed."""
    cr = desk.cr(cr_id) if cr_id else None
    before_rows = len(desk.outbox())
    before_events = len(desk.events(cr_id)) if cr_id else 0
    before_evidence = len(evidence_of(desk, cr_id)) if cr_id else 0
    desk.send(fill(desk, cr_id or "", name, **values))
    after = desk.cr(cr_id) if cr_id else None
    moved = bool(
        cr
        and after
        and (
            (after.stage, after.entered_at, after.votes, after.held, after.fields)
            != (cr.stage, cr.entered_at, cr.votes, cr.held, cr.fields)
        )
    )
    events = desk.events(cr_id)[before_events:] if cr_id else []
    sent = desk.templates_sent(before_rows)
    return Outcome(
        moved=moved,
        ledger=desk.ledger()[-1],
        refusals=[e.detail for e in events if e.kind == "refusal"],
        answers=[a for a in sent if a[0] != STRANGER_NOTE],
        answer_data=[r.data for r in desk.outbox()[before_rows:] if r.template != STRANGER_NOTE],
        evidence=evidence_of(desk, cr_id)[before_evidence:] if cr_id else [],
        notes=[a for a in sent if a[0] == STRANGER_NOTE],
    )


def evidence_of(desk: Desk, cr_id: str | None) -> list[Evidence]:
    with desk.app.db.session() as s:
        q = select(Evidence).order_by(col(Evidence.id))
        if cr_id:
            q = q.where(Evidence.cr_id == cr_id)
        return list(s.exec(q).all())


CR_TITLE = b"Loyalty export"


def text_of(data: bytes) -> str:
    """The plain-text part of a mail mailflow sent."""
    msg = email.message_from_bytes(data, policy=default_policy)
    part = msg.get_body(("plain",))  # type: ignore[attr-defined]
    return str(part.get_content()) if part is not None else ""


def html_of(data: bytes) -> str:
    msg = email.message_from_bytes(data, policy=default_policy)
    part = msg.get_body(("html",))  # type: ignore[attr-defined]
    return str(part.get_content()) if part is not None else ""


def assert_stranger(out: Outcome, address: str) -> None:
    """Refused as a stranger: recorded, one short answer that says nothing about the CR."""
    assert not out.moved, "the CR moved"
    assert (out.ledger.outcome, out.ledger.reason) == ("answered", "not_authorized")
    assert out.answers == [("explain/not_authorized", [address])]
    assert out.notes in ([], [(STRANGER_NOTE, [CSM])]), "only the CSM hears of it apart"
    answer = out.answer_data[0]
    assert CR_TITLE not in answer and b"X-Mailflow-CR" not in answer
    assert b"In principle" not in answer and b"Triage" not in answer


CSM = "priya@ft.example"


def told(address: str) -> list[str]:
    """Who hears of a refused reply: its sender, and the account's CSM copied."""
    return [address] if address == CSM else [address, CSM]


def assert_unverified(
    out: Outcome,
    address: str,
    detail: str,
    code: str = "no_valid_token",
    template: str = "explain/not_verified",
) -> None:
    """Refused by the policy: the CR unchanged, the reason recorded, the real address told."""
    assert not out.moved, "the CR moved"
    assert out.ledger.outcome == "answered"
    assert out.ledger.reason.startswith(f"refused: {code}: "), out.ledger.reason
    assert len(out.refusals) == 1 and f"{address}: {code}: " in out.refusals[0]
    assert detail in out.refusals[0], out.refusals[0]
    explained = [a for a in out.answers if a[0].startswith("explain/")]
    assert explained == [(template, told(address))]
    assert [e.outcome for e in out.evidence] == ["refused"]


def assert_asked_to_confirm(out: Outcome, author: str, verb: str) -> None:
    """Neither refused nor recorded: the author asked once to CONFIRM, the CSM copied."""
    assert not out.moved, "the CR moved"
    assert out.ledger.outcome == "answered"
    assert out.ledger.reason.startswith(f"asked to confirm: {verb} from {author}")
    assert out.answers == [("explain/confirm_author", told(author))]
    assert not out.refusals and not out.evidence


def assert_engine_refusal(out: Outcome, address: str, reason: str) -> None:
    """Refused by the workflow (wrong role, unclear…): recorded and explained."""
    assert not out.moved, "the CR moved"
    assert out.ledger.outcome == "answered"
    assert any(f"{address}: {reason}" in r for r in out.refusals), out.refusals
    assert out.answers == [(f"explain/{reason}", told(address))]

"""What the rules see (Context) and what a rule that hits decides (Ruling).

A rule passes (returns None), passes on what it learned (returns the context with it
added, which the loop hands to the rules after it: the context itself is never
changed), or returns a Ruling: the ledger outcome, reason and CR, final before the
ledger row is written, plus the action that carries it out once the row exists (its id
links the timeline and evidence).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from mailflow.app import App
from mailflow.chain.route import Route, RouteKind
from mailflow.mail.parse import Inbound
from mailflow.reading.decide import Decision, Known, Unclear
from mailflow.security.policy import Verdict
from mailflow.store.known import known_for
from mailflow.store.ledger import LedgerOutcome
from mailflow.store.message_tables import LedgerEntry
from mailflow.store.tables import ChangeRequest, Confirmation
from mailflow.transport.base import RawMessage


@dataclass(frozen=True)
class Context:
    """One message and what the rules have learned about it so far."""

    app: App
    session: Session
    raw: RawMessage
    msg: Inbound
    now: datetime
    route: Route = field(default_factory=lambda: Route(RouteKind.NEW))
    cr: ChangeRequest | None = None
    # An earlier message with the same Message-ID but another sender or text.
    reused: LedgerEntry | None = None
    # 0, or how often the message was handed back from quarantine (store/ledger.py).
    handling: int = 0
    # A new request: the customer account it is for.
    account: str = ""
    # The reply: its new text, what was read from it, and who it speaks for.
    roles: frozenset[str] = frozenset()
    text: str = ""
    reading: Decision | Unclear | None = None
    # What is on record about the sender (confirmed remarks, learned signature), as the
    # rules after the reading see it; None before it (store/known.py).
    known: Known | None = None
    pending: Confirmation | None = None
    author: str = ""
    proof: Inbound | None = None
    attested_by: str = ""
    acting: frozenset[str] = frozenset()
    verdict: Verdict | None = None
    # Why answers to the sender are held back (answer_cap.py): set only for an action.
    held: str = ""

    @property
    def the_cr(self) -> ChangeRequest:
        """The CR of a reply; the reply rules run only once one was found."""
        assert self.cr is not None, "a reply rule ran without a CR"
        return self.cr

    def sender_known(self) -> Known:
        """What is on record about the sender: as the reading left it, else read now."""
        if self.known is not None:
            return self.known
        return known_for(self.session, self.msg.from_addr, self.app.settings.security)

    @property
    def decision(self) -> Decision:
        """The decision read; the rules after `unclear` run only when there is one."""
        assert isinstance(self.reading, Decision), "a decision rule ran on an unclear reply"
        return self.reading


Action = Callable[[Context, int | None], None]


@dataclass(frozen=True)
class Ruling:
    """A rule's verdict on the message: the ledger's word, and what to do about it."""

    outcome: LedgerOutcome
    reason: str
    cr_id: str | None = None
    act: Action | None = None
    keep_raw: bool = True
    # False only for the very same bytes read again: their outcome is already recorded.
    record: bool = True
    # What the answer cap compares the message's new text as, kept on an answer's row.
    text_digest: str = ""


def applied(reason: str, cr_id: str | None, act: Action | None = None) -> Ruling:
    return Ruling(LedgerOutcome.APPLIED, reason, cr_id, act)


def answered(reason: str, cr_id: str | None = None, act: Action | None = None) -> Ruling:
    return Ruling(LedgerOutcome.ANSWERED, reason, cr_id, act)


def ignored(reason: str, cr_id: str | None = None, act: Action | None = None) -> Ruling:
    return Ruling(LedgerOutcome.IGNORED, reason, cr_id, act)


# None: passed; a Context: passed, with what the rule learned for the rules after it.
Check = Callable[[Context], "Ruling | Context | None"]


class Scope(StrEnum):
    """Which messages a rule is asked about, once the message is routed."""

    EVERY = "every message"
    NEW_REQUEST = "new request"
    REPLY = "reply on a CR"

    def covers(self, ctx: Context) -> bool:
        if self is Scope.NEW_REQUEST:
            return ctx.cr is None
        if self is Scope.REPLY:
            return ctx.cr is not None
        return True


@dataclass(frozen=True)
class Rule:
    """A named check in the table; its docstring's first line says what it stops."""

    name: str
    scope: Scope
    check: Check

    @property
    def purpose(self) -> str:
        return (self.check.__doc__ or "").strip().splitlines()[0]

"""What the handling of replies keeps beside a CR: the evidence behind each decision, the
confirmations it asked for, and the answers that came before their stage.

Apart from cr_tables.py because only the handling chain, the evidence export and the web
pages query them: a command that reads CRs does not build these classes at its start.
tables.py names them beside the CR tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

# the CR, ledger and blob tables their foreign keys name
from mailflow.store import cr_tables as cr_tables
from mailflow.store import message_tables as message_tables
from mailflow.store.row import Row
from mailflow.store.stamps import utcnow


class Evidence(Row, table=True):
    """Why a reply was acted on or refused: the message (by hash), what proved its sender."""

    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    at: datetime = Field(default_factory=utcnow)
    stage: str
    verb: str = ""
    actor: str
    attested_by: str = ""
    outcome: str  # "applied" or "refused"
    sha256: str = Field(foreign_key="blob.sha256")
    policy: str = ""
    rule: str = ""
    token_check: str = ""
    auth_results: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class Confirmation(Row, table=True):
    """A reply read as a likely decision in other words, waiting for the sender's CONFIRM.

    It is bound to the stage instance (stage and the moment it was entered), so it lapses
    as soon as the CR moves on.
    """

    __tablename__ = "confirmation"

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    stage: str
    stage_entered_at: datetime
    actor: str = Field(index=True)
    verb: str
    line: str = ""
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    asked_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    # The group id of the question mail; a CONFIRM counts only as a reply to it.
    question_id: str = ""
    # A decision asked about because of remarks beside it: what a CONFIRM records (the
    # verb above, its text and fields as written) and the remarks, as written.
    text: str = ""
    fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    remarks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class EarlyAnswer(Row, table=True):
    """A decision that came before its stage, held until the CR reaches it (chain/early.py).

    `facts` is the digest of the CR's facts when it came (store/early.py): when the CR
    reaches `stage` with other facts, the answer was given to something else and is
    dropped. `outcome` stays "" while it waits; then asked, recorded, dropped or lapsed.
    """

    __tablename__ = "early_answer"

    id: int | None = Field(default=None, primary_key=True)
    cr_id: str = Field(index=True, foreign_key="change_request.id")
    stage: str  # the stage it is for
    arrived_at_stage: str  # the stage the CR stood at when it came
    actor: str
    attested_by: str = ""
    verb: str
    line: str = ""
    text: str = ""
    fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ledger_id: int | None = Field(default=None, foreign_key="message_ledger.id")
    received_at: datetime = Field(default_factory=utcnow)
    facts: str = ""
    outcome: str = ""
    settled_at: datetime | None = None

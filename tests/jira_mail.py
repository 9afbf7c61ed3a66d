"""Jira's notification mails for the tests: the regression files, and settings that list Jira.

The files under tests/messages/jira/ are written after the formats Atlassian documents and
posts publicly (Data Center single and batched notifications, Jira Cloud's HTML mail); each
is about ACME-482, the Jira key the scenarios record at Jira tracking.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mailflow.config.settings import Settings

MAILS = Path(__file__).resolve().parent / "messages" / "jira"
CLOUD, DATA_CENTER = "jira@ft.atlassian.example", "jira@jira.ft.example"
KIRAN_CLOUD, DANA_CLOUD = "557058:6c1f0b7e-kiran", "712020:5d4a9e21-dana"


def raw(name: str, **swap: str) -> bytes:
    """A regression mail, with words swapped (a key, a date) where a test needs it."""
    text = (MAILS / name).read_bytes()
    for old, new in swap.items():
        text = text.replace(old.encode(), new.encode())
    return text


def listing_jira(
    decisions: str = "confirm", accounts: dict[str, str] | None = None, trusted: bool = False
):
    """Settings that list both Jira senders and tie Jira accounts to people."""
    ids = {"kiran@ft.example": KIRAN_CLOUD, "dana@acme.example": DANA_CLOUD}
    ids.update(accounts or {})

    def adjust(settings: Settings) -> Settings:
        people = tuple(
            dataclasses.replace(p, jira_account=ids.get(p.email, "")) for p in settings.people
        )
        security = settings.security
        if trusted:
            security = dataclasses.replace(security, trusted_authserv_ids=("mx.ft.example",))
        return dataclasses.replace(
            settings,
            jira_senders=(CLOUD, DATA_CENTER),
            jira_decisions=decisions,
            people=people,
            security=security,
        )

    return adjust

"""A Jira notification about a customer's new issue opens a CR for the account's CSM."""

from __future__ import annotations

import dataclasses

import pytest

from mailflow.chain.jira_intake import issue_of
from tests.helpers import Desk

JIRA = "jira@ft.atlassian.example"


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path, adjust=lambda s: dataclasses.replace(s, jira_senders=(JIRA,)))
    yield d
    d.close()


def notification(desk: Desk, subject: str, body: str = "Dana wants loyalty points.") -> bytes:
    msg = desk.mail(
        f"Jira <{JIRA}>", subject, body, Auto_Submitted="auto-generated", Precedence="bulk"
    )
    return msg.as_bytes()


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[JIRA] (ACME-123) Loyalty points in export", ("ACME-123", "Loyalty points in export")),
        ("[JIRA] Created: (ACME-7) Export", ("ACME-7", "Export")),
        ("[External] [JIRA] (ACME-9) Export", ("ACME-9", "Export")),
        ("Weekly digest", None),
    ],
)
def test_issue_key_and_title_from_the_subject(subject, expected):
    assert issue_of(subject) == expected


def test_a_new_issue_opens_a_cr_for_the_accounts_csm(desk):
    desk.send(notification(desk, "[JIRA] (ACME-123) Loyalty points in export"))
    cr = desk.cr(f"CR-{desk.clock().year}-0001")
    assert cr.account == "acme" and cr.title == "Loyalty points in export"
    assert cr.opened_by == "priya@ft.example" and cr.stage == "triage"
    assert cr.source_ref == "ACME-123" and "Jira: ACME-123" in cr.description
    sent = desk.templates_sent()
    assert ("notice/opened", ["priya@ft.example"]) in sent
    assert all(JIRA not in people for _, people in sent), "Jira is never answered"


def test_further_notifications_about_the_issue_open_nothing(desk):
    desk.send(notification(desk, "[JIRA] (ACME-123) Loyalty points in export"))
    before = len(desk.outbox())
    desk.send(
        notification(
            desk, "[JIRA] (ACME-123) Loyalty points in export", "Dana commented: any news?"
        )
    )
    assert len(desk.outbox()) == before
    first = f"CR-{desk.clock().year}-0001"
    assert desk.ledger()[-1].reason == f"jira: ACME-123 already opened {first}"
    assert desk.events(first, {"jira"})


def test_an_unknown_project_is_recorded_and_not_answered(desk):
    desk.send(notification(desk, "[JIRA] (GLOBEX-5) Something"))
    assert desk.outbox() == []
    assert desk.ledger()[-1].outcome == "ignored"
    assert "no account lists project GLOBEX" in desk.ledger()[-1].reason


def test_jira_mail_from_a_sender_not_listed_stays_automated(tmp_path):
    plain = Desk(tmp_path)
    try:
        plain.send(notification(plain, "[JIRA] (ACME-123) Loyalty points in export"))
        assert plain.outbox() == [] and plain.ledger()[-1].outcome == "ignored"
        assert plain.ledger()[-1].reason.startswith("auto-reply") or "bulk" in (
            plain.ledger()[-1].reason
        )
    finally:
        plain.close()

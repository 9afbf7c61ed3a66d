"""Attacks through the workflow and the text: copied people, quoted words, forwards, robots."""

from __future__ import annotations

from tests.helpers import Desk
from tests.security.kit import (
    adjust,
    assert_asked_to_confirm,
    assert_engine_refusal,
    assert_stranger,
    attack,
    fill,
    walk_to,
)


def test_management_copied_on_the_executive_approval_cannot_approve(desk):
    cr = walk_to(desk, "executive_approval")
    out = attack(desk, cr, "copied-management-approving.eml")
    assert_engine_refusal(out, "sumesh@ft.example", "wrong_sender")


def test_the_csm_copied_on_the_customer_approval_cannot_approve_for_the_customer(desk):
    cr = walk_to(desk, "customer_approval")
    out = attack(desk, cr, "copied-csm-approving-customer-stage.eml")
    assert_engine_refusal(out, "priya@ft.example", "wrong_sender")


def test_a_customer_cannot_put_a_cr_on_hold(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "customer-putting-cr-on-hold.eml")
    assert_engine_refusal(out, "dana@acme.example", "wrong_sender")
    assert not desk.cr(cr).held


def test_an_approval_only_in_quoted_text_is_not_a_decision(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "quoted-approval-only.eml")
    assert_engine_refusal(out, "dana@acme.example", "unclear")


def test_an_approval_below_the_signature_is_not_a_decision(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "approval-below-signature.eml")
    assert_engine_refusal(out, "dana@acme.example", "unclear")


def test_a_forwarded_approval_is_confirmed_with_its_author(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "forwarded-approval-by-csm.eml")
    assert_asked_to_confirm(out, "dana@acme.example", "APPROVED")
    assert "forwarded by priya@ft.example" in out.ledger.reason


def test_an_inline_forwarded_approval_is_confirmed_with_its_author(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "forwarded-inline-approval-by-csm.eml")
    assert_asked_to_confirm(out, "dana@acme.example", "APPROVED")


def test_a_colleague_forwarding_the_executives_approval_is_refused(desk):
    """Only the CSM's relay of a customer's decision is confirmed; other forwards are refused."""
    cr = walk_to(desk, "in_principle")
    data = fill(desk, cr, "forwarded-inline-approval-by-csm.eml")
    data = data.replace(b"Dana Whitfield <dana@acme.example>", b"Amardeep <amardeep@ft.example>")
    data = data.replace(b"From: Priya Nair <priya@ft.example>", b"From: <integration@ft.example>")
    desk.send(data)
    assert desk.stage(cr) == "in_principle"
    assert desk.ledger()[-1].reason.startswith("refused: forwarded: the decision of amardeep")


def test_a_forward_by_someone_without_a_role_is_a_strangers_mail(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "forwarded-approval-by-colleague.eml")
    assert_stranger(out, "bob@acme.example")


def test_accepted_forwards_are_evidence_attested_by_the_forwarder(tmp_path):
    desk = Desk(tmp_path, adjust=adjust(security={"accept_forwarded": True}))
    try:
        cr = walk_to(desk, "in_principle")
        inline = attack(desk, cr, "forwarded-inline-approval-by-csm.eml")
        assert_asked_to_confirm(inline, "dana@acme.example", "APPROVED")
        out = attack(desk, cr, "forwarded-approval-by-csm.eml")
        assert out.moved and out.ledger.outcome == "applied"
        assert out.ledger.reason.endswith("forwarded by priya@ft.example")
        [proof] = out.evidence
        assert (proof.actor, proof.attested_by, proof.outcome) == (
            "dana@acme.example",
            "priya@ft.example",
            "applied",
        )
        assert "valid token for dana@acme.example" in proof.token_check
    finally:
        desk.close()


def test_an_auto_reply_with_an_approval_word_is_ignored(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "auto-submitted-approval.eml")
    assert not out.moved and out.answers == [] and out.ledger.outcome == "ignored"


def test_a_bounce_carrying_an_old_approval_is_ignored(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "bounce-carrying-approval.eml")
    assert not out.moved and out.answers == [] and out.ledger.outcome == "ignored"


def test_status_needs_only_the_sender_policy(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "status-query-without-token.eml")
    assert not out.moved
    assert out.answers == [("notice/status", ["dana@acme.example"])]
    assert [e.policy for e in out.evidence] == ["sender"]


def test_a_stranger_asking_for_the_status_learns_nothing(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "stranger-status-query.eml")
    assert_stranger(out, "mallory@evil.example")

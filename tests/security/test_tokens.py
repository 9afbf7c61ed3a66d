"""Attacks with tokens: someone else's, another stage's, another CR's, replayed, expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailflow.security import tokens
from tests.helpers import Desk
from tests.security.kit import (
    adjust,
    assert_asked_to_confirm,
    assert_engine_refusal,
    assert_unverified,
    attack,
    fill,
    msgid_to,
    walk_to,
)


def test_a_token_issued_to_someone_else_is_refused(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "token-of-other-recipient.eml")
    assert_unverified(
        out, "amardeep@ft.example", "token issued to dana@acme.example, not to amardeep@ft.example"
    )


def test_the_csms_copy_does_not_let_the_customer_approve_but_asks_her_to_confirm(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "token-of-csm-used-by-customer.eml")
    assert_asked_to_confirm(out, "dana@acme.example", "APPROVED")


def test_a_token_from_an_earlier_stage_is_refused(desk):
    cr = walk_to(desk, "triage")
    triage_copy = msgid_to(desk, "priya@ft.example", cr)
    desk.say("integration@ft.example", cr, "IS CR")
    out = attack(desk, cr, "token-of-other-stage.eml", OLD_MSGID=triage_copy)
    assert_unverified(
        out, "priya@ft.example", "token of an earlier stage", "old_request", "explain/old_request"
    )
    assert not desk.cr(cr).held


def test_a_token_from_another_cr_is_refused(desk):
    other = walk_to(desk, "in_principle")
    other_copy = msgid_to(desk, "dana@acme.example", other)
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "token-of-other-cr.eml", OTHER_CR_MSGID=other_copy)
    assert_unverified(out, "dana@acme.example", f"token of another change request ({other})")


def test_a_replayed_approval_after_the_stage_was_decided_and_looped_back(desk):
    cr = walk_to(desk, "executive_approval")
    first_request = msgid_to(desk, "amardeep@ft.example", cr)
    desk.clock.advance(hours=2)
    desk.say("amardeep@ft.example", cr, "REJECTED too costly")
    desk.clock.advance(hours=2)
    desk.say("priya@ft.example", cr, "DONE\nCost: 8000")
    assert desk.stage(cr) == "executive_approval", "the same stage, a new instance"
    out = attack(desk, cr, "replayed-token-after-decision.eml", OLD_MSGID=first_request)
    assert_unverified(
        out,
        "amardeep@ft.example",
        "an earlier round of Executive approval",
        "earlier_request",
        "explain/earlier_request",
    )


def test_the_same_approval_sent_twice_counts_once(desk):
    cr = walk_to(desk, "in_principle")
    first = attack(desk, cr, "replayed-approval-same-stage.eml", N="1")
    assert first.moved and first.ledger.outcome == "applied"
    again = attack(desk, cr, "replayed-approval-same-stage.eml", N="2")
    assert_engine_refusal(again, "dana@acme.example", "already_decided")


def test_an_identical_message_delivered_again_is_a_no_op(desk):
    cr = walk_to(desk, "in_principle")
    data = fill(desk, cr, "replayed-identical-message.eml")
    desk.send(data)
    assert desk.stage(cr) == "rejected"
    rows, events, entries = len(desk.outbox()), len(desk.events(cr)), len(desk.ledger())
    desk.send(data)
    assert (len(desk.outbox()), len(desk.events(cr))) == (rows, events), "nothing happened"
    assert len(desk.ledger()) == entries, "the one ledger entry of that message stands"


def test_an_expired_token_is_refused(desk):
    cr = walk_to(desk, "in_principle")
    old = msgid_to(desk, "dana@acme.example", cr)
    desk.clock.advance(days=61)
    out = attack(desk, cr, "expired-token.eml", OLD_MSGID=old)
    assert_unverified(out, "dana@acme.example", "token expired")


def test_a_sub_address_token_of_someone_else_is_refused(tmp_path):
    desk = Desk(tmp_path, adjust=adjust(security={"reply_subaddress": True}))
    try:
        cr = walk_to(desk, "in_principle")
        sent = desk.last_mail_to("dana@acme.example", cr)
        assert sent is not None and str(sent["Reply-To"]).startswith("approvals+t1")
        out = attack(desk, cr, "token-in-subaddress-of-other-recipient.eml")
        assert_unverified(out, "amardeep@ft.example", "To sub-address: token issued to dana")
        ok = attack(desk, cr, "token-in-subaddress-of-sender.eml")
        assert ok.moved and ok.ledger.outcome == "applied"
        assert "valid token for dana@acme.example (To sub-address)" in ok.evidence[0].rule
    finally:
        desk.close()


def test_copies_never_show_another_persons_token(desk):
    cr = walk_to(desk, "cr_document")
    rows = desk.outbox(cr)
    for row in rows:
        found = {m.group(0) for m in tokens.TOKEN_RE.finditer(row.data.decode("utf-8", "replace"))}
        own = {
            m.group(0)
            for r in rows
            if r.recipients == row.recipients
            for m in tokens.TOKEN_RE.finditer(r.message_id)
        }
        assert found <= own, (row.template, row.recipients)


NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _ring(secret: bytes, previous: tuple[bytes, ...] = ()) -> tokens.Keyring:
    return tokens.Keyring(secret, previous, token_days=60, grace_days=14)


def test_rotation_accepts_the_previous_key_only_for_the_grace_period():
    old, new = _ring(b"old-secret"), _ring(b"new-secret", (b"old-secret",))
    token = tokens.mint(old, f"CR-{NOW.year}-0001", "triage@x", "dana@acme.example", NOW)
    args = (f"CR-{NOW.year}-0001", "triage@x", "dana@acme.example")
    until = NOW + timedelta(days=14)
    assert tokens.verify(new, token, *args, NOW + timedelta(days=13), until).valid
    late = tokens.verify(new, token, *args, NOW + timedelta(days=15), until)
    assert not late.valid and "unknown or retired key" in late.detail
    assert not tokens.verify(_ring(b"new-secret"), token, *args, NOW, until).valid


def test_a_token_is_bound_to_every_field():
    ring = _ring(b"s")
    token = tokens.mint(ring, f"CR-{NOW.year}-0001", "triage@1", "dana@acme.example", NOW)
    assert tokens.verify(
        ring, token, f"CR-{NOW.year}-0001", "triage@1", "DANA@acme.example", NOW, None
    ).valid
    for cr, instance, who in (
        (f"CR-{NOW.year}-0002", "triage@1", "dana@acme.example"),
        (f"CR-{NOW.year}-0001", "triage@2", "dana@acme.example"),
        (f"CR-{NOW.year}-0001", "triage@1", "amardeep@ft.example"),
    ):
        assert not tokens.verify(ring, token, cr, instance, who, NOW, None).valid


def test_the_installation_secret_is_made_once_and_private(tmp_path):
    first = tokens.installation_secret(tmp_path)
    assert tokens.installation_secret(tmp_path) == first and len(first) == 64
    assert (tmp_path / tokens.SECRET_FILE).stat().st_mode & 0o777 == 0o600

"""Attacks on who the sender is: forged From, display names, look-alike addresses, strangers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mailflow.config.settings import Account, Person
from tests.helpers import Desk
from tests.security.kit import (
    adjust,
    assert_stranger,
    assert_unverified,
    attack,
    text_of,
    walk_to,
)


def test_forged_from_without_a_token_is_refused(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "forged-from-no-token.eml")
    assert_unverified(out, "amardeep@ft.example", "no reply token")


def test_a_guessed_token_is_refused(desk):
    cr = walk_to(desk, "in_principle")
    from mailflow.security.tokens import keyring

    kid = keyring(desk.app.settings).kid
    out = attack(desk, cr, "forged-from-guessed-token.eml", KID=kid)
    assert_unverified(out, "amardeep@ft.example", "not issued by mailflow (forged or altered)")


def test_a_token_with_an_altered_expiry_is_refused(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "forged-from-tampered-expiry.eml")
    assert_unverified(out, "dana@acme.example", "not issued by mailflow (forged or altered)")


def test_the_answer_to_a_forgery_goes_to_the_from_address_never_the_reply_to(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "forged-from-reply-to-attacker.eml")
    assert_unverified(out, "amardeep@ft.example", "no reply token")
    assert all(b"mallory@evil.example" not in data.split(b"\n\n")[0] for data in out.answer_data)


def test_a_forged_cancel_is_refused_like_a_forged_decision(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "forged-cancel-as-executive.eml")
    assert_unverified(out, "amardeep@ft.example", "no reply token")
    assert desk.stage(cr) == "in_principle"


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("display-name-spoof-executive.eml", "amardeep.ft@mail.evil.example"),
        ("display-name-is-an-address.eml", "mallory@evil.example"),
        ("lookalike-domain-amardeep.eml", "amardeep@ft-example.com"),
        ("subdomain-amardeep.eml", "amardeep@mail.ft.example"),
        ("parent-domain-dana.eml", "dana@example"),
        ("plus-address-amardeep.eml", "amardeep+cr@ft.example"),
    ],
)
def test_addresses_that_only_look_like_a_participant_are_strangers(desk, name, address):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, name)
    assert_stranger(out, address)
    assert f"{address}: not_authorized" in out.refusals[0]


def test_a_unicode_lookalike_domain_is_not_the_executive(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "lookalike-unicode-domain-amardeep.eml")
    assert not out.moved
    assert out.ledger.sender != "amardeep@ft.example"
    assert out.ledger.reason.startswith("not_authorized")


@pytest.mark.parametrize("name", ["two-from-headers.eml", "two-addresses-in-from.eml"])
def test_a_message_with_two_senders_is_refused(desk, name):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, name)
    assert not out.moved
    assert "more than one sender" in out.refusals[0]
    assert out.ledger.reason == "not_authorized"
    assert CR_TITLE_NOT_IN(out)


def CR_TITLE_NOT_IN(out) -> bool:  # noqa: N802 - reads as a sentence in the asserts
    return all(b"Loyalty export" not in data for data in out.answer_data)


def test_a_message_without_any_sender_is_recorded_and_not_answered(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "no-sender-at-all.eml")
    assert not out.moved
    assert out.answers == []
    assert out.ledger.outcome == "ignored"


def test_the_rep_of_another_account_is_a_stranger_to_this_cr(tmp_path):
    globex = Account("globex", "Globex", ("globex.example",), Decimal(1), "USD")
    wile = Person("Wile Coyote", "wile@globex.example", ("customer_rep",), ("globex",))
    desk = Desk(tmp_path, adjust=adjust(people=(wile,), accounts=(globex,)))
    try:
        cr = walk_to(desk, "in_principle")
        out = attack(desk, cr, "other-account-rep-approving.eml")
        assert_stranger(out, "wile@globex.example")
    finally:
        desk.close()


def test_a_stranger_cannot_tell_an_existing_cr_from_a_missing_one(desk):
    cr = walk_to(desk, "in_principle")
    real = attack(desk, cr, "stranger-status-query.eml")
    assert_stranger(real, "mallory@evil.example")
    desk.clock.advance(days=1, minutes=1)
    probe = attack(desk, None, "stranger-probing-unknown-cr.eml")
    assert probe.answers == [("explain/not_authorized", ["mallory@evil.example"])]
    assert probe.ledger.reason == "not_authorized"

    def after_subject_echo(data: bytes) -> str:
        return text_of(data).split("It was not filed")[1]

    assert after_subject_echo(real.answer_data[0]) == after_subject_echo(probe.answer_data[0])


def test_a_stranger_flooding_the_desk_gets_one_answer_a_day(desk):
    cr = walk_to(desk, "in_principle")
    outs = [attack(desk, cr, "stranger-flood.eml", N=str(n)) for n in range(5)]
    assert [len(o.answers) for o in outs] == [1, 0, 0, 0, 0]
    assert [o.ledger.outcome for o in outs] == ["answered"] + ["ignored"] * 4
    assert all(not o.moved for o in outs)
    assert len([r for o in outs for r in o.refusals]) == 5, "every attempt is on the record"

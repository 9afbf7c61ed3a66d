"""Under `authenticated`, the receiving server's Authentication-Results must vouch for From."""

from __future__ import annotations

import pytest

from tests.helpers import Desk
from tests.security.kit import adjust, assert_unverified, attack, walk_to

STRICT = {
    "role_policies": {"executive": "authenticated"},
    "trusted_authserv_ids": ("mx.ft.example",),
}


@pytest.fixture
def strict(tmp_path):
    d = Desk(tmp_path, adjust=adjust(security=STRICT))
    yield d
    d.close()


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("dmarc-fail-authenticated-policy.eml", "mx.ft.example: spf=fail, dkim=none, dmarc=fail"),
        ("untrusted-authserv-id.eml", "no trusted Authentication-Results (seen from: mx.evil"),
        ("no-authentication-results.eml", "no Authentication-Results header"),
        ("spf-pass-only-authenticated-policy.eml", "no dmarc=pass or aligned dkim=pass"),
        ("dkim-pass-unaligned-domain.eml", "no dmarc=pass or aligned dkim=pass"),
        ("dmarc-pass-for-other-domain.eml", "dmarc=pass for evil.example, not the From ft.example"),
        ("authres-forged-below-trusted.eml", "dmarc=fail"),
        ("authres-malformed.eml", "no trusted Authentication-Results"),
    ],
)
def test_a_valid_token_is_not_enough_without_authentication(strict, name, detail):
    cr = walk_to(strict, "in_principle")
    out = attack(strict, cr, name)
    assert_unverified(out, "amardeep@ft.example", detail, code="not_authenticated")
    assert "valid token" in out.evidence[0].token_check
    assert out.evidence[0].policy == "authenticated"


def test_untrusted_headers_are_recorded_as_ignored(strict):
    cr = walk_to(strict, "in_principle")
    out = attack(strict, cr, "untrusted-authserv-id.eml")
    [seen] = out.evidence[0].auth_results
    assert seen["authserv_id"] == "mx.evil.example" and seen["trusted"] is False
    assert seen["note"].startswith("ignored")


def test_dmarc_pass_from_the_trusted_server_is_accepted(strict):
    cr = walk_to(strict, "in_principle")
    out = attack(strict, cr, "dmarc-pass-authenticated-policy.eml")
    assert out.moved and out.ledger.outcome == "applied"
    assert "dmarc=pass for ft.example" in out.evidence[0].rule


def test_the_stricter_policy_applies_only_to_its_role(strict):
    cr = walk_to(strict, "in_principle")
    strict.say("dana@acme.example", cr, "APPROVED")
    assert strict.cr(cr).votes == [["customer_rep", "APPROVED"]], "token is enough for dana"

"""How a decision's sender was proven, in plain words, from its evidence row.

The evidence row keeps what the security checks recorded, in their own terms (policy,
reply-token check, Authentication-Results). A manager reading the CR page wants the
sense of it: "replied to their own request mail", "signed by the customer's domain
(DMARC)". Each rule below names one fact the row can show and the words for it; the
rules are walked in order and every one that holds adds its words. The technical
record stays on the page, one click away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailflow.store.tables import Evidence


@dataclass(frozen=True)
class Fact:
    """One thing an evidence row can show, and how a person says it."""

    name: str
    holds: Callable[[Evidence], bool]
    words: Callable[[Evidence, bool], str]  # (row, the sender is external) → words


def _check(e: Evidence) -> str:
    return e.token_check.lower()


def _refused_because(e: Evidence, code: str) -> bool:
    return e.outcome == "refused" and e.rule.startswith(f"{code}:")


def _domain(e: Evidence, outside: bool) -> str:
    return "the customer's domain" if outside else "their company's domain"


FACTS: tuple[Fact, ...] = (
    Fact("own request", lambda e: _check(e).startswith("valid token"),
         lambda e, _: "replied to their own request mail"),
    Fact("address only", lambda e: _check(e) == "not needed",
         lambda e, _: "wrote from their address on file (enough for this reply)"),
    Fact("csm thread", lambda e: "a mail on the csm's thread" in e.rule.lower(),
         lambda e, _: "wrote on the CSM's thread"),
    Fact("dmarc", lambda e: e.outcome == "applied" and "dmarc=pass" in e.rule,
         lambda e, outside: f"signed by {_domain(e, outside)} (DMARC)"),
    Fact("dkim", lambda e: e.outcome == "applied" and "dkim=pass" in e.rule,
         lambda e, outside: f"signed by {_domain(e, outside)} (DKIM)"),
    Fact("forwarded", lambda e: bool(e.attested_by),
         lambda e, _: f"forwarded by {e.attested_by}"),
    Fact("no reply", lambda e: "no reply token" in _check(e),
         lambda e, _: "not a reply to any mail we sent them"),
    Fact("another cr", lambda e: "token of another change request" in _check(e),
         lambda e, _: "answered the mail of another change request"),
    Fact("someone else's", lambda e: "token issued to" in _check(e),
         lambda e, _: "answered a request mail sent to someone else"),
    Fact("earlier", lambda e: "earlier stage" in _check(e),
         lambda e, _: "answered an earlier request, already decided"),
    Fact("expired", lambda e: _check(e).endswith("token expired") or "retired key" in _check(e),
         lambda e, _: "answered a request mail too old to count"),
    Fact("not ours", lambda e: "not issued by mailflow" in _check(e),
         lambda e, _: "the reply's thread was not started by our mail"),
    Fact("unsigned", lambda e: _refused_because(e, "not_authenticated"),
         lambda e, outside: f"not signed by {_domain(e, outside)} (no DMARC or DKIM pass)"),
)  # fmt: skip


def proof_words(row: Evidence, outside: bool) -> str:
    """What proved the sender (or why it fell short), as one plain sentence."""
    said = [fact.words(row, outside) for fact in FACTS if fact.holds(row)]
    if not said:
        said = ["see the details"]
    text = "; ".join(dict.fromkeys(said))
    return text[0].upper() + text[1:]

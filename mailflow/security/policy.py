"""Does this reply prove its sender? The policy of the roles it acts in, applied.

`sender`: the bare From address holds the role (the engine checks the role itself).
`token`: that, plus a reply token minted for this CR, its current stage instance and
that very address. `authenticated`: that, plus the receiving server's trusted
Authentication-Results showing DMARC pass or aligned DKIM pass. The strictest policy
among the roles the sender acts in applies; a read-only STATUS? needs only `sender`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from mailflow.app import App
from mailflow.config.security import AUTHENTICATED, POLICIES, SENDER, TOKEN, strength
from mailflow.mail.parse import Inbound
from mailflow.security import authresults, tokens
from mailflow.store.tables import ChangeRequest
from mailflow.workflow.engine_values import EVERYONE


@dataclass(frozen=True)
class Verdict:
    """allowed, or refused with `reason` (a short code) and `detail` (for people)."""

    allowed: bool
    policy: str
    rule: str
    reason: str = ""
    detail: str = ""
    token_check: str = ""
    auth_results: list[dict[str, Any]] = field(default_factory=list)
    # why the token did not prove the reply (None: it did, or it was not needed)
    mismatch: tokens.Mismatch | None = None


def acting_roles(app: App, cr: ChangeRequest, roles: frozenset[str], verb: str) -> frozenset[str]:
    """The roles in which a verb would be acted on at the CR's stage (empty: the engine refuses)."""
    wf = app.workflow
    command = wf.command(verb)
    if command is not None:
        return roles if EVERYONE in command.roles else roles & frozenset(command.roles)
    stage = wf.stage(cr.stage)
    if stage is None or stage.reply(verb) is None:
        return frozenset()
    return roles & frozenset(stage.actors)


def policy_for(app: App, cr: ChangeRequest, acting: frozenset[str], verb: str) -> tuple[str, str]:
    """(policy, why): the strictest among the acting roles; STATUS? is read-only."""
    command = app.workflow.command(verb)
    if command is not None and command.effect == "status":
        return SENDER, f"{verb} only reads"
    sec = app.settings.security
    chosen = min(POLICIES, key=strength)
    why = "no acting role"
    for role in sorted(acting):
        policy = sec.policy_for(role)
        if strength(policy) >= strength(chosen):
            chosen, why = policy, f"role {role}"
    return chosen, why


def check(
    app: App,
    session: Session,
    cr: ChangeRequest,
    proof: Inbound,
    author: str,
    acting: frozenset[str],
    verb: str,
    now: datetime,
    forwarded_by: str = "",
) -> Verdict:
    """Apply the policy to the message that must carry the proof (the original, if forwarded)."""
    policy, why = policy_for(app, cr, acting, verb)
    rule = f"{policy} ({why})"
    auth = authresults.evaluate(proof, app.settings.security.trusted_authserv_ids)
    if not acting or policy == SENDER:
        held = f"{rule}: {author} holds the role"
        return Verdict(True, policy, held, token_check="not needed", auth_results=auth.seen)
    ring = tokens.keyring(app.settings)
    instance = tokens.stage_instance(cr.stage, cr.entered_at)
    inbox = app.settings.shared_inbox
    token = tokens.check_reply(session, ring, proof, inbox, cr.id, instance, now)

    def verdict(allowed: bool, said: str, reason: str = "", detail: str = "") -> Verdict:
        return Verdict(allowed, policy, said, reason, detail, token.detail, auth.seen)

    if not token.valid:
        refused = verdict(False, rule, "no_valid_token", token.detail)
        return replace(refused, mismatch=token.mismatch)
    if policy == TOKEN:
        return verdict(True, f"{rule}: {token.detail}")
    assert policy == AUTHENTICATED
    if forwarded_by:
        why_not = "a forwarded copy cannot show the author's own server authentication"
        return verdict(False, rule, "not_authenticated", why_not)
    if not auth.passed:
        return verdict(False, rule, "not_authenticated", auth.detail)
    return verdict(True, f"{rule}: {token.detail}; {auth.detail}")

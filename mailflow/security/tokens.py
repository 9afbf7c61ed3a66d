"""Per-recipient reply tokens: mint them into outgoing Message-IDs, verify them on replies.

A token is an HMAC-SHA256 over (CR id, stage instance, recipient address, expiry). The
stage instance is the stage name plus the moment the CR entered it, so a token dies when
its stage is decided or looped back to: a replayed reply no longer verifies. The token
text carries its key id and expiry in clear, so checking needs no stored state; only the
first use of each key is stored, to bound how long the key before it stays valid.

Format (lower case, safe in a Message-ID local part and in a sub-address, and short,
because clients fold or mangle long Message-IDs): ``t1`` + key id (4 base32 characters)
+ expiry (unix seconds, 7 base-36 digits) + MAC (20 base32 characters = 100 bits).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mailflow.config.settings import Settings
from mailflow.mail.parse import Inbound
from mailflow.security.token_shape import TOKEN_RE as TOKEN_RE  # re-exported for callers
from mailflow.store.guard_tables import SigningKey
from mailflow.store.message_tables import OutboxRow

SECRET_FILE = "reply-token.key"
_MAC_CHARS = 20


@dataclass(frozen=True)
class Keyring:
    """The current signing key and the previous ones still accepted during a rotation."""

    current: bytes
    previous: tuple[bytes, ...]
    token_days: int
    grace_days: int

    @property
    def kid(self) -> str:
        return key_id(self.current)


class Mismatch(StrEnum):
    """Why a reply's token did not prove it: what the chain answers depends on which."""

    ABSENT = "absent"  # no token at all: a new mail, or a reply to someone else's mail
    OTHER_RECIPIENT = "other_recipient"  # a copy sent to someone else (a reply-all)
    EARLIER_STAGE = "earlier_stage"  # a request already decided or looped back
    OTHER_CR = "other_cr"
    FORGED = "forged"  # not issued by mailflow, altered, or signed with an unknown key
    EXPIRED = "expired"


@dataclass(frozen=True)
class TokenCheck:
    """The result of looking for a valid token on a reply; `detail` goes to the audit trail."""

    valid: bool
    detail: str
    kid: str = ""
    mismatch: Mismatch | None = None


def key_id(key: bytes) -> str:
    """Four characters naming a key without revealing it."""
    digest = hmac.new(key, b"mailflow reply-token key id", hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:4].lower()


def keyring(settings: Settings) -> Keyring:
    sec = settings.security
    return _keyring(
        sec.secret, sec.previous_secrets, settings.data_dir, sec.token_days, sec.token_grace_days
    )


@lru_cache(maxsize=16)
def _keyring(
    secret: str, previous: tuple[str, ...], data_dir: Path, days: int, grace: int
) -> Keyring:
    key = secret.encode() if secret else installation_secret(data_dir)
    return Keyring(key, tuple(p.encode() for p in previous), days, grace)


def installation_secret(data_dir: Path) -> bytes:
    """The secret made on first run when none is configured: 32 random bytes, mode 0600.

    Several daemons sharing one database must share the secret: configure it then.
    """
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; read theirs
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def stage_instance(stage: str, entered_at: datetime) -> str:
    """The stage name plus when the CR entered it, to the microsecond, in UTC."""
    at = entered_at if entered_at.tzinfo else entered_at.replace(tzinfo=UTC)
    return f"{stage}@{at.astimezone(UTC).strftime('%Y%m%dT%H%M%S.%f')}"


def mint(ring: Keyring, cr_id: str, instance: str, recipient: str, now: datetime) -> str:
    expiry = int((now + timedelta(days=ring.token_days)).timestamp())
    exp = _base36(expiry).rjust(7, "0")
    return f"t1{ring.kid}{exp}{_mac(ring.current, cr_id, instance, recipient, exp)}"


def verify(
    ring: Keyring,
    token: str,
    cr_id: str,
    instance: str,
    recipient: str,
    now: datetime,
    previous_until: datetime | None,
) -> TokenCheck:
    """Valid only for this CR, this stage instance and this recipient, and not expired."""
    found = TOKEN_RE.fullmatch(token.lower())
    if found is None:
        return TokenCheck(False, "not a mailflow reply token")
    kid, exp, mac = found.groups()
    key = _key_for(ring, kid, now, previous_until)
    if key is None:
        return TokenCheck(False, f"signed with an unknown or retired key ({kid})", kid)
    if not hmac.compare_digest(mac, _mac(key, cr_id, instance, recipient, exp)):
        return TokenCheck(False, "does not match this change request, stage and sender", kid)
    if int(exp, 36) < now.timestamp():
        return TokenCheck(False, "expired", kid)
    return TokenCheck(True, "valid", kid)


def found_in(msg: Inbound, inbox: str) -> list[tuple[str, str]]:
    """(token, where) for every token on a reply: thread headers, then sub-addresses."""
    out: list[tuple[str, str]] = []
    for where, ids in (("In-Reply-To", (msg.in_reply_to,)), ("References", msg.references)):
        for value in ids:
            out += [(m.group(0).lower(), where) for m in TOKEN_RE.finditer(value or "")]
    local, _, domain = inbox.partition("@")
    addresses = [("To", a) for a in msg.to] + [("Cc", a) for a in msg.cc]
    addresses += [
        (name, value.strip().strip("<>").lower())
        for name, value in msg.headers
        if name.lower() in ("delivered-to", "x-original-to")
    ]
    for where, address in addresses:
        box, _, host = address.partition("@")
        base, plus, tag = box.partition("+")
        if plus and base == local and host == domain and TOKEN_RE.fullmatch(tag):
            out.append((tag, f"{where} sub-address"))
    return list(dict.fromkeys(out))


def check_reply(
    session: Session,
    ring: Keyring,
    msg: Inbound,
    inbox: str,
    cr_id: str,
    instance: str,
    now: datetime,
) -> TokenCheck:
    """The best result over every token the reply carries, explained for the audit trail."""
    found = found_in(msg, inbox)
    if not found:
        absent = "no reply token (not a reply to a mail mailflow sent you)"
        return TokenCheck(False, absent, mismatch=Mismatch.ABSENT)
    until = previous_key_until(session, ring, now)
    results = []
    for token, where in found:
        result = verify(ring, token, cr_id, instance, msg.from_addr, now, until)
        if result.valid:
            return TokenCheck(True, f"valid token for {msg.from_addr} ({where})", result.kid)
        results.append((token, where, result))
    token, where, first = results[0]
    mismatch, why = _diagnose(session, token, cr_id, msg, first)
    return TokenCheck(False, f"{where}: {why}", first.kid, mismatch)


def note_key_use(session: Session, kid: str, now: datetime) -> datetime:
    """When this key was first used (recorded now if it is new).

    Every mail and every reply asks, so a row the session found is remembered for the
    rest of it: it is written once and never changed. A row the session wrote itself is
    not, since the savepoint around the message that wrote it may still undo it.
    """
    found: dict[str, datetime] = session.info.setdefault(_FIRST_USE, {})
    written: set[str] = session.info.setdefault(_WRITTEN, set())
    if kid in found:
        return found[kid]
    row = session.get(SigningKey, kid)
    if row is not None and kid not in written:
        found[kid] = _aware(row.first_used_at)
    if row is None:
        written.add(kid)
        try:
            with session.begin_nested():
                session.add(SigningKey(kid=kid, first_used_at=now))
        except IntegrityError:
            pass  # another daemon recorded it first
        row = session.get(SigningKey, kid)
    assert row is not None
    return _aware(row.first_used_at)


# Where a session keeps the first use of each key it has read, and the keys it has
# recorded itself (see note_key_use).
_FIRST_USE, _WRITTEN = "mailflow.first_key_use", "mailflow.keys_recorded"


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def previous_key_until(session: Session, ring: Keyring, now: datetime) -> datetime:
    """Previous keys stay valid for the grace period after the current key came into use."""
    return note_key_use(session, ring.kid, now) + timedelta(days=ring.grace_days)


def _diagnose(
    session: Session, token: str, cr_id: str, msg: Inbound, result: TokenCheck
) -> tuple[Mismatch, str]:
    """Say whose token it was, from the mail that carried it, so the refusal is specific."""
    if result.detail != "does not match this change request, stage and sender":
        expired = result.detail == "expired"
        return (Mismatch.EXPIRED if expired else Mismatch.FORGED), f"token {result.detail}"
    row = _issued_with(session, token, cr_id)
    if row is None:
        return Mismatch.FORGED, "token not issued by mailflow (forged or altered)"
    issued_for, recipients = row
    if issued_for != cr_id:
        return Mismatch.OTHER_CR, f"token of another change request ({issued_for})"
    if msg.from_addr not in recipients:
        to = ", ".join(recipients)
        return Mismatch.OTHER_RECIPIENT, f"token issued to {to}, not to {msg.from_addr}"
    return Mismatch.EARLIER_STAGE, "token of an earlier stage (decided or replayed)"


def _issued_with(session: Session, token: str, cr_id: str) -> tuple[str | None, list[str]] | None:
    """(CR, recipients) of the mail whose Message-ID carries `token`, or None.

    A token is minted for one CR and one recipient, so the CR's own mail is searched
    first, on its index; only a token of another CR, or none of ours, costs a scan.
    """
    carries = col(OutboxRow.message_id).contains(token)
    for scope in (OutboxRow.cr_id == cr_id, carries):
        found = session.exec(
            select(OutboxRow.cr_id, OutboxRow.recipients).where(scope, carries).limit(1)
        ).first()
        if found is not None:
            return found[0], list(found[1])
    return None


def _key_for(
    ring: Keyring, kid: str, now: datetime, previous_until: datetime | None
) -> bytes | None:
    if kid == ring.kid:
        return ring.current
    for key in ring.previous:
        if key_id(key) == kid and (previous_until is None or now <= previous_until):
            return key
    return None


def _mac(key: bytes, cr_id: str, instance: str, recipient: str, exp: str) -> str:
    message = "\x00".join(("mailflow-reply-v1", cr_id.upper(), instance, recipient.lower(), exp))
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:_MAC_CHARS].lower()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"

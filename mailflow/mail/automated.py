"""The loop guard: is this mail an auto-reply, a bounce, list traffic or our own mail?

Such mail is recorded and never answered, and never read as a decision, so no
mail loop can form (RFC 3834 section 2). The checks are ordered: our own mail
first, then bounces (which often also carry auto-reply headers: a bounce is
the more useful thing to record), then auto-replies, then mailing lists.
Each result carries the header or rule that matched, for the operator.
"""

from __future__ import annotations

import email
import functools
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum

from mailflow.mail.parse import Inbound, normalize_message_id


class AutomatedKind(StrEnum):
    """What kind of machine sent a mail; the value is what the ledger and timeline show."""

    AUTO_REPLY = "auto-reply"
    BOUNCE = "bounce"
    LIST = "list"
    OWN = "own"


KINDS = tuple(AutomatedKind)


@dataclass(frozen=True)
class Automated:
    """Why a message is not from a person acting on a CR."""

    kind: AutomatedKind
    reason: str  # which header or rule matched, shown to operators


_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_DAEMON_SENDERS = re.compile(r"^(mailer-daemon|mail-daemon|mailerdaemon)@", re.I)
_POSTMASTER_SENDERS = re.compile(r"^post_?master@", re.I)
_NOREPLY_SENDERS = re.compile(r"^(no-?reply|do-?not-?reply|noreply-[\w.-]+|bounces?)[@+]", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered mail|delivery status notification|delivery failure|"
    r"delivery has failed|delivery notification|returned mail|mail delivery failed|"
    r"failure notice|failed delivery|could not be delivered|non remis|nicht zustellbar|"
    r"unzustellbar|no se puede entregar|non recapitabile|onbestelbaar|"
    r"mail system error|message not delivered|returned to sender)",
    re.I,
)
# Out-of-office subjects, compared without accents. They must open the subject
# (after tags like "[External]") or be followed by ":", so that a person's
# "Re: out of office plans" is not taken for an auto-reply.
_OOO_PHRASES = (
    "automatic reply", "auto reply", "autoreply", "auto-reply", "auto response",
    "automatic response", "auto:", "out of office", "out of the office", "ooo",
    "away from the office", "on vacation", "vacation reply", "abwesenheitsnotiz",
    "automatische antwort", "abwesend", "reponse automatique", "absence du bureau",
    "respuesta automatica", "fuera de la oficina", "risposta automatica",
    "fuori ufficio", "automatisch antwoord", "afwezig", "autosvar", "fravaer",
    "franvaro", "automatisk svar", "automatyczna odpowiedz", "poza biurem",
    "resposta automatica", "ausente", "avtootvet", "автоответ",
    "автоматический ответ", "automatiska atbilde", "automatiskais atbildes",
    "automaattinen vastaus", "automatikus valasz", "otomatik yanit",
)  # fmt: skip
_TAG = re.compile(r"^\s*(?:(?:\[[^\]]{1,30}\]|\(?(?:external|ext|extern|externe)\)?:?)\s*)+", re.I)
_LIST_HEADERS = (
    "List-Id", "List-Unsubscribe", "List-Post", "List-Subscribe", "Mailing-List",
    "X-Mailing-List", "X-ML-Name",
)  # fmt: skip
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply")


def classify(
    msg: Inbound, own_addresses: Collection[str], own_message_id_domain: str | None = None
) -> Automated | None:
    """Return why msg is automated mail, or None when a person wrote it."""
    return (
        _own(msg, own_addresses, own_message_id_domain)
        or _bounce(msg)
        or _auto_reply(msg)
        or _mailing_list(msg)
    )


def _own(msg: Inbound, own_addresses: Collection[str], domain: str | None) -> Automated | None:
    own = {a.strip().lower() for a in own_addresses}
    if msg.from_addr and msg.from_addr in own:
        return Automated(AutomatedKind.OWN, f"sent from our own address {msg.from_addr}")
    if msg.header("X-Mailflow-Id") is not None:
        return Automated(AutomatedKind.OWN, "carries our X-Mailflow-Id header")
    if domain and msg.message_id.lower().endswith(f"@{domain.strip().lower()}>"):
        return Automated(AutomatedKind.OWN, f"Message-ID {msg.message_id} was minted by us")
    return None


def _bounce(msg: Inbound) -> Automated | None:
    ctype = (msg.header("Content-Type") or "").lower()
    if "multipart/report" in ctype and "delivery-status" in ctype:
        return Automated(
            AutomatedKind.BOUNCE, "Content-Type: multipart/report; report-type=delivery-status"
        )
    for attachment in msg.attachments:
        if attachment.content_type.lower() in _DSN_TYPES:
            return Automated(AutomatedKind.BOUNCE, f"has a {attachment.content_type} part (a DSN)")
    if _DAEMON_SENDERS.match(msg.from_addr):
        return Automated(AutomatedKind.BOUNCE, f"sent by {msg.from_addr}")
    failure_code = re.search(r"\b(5\.\d{1,3}\.\d{1,3}|55[0-4])\b", msg.text)
    if _POSTMASTER_SENDERS.match(msg.from_addr) and (
        failure_code or _BOUNCE_SUBJECT.search(msg.subject)
    ):
        # postmaster also sends notices that are not delivery reports; those
        # are caught as auto-replies below.
        return Automated(AutomatedKind.BOUNCE, f"sent by {msg.from_addr} with a delivery failure")
    null_path = _null_return_path(msg)
    if (null_path or _auto_submitted(msg)) and _BOUNCE_SUBJECT.search(msg.subject):
        why = "empty Return-Path" if null_path else "Auto-Submitted"
        return Automated(
            AutomatedKind.BOUNCE, f"{why} and a delivery-failure subject: {msg.subject!r}"
        )
    if _BOUNCE_SUBJECT.search(msg.subject) and failure_code:
        return Automated(
            AutomatedKind.BOUNCE, f"delivery-failure subject and SMTP code {failure_code.group(1)}"
        )
    return None


def _auto_reply(msg: Inbound) -> Automated | None:
    submitted = _auto_submitted(msg)
    if submitted:
        return Automated(AutomatedKind.AUTO_REPLY, f"Auto-Submitted: {submitted}")
    ctype = (msg.header("Content-Type") or "").lower()
    if "multipart/report" in ctype:
        kind = re.search(r"report-type=\"?([\w-]+)", ctype)
        return Automated(
            AutomatedKind.AUTO_REPLY,
            f"a machine report (report-type={kind.group(1) if kind else '?'})",
        )
    for name in _AUTO_HEADERS:
        value = msg.header(name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return Automated(AutomatedKind.AUTO_REPLY, f"{name}: {value.strip()}")
    suppress = msg.header("X-Auto-Response-Suppress") or ""
    tokens = {t.strip().lower() for t in re.split(r"[,;\s]+", suppress) if t.strip()}
    if tokens & {"all", "oof", "autoreply"}:
        return Automated(AutomatedKind.AUTO_REPLY, f"X-Auto-Response-Suppress: {suppress.strip()}")
    precedence = (msg.header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "auto_reply", "auto-reply"):
        return Automated(AutomatedKind.AUTO_REPLY, f"Precedence: {precedence}")
    if _null_return_path(msg):
        return Automated(AutomatedKind.AUTO_REPLY, "empty Return-Path: <> (sent by a machine)")
    if _POSTMASTER_SENDERS.match(msg.from_addr):
        return Automated(AutomatedKind.AUTO_REPLY, f"sent by {msg.from_addr}")
    if _NOREPLY_SENDERS.match(msg.from_addr):
        return Automated(AutomatedKind.AUTO_REPLY, f"sent from a no-reply address {msg.from_addr}")
    phrase = _ooo_subject(msg.subject)
    if phrase:
        return Automated(
            AutomatedKind.AUTO_REPLY, f"out-of-office subject ({phrase!r}): {msg.subject!r}"
        )
    return None


def _mailing_list(msg: Inbound) -> Automated | None:
    for name in _LIST_HEADERS:
        value = msg.header(name)
        if value is not None:
            return Automated(AutomatedKind.LIST, f"{name}: {value.strip()[:80]}")
    if (msg.header("Precedence") or "").strip().lower() == "list":
        return Automated(AutomatedKind.LIST, "Precedence: list")
    return None


def _auto_submitted(msg: Inbound) -> str | None:
    value = msg.header("Auto-Submitted")
    if value is None:
        return None
    token = value.split(";", 1)[0].strip().lower()
    return token if token and token != "no" else None


def _null_return_path(msg: Inbound) -> bool:
    value = msg.header("Return-Path")
    return value is not None and re.sub(r"\s", "", value) in ("<>", "")


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _ooo_subject(subject: str) -> str | None:
    """The out-of-office phrase that opens the subject (or ends in ':'), if any."""
    plain = _plain(subject)
    while True:
        stripped = _TAG.sub("", plain, count=1)
        if stripped == plain:
            break
        plain = stripped
    for phrase, opening, before_colon in _ooo_patterns():
        if opening.match(plain) or before_colon.search(plain):
            return phrase
    return None


@functools.cache
def _ooo_patterns() -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
    """Each out-of-office phrase with its two patterns, compiled once: every inbound
    message's subject is tried against all of them."""
    patterns = []
    for phrase in _OOO_PHRASES:
        key = re.escape(_plain(phrase))
        bare = re.escape(_plain(phrase).rstrip(":"))
        patterns.append((phrase, re.compile(rf"{key}(?!\w)"), re.compile(rf"(?<!\w){bare}\s*:")))
    return tuple(patterns)


def bounced_message_ids(msg: Inbound) -> tuple[str, ...]:
    """Message-IDs of the original mail(s) a DSN reports on.

    They come from the enclosed message/rfc822 or text/rfc822-headers part,
    or, for bounces that quote the original inline, from a "Message-ID:" line
    in the body. The bounce's own Message-ID is never returned.
    """
    found: list[str] = []
    try:
        tree = email.message_from_bytes(msg.raw)
    except Exception:  # noqa: BLE001 - an unreadable bounce simply names nothing
        return ()
    for part in _walk(tree):
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            for child in inner if isinstance(inner, list) else []:
                if isinstance(child, Message):
                    found.append(normalize_message_id(child.get("Message-ID")))
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                headers = email.message_from_bytes(data.lstrip())
                found.append(normalize_message_id(headers.get("Message-ID")))
    if not any(found):
        pattern = r"^[ \t\r\f\v\xa0>|]*message-id:\s*(<[^<>\s]+>|\S+@\S+)"
        found = [m.group(1) for m in re.finditer(pattern, msg.text, re.I | re.M)]
        found = [normalize_message_id(f) for f in found]
    own = msg.message_id
    return tuple(dict.fromkeys(f for f in found if f and f != own))


def _walk(tree: Message) -> list[Message]:
    try:
        return list(tree.walk())
    except Exception:  # noqa: BLE001 - broken nesting: use the parts read so far
        return [tree]

"""Raw bytes → Inbound: the one typed message every later step receives."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from mailflow.errors import ParseError
from mailflow.mail.html_text import html_to_text
from mailflow.mail.mime import decode_header_value, message_tree, unescape_8bit, walk_parts


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message; stored later by content hash."""

    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class Inbound:
    """A parsed message. Addresses are bare and lower-case; the display name is kept apart."""

    raw: bytes
    message_id: str
    content_hash: str
    subject: str
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    in_reply_to: str | None
    references: tuple[str, ...]
    date: datetime | None
    headers: tuple[tuple[str, str], ...]
    text: str
    html: str | None
    attachments: tuple[Attachment, ...] = field(default=())
    # The HTML part as a reader sees it, when the mail also has a text part: the
    # decision must read the same in both, or it is asked back.
    html_text: str | None = None

    def header(self, name: str) -> str | None:
        """First value of a header, matched case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


def parse(raw: bytes) -> Inbound:
    """Read raw RFC 822 bytes into an Inbound, tolerating every kind of broken mail.

    mail-parser builds the MIME tree (it guards against pathological nesting);
    the stdlib does the rest because mail-parser keeps display names, leaves
    datetimes naive and names unnamed attachments randomly, which would make
    two reads of the same bytes differ. Only bytes that are not a mail at all
    raise ParseError; everything else yields an Inbound, however damaged.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise ParseError("the message is empty")
    # A byte-order mark or blank lines before the headers (editors, some exports)
    # would make the whole message read as a headerless body.
    message = message_tree(raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n\t "))
    if not message.keys():
        raise ParseError("no mail headers were found: the data is not an email message")
    try:
        return _inbound(raw, message)
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged mail is quarantined, never crashes
        raise ParseError(f"the message could not be read: {type(exc).__name__}: {exc}") from exc


def _inbound(raw: bytes, message: Message) -> Inbound:
    headers = tuple((str(name), decode_header_value(value)) for name, value in _raw_items(message))
    from_name, from_addr = _first_address(message, "From")
    if not from_addr:
        from_name, from_addr = _first_address(message, "Sender")
    parts = walk_parts(message)
    text = "\n".join(parts.texts)
    html = "\n".join(parts.htmls) if parts.htmls else None
    html_text = None
    if not text.strip() and html:
        text = html_to_text(html)
    elif html:
        html_text = normalize_newlines(html_to_text(html))
    return Inbound(
        raw=raw,
        message_id=normalize_message_id(_get(message, "Message-ID")),
        content_hash=hashlib.sha256(raw).hexdigest(),
        subject=decode_header_value(_get(message, "Subject")).strip(),
        from_addr=from_addr,
        from_name=from_name,
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        in_reply_to=next(iter(message_ids(_get(message, "In-Reply-To"))), None),
        references=message_ids(_get(message, "References")),
        date=_date(_get(message, "Date")),
        headers=headers,
        text=normalize_newlines(text),
        html=html,
        attachments=tuple(Attachment(n, t, d) for n, t, d in parts.attachments),
        html_text=html_text,
    )


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become \\n: IMAP bodies keep CRLF, old Mac mail uses CR."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


_ID_RE = re.compile(r"<([^<>\s]+)>")


def normalize_message_id(value: str | None) -> str:
    """Return the id as "<local@domain>", or "" when there is none.

    Some mailers omit the angle brackets or add whitespace; the ledger and the
    thread matching compare ids as strings, so they need one spelling.
    """
    if not value:
        return ""
    found = _ID_RE.search(value)
    if found:
        return f"<{found.group(1)}>"
    bare = value.strip().strip("<>").split()
    return f"<{bare[0]}>" if bare and bare[0] else ""


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every "<...>" id in an In-Reply-To / References value, in order, without repeats."""
    if not value:
        return ()
    found = [f"<{m}>" for m in _ID_RE.findall(value)]
    if not found:
        single = normalize_message_id(value)
        found = [single] if single else []
    return tuple(dict.fromkeys(found))


def _raw_items(message: Message) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for name, value in message.raw_items():  # as received: .items() may re-encode
        items.append((str(name), value if isinstance(value, str) else str(value)))
    return items


def _get(message: Message, name: str) -> str | None:
    wanted = name.lower()
    for key, value in _raw_items(message):
        if key.lower() == wanted:
            return value
    return None


_ADDR_RE = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*", re.UNICODE
)


def _address_pairs(message: Message, name: str) -> list[tuple[str, str]]:
    """(display name, bare lower-case address) pairs; display names decoded."""
    wanted = name.lower()
    values = [v for k, v in _raw_items(message) if k.lower() == wanted]
    pairs: list[tuple[str, str]] = []
    for value in values:
        flat = re.sub(r"\r?\n[ \t]*", " ", value)
        try:
            parsed = getaddresses([flat])
        except Exception:  # noqa: BLE001 - fall back to the regex below
            parsed = []
        # Raw 8-bit bytes (an IDN look-alike domain) arrive as surrogate escapes, which no
        # database column can store: decode them, so the address is recorded as written.
        good = [(n, unescape_8bit(a.strip()).lower()) for n, a in parsed if "@" in a]
        if not good:
            good = [("", a.lower()) for a in _ADDR_RE.findall(flat)]
        pairs.extend((decode_header_value(n).strip().strip('"').strip(), a) for n, a in good)
    return pairs


def _first_address(message: Message, name: str) -> tuple[str, str]:
    pairs = _address_pairs(message, name)
    return pairs[0] if pairs else ("", "")


def _addresses(message: Message, name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for _, a in _address_pairs(message, name)))


def _date(value: str | None) -> datetime | None:
    """Timezone-aware UTC; a date without a zone (or "-0000") is taken as UTC."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(decode_header_value(value).strip())
    except Exception:  # noqa: BLE001 - a junk Date header is simply unknown
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None

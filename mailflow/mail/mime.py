"""The MIME walk behind parse(): which parts are the body, which are attachments.

Kept apart from parse.py so that the rules for damaged mail (unknown charsets,
broken base64, unnamed parts, hostile filenames) can be read in one place.
"""

from __future__ import annotations

import codecs
import email
import io
import mimetypes
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.header import decode_header
from email.message import Message
from typing import TypeVar

import mailparser

from mailflow.errors import ParseError

T = TypeVar("T")
D = TypeVar("D")

# Names mail clients write that Python's codec registry does not know.
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-sjis": "shift_jis",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    # Senders that say latin-1 usually mean Windows-1252 (curly quotes, euro sign).
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_NO_CHARSET = frozenset({"", "unknown-8bit", "x-unknown", "unknown", "default", "none"})


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset, then UTF-8, then Windows-1252; never raises."""
    declared = (charset or "").strip().strip("\"'").lower()
    candidates: list[str] = []
    if declared not in _NO_CHARSET:
        candidates.append(_CHARSET_ALIASES.get(declared, declared))
    candidates += ["utf-8", "cp1252"]
    for candidate in candidates:
        try:
            codecs.lookup(candidate)
            return data.decode(candidate)
        except Exception:  # noqa: BLE001 - LookupError, UnicodeError, non-text codecs
            continue
    return data.decode("cp1252", errors="replace")


def unescape_8bit(value: str) -> str:
    """Undo the surrogate escapes the stdlib leaves for raw 8-bit header bytes."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    try:
        return decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    except UnicodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)


def decode_header_value(value: str | None) -> str:
    """Decode RFC 2047 words with any charset; unknown charsets degrade, never raise."""
    if not value:
        return ""
    value = re.sub(r"\r?\n[ \t]+", " ", value).replace("\r", "").replace("\n", "")
    value = unescape_8bit(value)
    try:
        chunks = decode_header(value)
    except Exception:  # noqa: BLE001 - a broken encoded word is shown as written
        return value
    out = [c if isinstance(c, str) else decode_bytes(c, cs) for c, cs in chunks]
    return "".join(out).replace("\x00", "")


def message_tree(raw: bytes) -> Message:
    """Build the MIME tree with mail-parser, falling back to the stdlib parser.

    mail-parser turns runaway nesting into its own error instead of a
    RecursionError; either way such a message is not readable and becomes a
    ParseError with the reason.
    """
    try:
        tree: Message = mailparser.parse_from_bytes(raw).message
        return tree
    except Exception:  # noqa: BLE001 - try the plain stdlib parser before giving up
        pass
    try:
        return email.message_from_bytes(raw)
    except RecursionError as exc:
        raise ParseError("the MIME structure is nested too deeply to read") from exc
    except Exception as exc:  # noqa: BLE001
        raise ParseError(f"the MIME structure could not be read: {exc}") from exc


@dataclass
class Parts:
    """The body texts and attachments found in one message, in MIME order."""

    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, type, data


def walk_parts(message: Message) -> Parts:
    """Split a message into body text, body HTML and attachments.

    Parts inside an attached message (message/rfc822: a forwarded mail or the
    original inside a bounce) are not the sender's body; the whole enclosed
    message is kept as one attachment instead. Inline images count as
    attachments so they can be stored with the CR.
    """
    parts = Parts()
    attachments = parts.attachments
    stack: list[Message] = [message]
    while stack:
        part = stack.pop()
        ctype = _safe(part.get_content_type, "application/octet-stream").lower()
        disposition = (_safe(part.get_content_disposition, None) or "").lower()
        filename = _filename(part)
        if part.is_multipart():
            if ctype.startswith("multipart/") and disposition != "attachment":
                children = part.get_payload()
                if isinstance(children, list):
                    stack.extend(reversed([c for c in children if isinstance(c, Message)]))
                continue
            name = filename or _default_name(part, ctype, len(attachments) + 1)
            attachments.append((name, ctype, _flatten_children(part)))
            continue
        is_body = (
            ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename
        )
        if is_body:
            text = decode_bytes(_payload_bytes(part), _safe(part.get_content_charset, None))
            (parts.htmls if ctype == "text/html" else parts.texts).append(text)
            continue
        name = filename or _default_name(part, ctype, len(attachments) + 1)
        attachments.append((name, ctype, _payload_bytes(part)))
    return parts


def _safe(call: Callable[[], T], default: D) -> T | D:
    try:
        return call()
    except Exception:  # noqa: BLE001 - malformed parameters read as absent
        return default


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encoding: keep what is there
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _flatten_children(part: Message) -> bytes:
    """Bytes of an enclosed message (message/rfc822, delivery-status blocks)."""
    out = io.BytesIO()
    children = part.get_payload()
    if not isinstance(children, list):
        return _payload_bytes(part)
    for child in children:
        try:
            BytesGenerator(out, mangle_from_=False).flatten(child)
        except Exception:  # noqa: BLE001 - an unprintable child is left out
            continue
    return out.getvalue()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sanitize_filename(name: str) -> str:
    """Basename only, no control characters, no leading dots: safe to store and show.

    Attachment names come from the sender and may try "../../etc/passwd",
    Windows paths, or control characters that confuse terminals and logs.
    """
    name = unescape_8bit(name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _CONTROL.sub("", name)
    name = re.split(r"[\\/]", name)[-1]
    name = name.replace("..", ".").strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else name[:200]
    return name


def _filename(part: Message) -> str:
    raw = _safe(part.get_filename, None)
    if not raw:
        return ""
    if not isinstance(raw, str):
        raw = str(raw)
    return sanitize_filename(decode_header_value(raw))


def _default_name(part: Message, ctype: str, number: int) -> str:
    """A stable name for an unnamed part, so two reads of one message agree."""
    content_id = str(part.get("Content-ID", "") or "").strip().strip("<>")
    local = sanitize_filename(content_id.split("@", 1)[0]) if content_id else ""
    if local and "." in local:
        return local
    if ctype == "message/rfc822":
        ext = ".eml"
    else:
        ext = mimetypes.guess_extension(ctype, strict=False) or ".bin"
    return f"{local or f'attachment-{number}'}{ext}"

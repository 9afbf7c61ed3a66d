"""Log lines for people (the default) or for a log pipeline (`--log-format json`).

Either way no secret and no reply token reaches a log line: a filter on the handler
masks the configured secrets (reply-token keys, IMAP/SMTP passwords and OAuth tokens,
the database password) and anything shaped like a reply token, whatever logged it. In
JSON each line also carries the CR id and the Message-ID of the message being handled,
null when there is none.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from typing import Any

from mailflow.security.token_shape import TOKEN_RE

MASK = "[redacted]"
_CR_ID = re.compile(r"\bCR-\d{4}-\d{3,}\b")
_current = threading.local()
_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_JSON_SCALARS = (int, float, bool, str, type(None))  # None is written as null, not "None"


def handling(message_id: str | None) -> None:
    """Name the message this thread is handling now (None when it is done)."""
    _current.message_id = message_id


def message_id_in(data: bytes) -> str | None:
    """The Message-ID of a raw message, read from its header alone (no body is parsed)."""
    end = data.find(b"\r\n\r\n")
    end = data.find(b"\n\n") if end < 0 else end
    head = data if end < 0 else data[: end + 2]
    found = BytesHeaderParser().parsebytes(head).get("Message-ID")
    return str(found).strip() if found else None


@contextmanager
def about(message_id: str | None) -> Iterator[None]:
    """Name one message while it is handled, then the one named before: messages are read
    in batches, so the one read last is not always the one being handled."""
    before = getattr(_current, "message_id", None)
    _current.message_id = message_id
    try:
        yield
    finally:
        _current.message_id = before


class Redact(logging.Filter):
    """Masks secrets and reply tokens in the final text and notes the CR and message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return TOKEN_RE.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        record.msg, record.args = self.clean(text), None
        if not getattr(record, "message_id", None):
            record.message_id = getattr(_current, "message_id", None)
        if not getattr(record, "cr_id", None):
            found = _CR_ID.search(record.msg)
            record.cr_id = found.group(0) if found else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, CR id, Message-ID, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("cr_id", "message_id"):  # always there: null when there is none
            line[key] = getattr(record, key, None) or None
        for key, value in record.__dict__.items():
            if key not in _ATTRIBUTES and key not in line and not key.startswith("_"):
                line[key] = value if isinstance(value, _JSON_SCALARS) else str(value)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


HUMAN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(
    fmt: str = "text", verbose: bool = False, stream: Any = None, force: bool = False
) -> logging.Handler | None:
    """Give the root logger a handler writing `fmt` ("text" or "json").

    As logging.basicConfig does, nothing changes when the root logger already has a
    handler (a host application's, or a test runner's), unless `force` adds one anyway.
    """
    root = logging.getLogger()
    if root.handlers and not force:
        return None
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(HUMAN))
    handler.addFilter(Redact())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler


def mask_secrets(secrets: Iterable[str]) -> None:
    """Once the configuration is read: mask its secrets in every handler's lines."""
    for handler in logging.getLogger().handlers:
        for flt in handler.filters:
            if isinstance(flt, Redact):
                flt.secrets = Redact([*flt.secrets, *secrets]).secrets


def secrets_of(settings: Any) -> list[str]:
    """Every secret value the settings hold: keys, passwords, tokens, the database password."""
    found: list[str] = []
    security = settings.security
    for name in ("secret", "previous_secrets"):
        value = getattr(security, name, None)
        found += [value] if isinstance(value, str) else [str(v) for v in value or ()]
    for transport in (settings.imap, settings.smtp):
        for name in ("password", "oauth2_token", "token", "client_secret"):
            value = getattr(transport, name, None) if transport is not None else None
            if isinstance(value, str) and value:
                found.append(value)
    url = str(settings.database_url)
    if "@" in url and "://" in url:
        creds = url.split("://", 1)[1].rsplit("@", 1)[0]
        if ":" in creds:
            found.append(creds.split(":", 1)[1])
    return [s for s in found if s]

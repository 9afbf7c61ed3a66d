"""Typed reply fields: turn what a person wrote after `Key:` into a checked, storable value.

Values are stored as JSON-friendly data (strings, numbers, small dicts) so that the
same CR row reads the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mailflow.workflow.definition import Field

_JIRA = re.compile(r"\b([A-Z][A-Z0-9]{1,9}-\d{1,7})\b")
_URL = re.compile(r"https?://[^\s<>\"']+")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+")
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
)
_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "₹": "INR"}


class FieldError(ValueError):
    """A value that does not fit its field's type; the text says what was expected."""


def expected(field: Field) -> str:
    """How to write a value of this field, for the explanation mailed back."""
    return {
        "text": "some text",
        "integer": "a whole number, e.g. 12",
        "decimal": "a number, e.g. 12 or 12.5",
        "money": "an amount with an optional currency, e.g. USD 9,600 or 9600",
        "date": "a date, e.g. 2026-12-15 or 15 Dec 2026",
        "jira": "a Jira issue key, e.g. ABC-123 (a link may follow)",
        "person": "an e-mail address",
        "url": "a link starting with https://",
    }[field.type] + (f" ({field.unit})" if field.unit else "")


def parse_value(field: Field, raw: str, currency: str = "") -> Any:
    """Check one value against its field type; raise FieldError saying what was wanted."""
    text = raw.strip()
    if not text:
        raise FieldError(f"{field.label} is empty; expected {expected(field)}")
    try:
        return _PARSERS[field.type](text, currency)
    except (ValueError, InvalidOperation):
        raise FieldError(f"{field.label}: {text!r} is not {expected(field)}") from None


def _text(text: str, _: str) -> str:
    return text


def _integer(text: str, _: str) -> int:
    return int(text.replace(",", "").split()[0])


def _number(text: str) -> Decimal:
    match = re.match(r"^-?[\d,]*\.?\d+", text.replace(" ", ""))
    if not match:
        raise ValueError(text)
    value = Decimal(match.group(0).replace(",", ""))
    if value < 0:
        raise ValueError(text)
    return value


def _decimal(text: str, _: str) -> str:
    return str(_number(text.split()[0]).normalize()) if text.split() else ""


def _money(text: str, currency: str) -> dict[str, str]:
    rest = text.strip()
    found = ""
    for sign, code in _CURRENCY_SIGNS.items():
        if sign in rest:
            found, rest = code, rest.replace(sign, " ")
    iso = re.search(r"\b([A-Z]{3})\b", rest.upper())
    if iso:
        found = iso.group(1)
        rest = re.sub(r"\b[A-Za-z]{3}\b", " ", rest, count=1)
    amount = _number(rest.strip())
    return {"amount": f"{amount:.2f}", "currency": found or currency}


def _date(text: str, _: str) -> str:
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip().rstrip("."))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return date.fromisoformat(cleaned).isoformat()


def _jira(text: str, _: str) -> dict[str, str]:
    key = _JIRA.search(text.upper() if not _JIRA.search(text) else text)
    if not key:
        raise ValueError(text)
    url = _URL.search(text)
    return {"key": key.group(1), "url": url.group(0) if url else ""}


def _person(text: str, _: str) -> str:
    match = _EMAIL.search(text)
    if not match:
        raise ValueError(text)
    return match.group(0).lower()


def _url(text: str, _: str) -> str:
    match = _URL.search(text)
    if not match:
        raise ValueError(text)
    return match.group(0)


_PARSERS = {
    "text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "money": _money,
    "date": _date,
    "jira": _jira,
    "person": _person,
    "url": _url,
}


def show(value: Any) -> str:
    """A stored value as a person reads it."""
    if isinstance(value, dict) and "amount" in value:
        return f"{value.get('currency', '')} {value['amount']}".strip()
    if isinstance(value, dict) and "key" in value:
        return f"{value['key']} {value.get('url', '')}".strip()
    return str(value)

"""Typed reply fields: turn what a person wrote after `Key:` into a checked, storable value.

Every value is read whole or refused: nothing is truncated, skipped or guessed. A form a
careful person could read two ways is refused with its readings, so the sender is asked
which one they meant (see numbers.py, figures.py and dates.py for the figures). Values
are stored as JSON-friendly data (strings, small dicts) so that the same CR row reads the
same on SQLite and PostgreSQL; `show` is the one way a stored value is written for people.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from email.utils import getaddresses
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mailflow.workflow.conventions import Conventions
from mailflow.workflow.dates import read_date, show_date
from mailflow.workflow.definition import Field, Workflow, key_words
from mailflow.workflow.figures import Read, read_money, read_quantity, show_money, show_quantity
from mailflow.workflow.numbers import FigureError
from mailflow.workflow.vocabulary import Vocabulary

_JIRA_KEY = re.compile(r"[A-Z][A-Z0-9]{1,9}-[1-9]\d{0,6}")
_URL = re.compile(r"https?://[^\s<>\"']+")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+")


class FieldError(ValueError):
    """A value that does not fit its field; the text says what was expected.

    `readings` holds the values the text could mean when it was refused for being
    readable more than one way; the sender is asked which one they meant.
    """

    def __init__(self, message: str, readings: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.readings = readings


def expected(field: Field) -> str:
    """How to write a value of this field, for the explanation mailed back."""
    return {
        "text": "some text",
        "integer": "a whole number, e.g. 12",
        "decimal": "a number, e.g. 12 or 12.5",
        "money": "an amount with an optional currency, e.g. USD 9,600 or 9600",
        "date": "a date, e.g. 2027-01-15 or 15 January 2027",
        "jira": "a Jira issue key, e.g. ABC-123 (a link may follow), or the issue's link",
        "person": "an e-mail address",
        "url": "a link starting with https://",
    }[field.type] + (f" ({field.unit})" if field.unit else "")


def parse_value(
    field: Field, raw: str, conv: Conventions | None = None, today: date | None = None
) -> Any:
    """Check one value against its field type; raise FieldError saying what was wanted."""
    return read_value(field, raw, conv, today).value


def read_value(
    field: Field, raw: str, conv: Conventions | None = None, today: date | None = None
) -> Read:
    """The stored value and, when a unit rule converted it, a note for the read-back."""
    conv = conv or Conventions()
    text = " ".join(raw.split())
    if not text:
        raise FieldError(f"{field.label} is empty; expected {expected(field)}")
    try:
        if field.type == "money":
            return read_money(text, conv)
        if field.type in ("decimal", "integer"):
            return read_quantity(text, field.unit, conv, whole=field.type == "integer")
        if field.type == "date":
            return read_date(text, conv, today)
        return Read(_OTHERS[field.type](text, conv))
    except FigureError as exc:
        raise FieldError(f"{field.label}: {exc}", exc.readings) from None


def _text(text: str, _: Conventions) -> str:
    return text


def _jira(text: str, conv: Conventions) -> dict[str, str]:
    """`ABC-123`, optionally followed by its link; or the link first, when its path names
    the key, alone or with the key after it (`https://…/browse/ABC-123 (ABC-123)`)."""
    first, _, rest = text.partition(" ")
    if _URL.fullmatch(first.strip("<>")):
        url = first.strip("<>")
        key = _key_of_link(text, url, _unbracket(rest).upper())
    else:
        key = first.upper()
        if not _JIRA_KEY.fullmatch(key):
            raise FigureError(
                f"{text!r} does not start with a Jira issue key such as ABC-123 or its link"
            )
        url = _unbracket(rest).strip("<>")
        if url and not _URL.fullmatch(url):
            raise FigureError(
                f"{text!r} has more than a key and a link; write the key, then the link"
            )
        named = _keys_in_link(url)
        if named and key not in named:
            raise FigureError(f"{text!r}: the link is to {', '.join(named)}, not {key}")
    project = key.rpartition("-")[0]
    if conv.jira_projects and project not in conv.jira_projects:
        raise FigureError(
            f"{key} is not in this account's Jira projects ({', '.join(conv.jira_projects)})"
        )
    return {"key": key, "url": url}


def _key_of_link(text: str, url: str, written: str) -> str:
    """The key a link-first Jira line stands for: the one the link's path names, which the
    key written after it (if any) must repeat."""
    if written and not _JIRA_KEY.fullmatch(written):
        raise FigureError(
            f"{text!r} has more than a link and its key; write the key, then the link"
        )
    named = _keys_in_link(url)
    if not named:
        raise FigureError(
            f"{text!r}: the link names no Jira issue key; write the key, e.g. ABC-123, "
            "then the link"
        )
    if written:
        if written not in named:
            raise FigureError(f"{text!r}: the link is to {', '.join(named)}, not {written}")
        return written
    if len(named) > 1:
        raise FigureError(
            f"{text!r}: the link names {' and '.join(named)}; write the key, then the link"
        )
    return named[0]


def _keys_in_link(url: str) -> list[str]:
    """The issue keys a link's path or query names (`/browse/ABC-123`, `?selectedIssue=…`)."""
    if not url:
        return []
    parts = urlsplit(url)
    words = parts.path.split("/") + [value for _, value in parse_qsl(parts.query)]
    return sorted({w.upper() for w in words if _JIRA_KEY.fullmatch(w.upper())})


def _unbracket(text: str) -> str:
    text = text.strip()
    return text[1:-1].strip() if text[:1] + text[-1:] in ("()", "[]") else text


def _person(text: str, conv: Conventions) -> str:
    """One address (a display name may come with it) of someone the CR may be assigned to."""
    found = getaddresses([text])
    if len(found) != 1 or not _EMAIL.fullmatch(found[0][1]) or text.count("@") != 1:
        raise FigureError(f"{text!r} is not one e-mail address")
    address = found[0][1].lower()
    if conv.assignable is not None and address not in conv.assignable:
        known = ", ".join(sorted(conv.assignable)) or "nobody is configured"
        title = conv.assignable_title or "people this can be assigned to"
        raise FigureError(f"{address} is not one of the configured {title} ({known})")
    return address


def _url(text: str, _: Conventions) -> str:
    link = text.strip("<>")
    if not _URL.fullmatch(link):
        raise FigureError(f"{text!r} is not one link starting with https://")
    return link


_OTHERS = {"text": _text, "jira": _jira, "person": _person, "url": _url}


def show(value: Any, field: Field | None = None, conv: Conventions | None = None) -> str:
    """A stored value as a person reads it; every mail and command shows figures this way."""
    if isinstance(value, dict) and "amount" in value:
        return show_money(value, conv)
    if isinstance(value, dict) and "key" in value:
        return f"{value['key']} {value.get('url', '')}".strip()
    if field is not None and field.type == "date":
        try:
            return show_date(str(value))
        except ValueError:
            return str(value)
    if field is not None and field.type in ("decimal", "integer"):
        return show_quantity(value, field.unit, conv)
    return str(value)


def closest_field(key: str, known: Vocabulary | Workflow) -> str | None:
    """The field an unknown "Key:" was probably meant as, to ask "did you mean Cost:?".

    Close when the key starts with a known name or holds one as whole words ("Cost
    estimate" → Cost), or is spelt close to one (difflib, "Prise" → Cost, via the listed
    name "price"); otherwise None. It only suggests: a near miss is never read as the
    field. Given the workflow, the answer is the field's label; given a vocabulary
    (which holds names, not labels) it is the known name as people write it ("Price").
    """
    wanted = key_words(key)
    if not wanted:
        return None
    if isinstance(known, Workflow):
        named = {key_words(k): f.label for f in known.fields.values() for k in f.all_names()}
    else:
        named = {key_words(n): key_words(n).capitalize() for n in known.field_names}
    named.pop("", None)
    if wanted in named:
        return named[wanted]
    starts = [n for n in named if wanted.startswith(n + " ")]
    inside = [n for n in named if f" {n} " in f" {wanted} "]
    for found in (starts, inside):
        if found:
            return named[max(found, key=lambda n: (len(n), n))]
    close = difflib.get_close_matches(wanted, sorted(named), n=1, cutoff=0.75)
    return named[close[0]] if close else None

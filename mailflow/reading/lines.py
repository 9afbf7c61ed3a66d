"""Line-level helpers for decide: "Key: value" fields and reason text.

Kept apart from the verb grammar in decide.py so each stays short; nothing
here decides anything, it only finds where the decision and the fields are.
"""

from __future__ import annotations

import re

_SIGN_OFF = re.compile(
    r"^\s*(thanks|thank you|many thanks|regards|best|cheers|kind regards|best regards|"
    r"warm regards|best wishes|sincerely|br|thx|ty|grüße|viele grüße|beste grüße|gruß|"
    r"gruss|mfg|lg|cordialement|bien à vous|saludos|un saludo|saluti|cordiali saluti|"
    r"groeten|met vriendelijke groet|hälsningar|mvh|pozdrawiam|с уважением)[\s,.!]*$",
    re.IGNORECASE,
)
_FIELD = re.compile(r"^\s*[*_]*([^\W\d_][\w .()/-]{0,40}?)[*_]*\s*:[*_]*\s*((?:\S(?:.*\S)?)?)\s*$")
_LEADING_PUNCTUATION = re.compile(r"^[\s:\-–—,.;]+")


def field_of(line: str) -> tuple[str, str] | None:
    """A "Key: value" line as (lower-cased key, value), or None."""
    return _field(line)


def _field(line: str) -> tuple[str, str] | None:
    match = _FIELD.match(line)
    if not match:
        return None
    key, value = match.group(1).strip().lower(), match.group(2)
    if len(key.split()) > 4 or value.startswith("//"):
        return None  # a URL ("https://…") or a sentence with a colon in it
    return key, value


def fields_of(lines: list[str]) -> dict[str, str]:
    """Every "Key: value" line; a key with no value takes the lines below it.

    Keys are lower-cased and stripped; values stay as written because only
    the workflow knows whether a field is a number, a date or money. The
    first occurrence of a key wins, so a later repeat cannot override it.
    """
    fields: dict[str, str] = {}
    index = 0
    while index < len(lines):
        found = _field(lines[index])
        index += 1
        if not found:
            continue
        key, value = found
        if not value:
            block: list[str] = []
            while index < len(lines) and lines[index].strip() and not _field(lines[index]):
                block.append(lines[index].strip())
                index += 1
            value = "\n".join(block)
        fields.setdefault(key, value)
    return fields


def trailing_text(rest_of_line: str, following: list[str]) -> str:
    """The reason / status text: the rest of the verb line plus the lines below it.

    Stops at the first "Key: value" field or at a sign-off ("Thanks,"), so
    that neither ends up inside the reason shown to others.
    """
    parts = [_LEADING_PUNCTUATION.sub("", rest_of_line).strip()]
    for line in following:
        if _field(line) or _SIGN_OFF.match(line):
            break
        parts.append(line.rstrip())
    return "\n".join(parts).strip()

"""The text of a reply: what decisions are read from, and what the mail shows.

`new_text` is what decisions are read from. Its rule is "keep everything
above the first quote marker". A marker is any line that starts the quoted
or forwarded history ("> " lines, "On … wrote:" in the customers' languages,
an Outlook "From:/Sent:/To:/Subject:" block in its localized forms,
"-----Original Message-----") or a "-- " signature. When in doubt a marker
cuts too early rather than too late: losing new text makes a reply unclear
(the sender is asked again), while keeping quoted text could read an old
"APPROVED" as a new one.

Client footers ("Sent from my iPhone") and legal notices are the other way
round: they are cut only at the end of what is left, only from a closed list
(`footers`) or by a strict shape (`notices`), because cutting there too early
could silently drop a condition the sender wrote below them.

`visible_text` is what the mail shows as its content, for people reading
`mailflow explain` and for measuring against other reply trimmers: the same
as `new_text` when something was typed above the history, and the history
itself (without its attribution, separator and header lines) when the mail
starts with it. Nothing is ever decided from it.

Libraries (talon, email_reply_parser) were considered; talon pulls in lxml,
regex and scikit-learn models for a job a few dozen lines of rules do well
enough here, and email_reply_parser knows only English attributions.
"""

from __future__ import annotations

import functools
import re

from mailflow.mail import footers
from mailflow.mail.quote_markers import (
    HEADER_FROM,
    HEADER_OTHER,
    HR_DASHES,
    LONG_RULE,
    SEPARATOR,
    SIGN_OFF,
    SIGNATURE,
    UNDERSCORES,
    attribution_end,
    header_follows,
    is_attribution,
    is_header_block,
    next_nonblank,
    previous_nonblank,
)
from mailflow.mail.trailers import INVISIBLE as _INVISIBLE
from mailflow.mail.trailers import without_trailers


@functools.lru_cache(maxsize=8)
def new_text(text: str) -> str:
    """Return only what the sender wrote in this reply.

    Kept for the last few texts: the rules of one message ask for the same text's new
    part several times (the repeat check, the answer cap, the decision).

    Everything from the first quote, forward or signature marker on is
    dropped, then what closes the rest without being written for this reply:
    client footers and legal notices (see `trailers`), and trailing
    whitespace. Inline replies (text interleaved with quotes) keep only the
    part above the first quote, on purpose.
    """
    lines = _lines(text)
    cut = _first_marker(lines)
    kept = without_trailers(lines[:cut])
    reply = "\n".join(line.rstrip() for line in kept).strip("\n").rstrip()
    if not reply.strip() and cut < len(lines):
        return _bottom_posted(lines, cut)
    return reply


def visible_text(text: str) -> str:
    """Return what the mail shows as its content: never read for a decision.

    When something was typed above the first quote marker, that is all the
    mail says: the result is `new_text(text)`, except that a client footer
    line or a "-Priya" sign-off ends it, as the common reply trimmers show a
    mail ("Sent from my iPhone" and whatever stands below it); `new_text` cuts
    footers only at the end and keeps sign-offs ("-Not yet" has their shape),
    since what is read for a decision may never lose a line silently.
    The same holds when the mail opens with an attribution and its quote and
    the reply follows below them (bottom-posting, which `new_text` reads).
    Otherwise a mail that starts
    with its history (a "> " quote, an "On … wrote:" line, a forward) shows
    that history, as common reply trimmers keep it: "> " lines stay as they
    are, and so does unmarked text; attribution lines (at any quote depth),
    forward separators and the header block of a forwarded or Outlook-quoted
    mail are removed; a signature or phone footer ends the text; a quote with
    no words left in it shows nothing.
    """
    lines = _lines(text)
    cut = _first_marker(lines)
    reply = new_text(text)
    if any(line.strip(_INVISIBLE) for line in lines[:cut]):
        footer = next((i for i, line in enumerate(lines[:cut]) if _ends_shown(line)), cut)
        shown = without_trailers(lines[:footer])
        return "\n".join(line.rstrip() for line in shown).strip("\n").rstrip() or reply
    if reply and cut < len(lines) and not _is_quoted(lines[cut]):
        return reply  # "On … wrote:", its quote, and the reply below them
    unquoted = [_QUOTE_MARKS.sub("", line) for line in lines]
    kept: list[str] = []
    index = cut
    while index < len(lines):
        line = lines[index]
        if _is_quoted(line):
            end = attribution_end(unquoted, index)
            if end is not None and all(map(_is_quoted, lines[index:end])):
                index = end
                continue
            kept.append(line)
            index += 1
        elif (end := attribution_end(lines, index)) is not None:
            index = end
        elif _addressed_above_quote(lines, index):
            index += 1
        elif SEPARATOR.match(line) or (_RULE.match(line) and header_follows(lines, index)):
            index = _after_headers(lines, index + 1)
        elif HEADER_FROM.match(line) and is_header_block(lines, index):
            index = _after_headers(lines, index)
        elif SIGNATURE.match(line) or LONG_RULE.match(line) or _ends_shown(line):
            break
        else:
            kept.append(line)
            index += 1
    while kept and not kept[-1].strip(_INVISIBLE + ">"):
        kept.pop()
    while kept and not kept[0].strip(_INVISIBLE + ">"):
        kept.pop(0)
    return "\n".join(line.rstrip() for line in kept)


def _ends_shown(line: str) -> bool:
    """A footer or a "-Priya" sign-off: the shown text ends there, as trimmers show it."""
    return footers.is_footer(line) or SIGN_OFF.match(line) is not None


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


# The ">" marks (and the spaces between them) that open a quoted line.
_QUOTE_MARKS = re.compile(r"^[\s>]*>\s?")


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# A rule line some clients put above a quoted or forwarded header block.
_RULE = re.compile(r"^\s*(-{3,}|[_=]{8,})\s*$")
# Any "Name: value" line, such as Reply-To or Message-ID, once a header block has begun.
_ANY_HEADER = re.compile(r"^\s*[*_]?[^\W\d_][\w-]{0,30}[*_]?\s?:(\s|$)")


def _is_header(line: str) -> bool:
    return bool(HEADER_FROM.match(line) or HEADER_OTHER.match(line))


def _after_headers(lines: list[str], start: int) -> int:
    """The index after the header block (From, Date, Subject, To…) at or after start.

    The block is the run of non-blank lines that begins with a header line; a
    line that is not a header belongs to it when it is folded (indented) or
    when a header follows it (a Subject wrapped onto a second line). Without a
    header block, start is returned.
    """
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or not _is_header(lines[index]):
        return start
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        wrapped = line[:1].isspace() or (index + 1 < len(lines) and _is_header(lines[index + 1]))
        if not (_is_header(line) or _ANY_HEADER.match(line) or wrapped):
            break
        index += 1
    return index


def _addressed_above_quote(lines: list[str], index: int) -> bool:
    """A "Some One <some.one@example.com>:" line (or one with a date) opening a quote."""
    line = lines[index].rstrip()
    following = next_nonblank(lines, index)
    return (
        line.endswith((":", "："))
        and re.search(r"@|\d{4}|\d:\d\d", line) is not None
        and following is not None
        and lines[following].lstrip().startswith(">")
    )


def _bottom_posted(lines: list[str], cut: int) -> str:
    """The text written below a quote ("On … wrote:", "> …" lines, then the reply).

    Taken only in the plain bottom-posting shape: nothing above the history,
    an attribution (or none) followed by one block of "> " lines, then
    unquoted text to the end with no further quote. Anything more tangled
    (interleaved answers, history without ">" marks, forwarded mail) gives
    "", so no quoted word can ever be read as the reply. A quote's last line
    that was long enough to have been wrapped by the client must be followed
    by a blank line, or the "reply" might be the wrapped end of the quote.
    """
    index = cut
    if not lines[index].lstrip().startswith(">"):
        if not is_attribution(lines, index):
            return ""
        index += 1
        while index < len(lines) and not lines[index].lstrip().startswith(">"):
            if index - cut > 4 or (
                lines[index].strip() and _outside_attribution(lines, cut, index)
            ):
                return ""
            index += 1
    last_quoted = None
    while index < len(lines) and (
        lines[index].lstrip().startswith(">") or not lines[index].strip()
    ):
        if lines[index].strip():
            last_quoted = index
        index += 1
    rest = lines[index:]
    if last_quoted is None or not rest or any(line.lstrip().startswith(">") for line in rest):
        return ""
    if last_quoted == index - 1 and len(lines[last_quoted]) >= 60:
        return ""
    return new_text("\n".join(rest))


def _outside_attribution(lines: list[str], start: int, index: int) -> bool:
    """True when a non-blank line between an attribution and its quote is not part of it."""
    joined = " ".join(line.strip() for line in lines[start : index + 1])
    return not joined.rstrip(" *_-").endswith((":", "：")) or len(joined) > 400


def _first_marker(lines: list[str]) -> int:
    """Index of the first line that belongs to quoted history or a signature."""
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            return _back_over_attribution(lines, index)
        if is_attribution(lines, index):
            return index
        if SEPARATOR.match(line) or SIGNATURE.match(line):
            return index
        if HEADER_FROM.match(line) and is_header_block(lines, index):
            return _back_over_separator(lines, index)
        if LONG_RULE.match(line):
            return index
        if (UNDERSCORES.match(line) or HR_DASHES.match(line)) and header_follows(lines, index):
            return index
    return len(lines)


def _back_over_attribution(lines: list[str], index: int) -> int:
    """Quote found: also drop a "... <address>:"-style attribution line right above it."""
    previous = previous_nonblank(lines, index)
    if previous is None:
        return index
    line = lines[previous].rstrip()
    if line.endswith((":", "：")) and re.search(r"@|\d{4}|\d:\d\d", line):
        return previous
    return index


def _back_over_separator(lines: list[str], index: int) -> int:
    """Include the rule line Outlook puts above its header block."""
    previous = previous_nonblank(lines, index)
    if previous is not None and (
        UNDERSCORES.match(lines[previous]) or re.match(r"^\s*-{3,}\s*$", lines[previous])
    ):
        return previous
    return index

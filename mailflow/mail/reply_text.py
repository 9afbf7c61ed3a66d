"""Only the new text of a reply: quoted history, forwards and signatures cut off.

The rule is "keep everything above the first quote marker". A marker is any
line that starts the quoted or forwarded history ("> " lines, "On … wrote:",
an Outlook "From:/Sent:/To:/Subject:" block, "-----Original Message-----") or
a signature. When in doubt the text is cut too early rather than too late:
losing new text makes a reply unclear (the sender is asked again), while
keeping quoted text could read an old "APPROVED" as a new one.

Libraries (talon, email_reply_parser) were considered; talon pulls in lxml,
regex and scikit-learn models for a job a few dozen lines of rules do well
enough here, and email_reply_parser knows only English attributions.
"""

from __future__ import annotations

import re

# "On <date>, <name> wrote:" in the languages customers write in. The opening
# word and the closing verb are matched separately, because clients wrap the
# attribution over two or three lines.
_ATTRIBUTION_START = re.compile(
    r"^[\s*_-]*(on|am|le|el|il|op|em|på|den|w dniu|dnia|в)\s",
    re.IGNORECASE,
)
_VERBS = (
    r"wrote|writes|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|schreef|"
    r"escreveu|skrev|napisał\(a\)|napisała|napisał|napisal|написал|написала|написав|"
    r"kirjoitti|írta|yazdı|geschrieben|geschreven"
)
_ANY_VERB = re.compile(rf"\b({_VERBS})\b", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(rf"\b({_VERBS})\s*:?[\s*_-]*$", re.IGNORECASE)
# Gmail in some locales: "<name> <address> schrieb am <date>:"
_ATTRIBUTION_MID = re.compile(
    r"\b(schrieb am|wrote on|a écrit le|escribió el|ha scritto il|schreef op|skrev den|"
    r"escreveu em)\b",
    re.IGNORECASE,
)
# Attributions that open with the date: "2016-03-03 17:21 GMT+01:00 Name <address>:"
# or "20 окт. 2016 г. 19:37 пользователь ...".
_DATED_START = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
    r"\d{1,2}\.?\s+\w+\.?\s+\d{4}(\s*г\.)?),?\s+(um\s+|at\s+|à\s+)?\d{1,2}:\d{2}"
)
_DATE_ONLY_START = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})\b"
)
_HAS_ADDRESS_OR_TIME = re.compile(r"@|\d{1,2}:\d{2}|\b\d{4}\b")

# Outlook-style header blocks: a From line followed by Sent/Date, To, Subject.
_HEADER_FROM = re.compile(
    r"^\s*[*_]?\s*(from|von|de|da|van|från|fra|od|от|lähettäjä|feladó|kimden|"
    r"remitente|mittente|expéditeur)\s*[*_]?\s*:",
    re.IGNORECASE,
)
_HEADER_OTHER = re.compile(
    r"^\s*[*_]?\s*(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|envoye|"
    r"date d'envoi|à|a|objet|enviado|fecha|para|asunto|inviato|data|oggetto|"
    r"verzonden|aan|onderwerp|skickat|till|ämne|sendt|til|emne|wysłano|wysłane|"
    r"do|temat|отправлено|дата|кому|тема|lähetetty|vastaanottaja|aihe)\s*[*_]?\s*:",
    re.IGNORECASE,
)

# Separator lines that introduce quoted or forwarded mail.
_SEPARATOR = re.compile(
    r"^\s*[*_]?(-{2,}\s*[\w' ,.]+?\s*-{2,}|"  # -----Original Message----- and friends
    r"(begin forwarded message|début du message (réexpédié|transféré)|"
    r"anfang der weitergeleiteten (nachricht|e-mail)|inicio del mensaje reenviado|"
    r"inizio messaggio inoltrato|begin doorgestuurd bericht|"
    r"vidarebefordrat meddelande|videresendt melding|"
    r"original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|forwarded message)\s*:?)[*_]?\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*[_=]{8,}\s*$")
# Mailing-list footers and Outlook's rule above its header block.
_LONG_RULE = re.compile(r"^\s*([-_=*]\s*){10,}$")
_HR_DASHES = re.compile(r"^\s*-{8,}\s*$")

# Signatures and the footers phone clients add.
_SIGNATURE = re.compile(
    r"^\s*(--|__)\s*$|"
    r"^-[^\W\d_][\w.]*( [^\W\d_][\w.]*)?\s*$|"  # "-Priya" sign-off
    r"^\s*(sent from (my|mail for|outlook|yahoo|samsung|the)\b.{0,40}|"
    r"sent (from|via|using) (my )?(iphone|ipad|android|blackberry|mobile|phone|"
    r"samsung|galaxy|huawei|pixel).{0,40}|"
    r"get outlook for \w+.{0,20}|"
    r"envoyé (de|depuis) mon \w+.{0,30}|von meinem \w+.{0,30}gesendet\.?|gesendet von .{0,30}|"
    r"enviado desde mi \w+.{0,30}|inviato da(l mio)? \w+.{0,30}|"
    r"verzonden (met|vanaf) (mijn )?\w+.{0,30}|skickat från min \w+.{0,20}|"
    r"sendt fra min \w+.{0,20}|wysłane z (mojego )?\w+.{0,30}|"
    r"отправлено с (моего )?\w+.{0,30}|enviado do meu \w+.{0,30})\s*$",
    re.IGNORECASE,
)


def new_text(text: str) -> str:
    """Return only what the sender wrote in this reply.

    Everything from the first quote, forward or signature marker on is
    dropped, then trailing whitespace. Inline replies (text interleaved with
    quotes) keep only the part above the first quote, on purpose.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _first_marker(lines)
    kept = lines[:cut]
    while kept and not kept[-1].strip(_INVISIBLE):
        kept.pop()  # blank lines and the invisible marks mail trackers leave
    reply = "\n".join(line.rstrip() for line in kept).strip("\n").rstrip()
    if not reply.strip() and cut < len(lines):
        return _bottom_posted(lines, cut)
    return reply


# Characters that show nothing: zero-width spaces and joiners, the byte-order
# mark, and the "ᐧ" some Gmail tracking add-ons append to every mail.
_INVISIBLE = " \t\u00a0\u200b\u200c\u200d\u2060\ufeff\u1427"


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
        if not _is_attribution(lines, index):
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
    return not joined.rstrip(" *_-").endswith(":") or len(joined) > 400


def _first_marker(lines: list[str]) -> int:
    """Index of the first line that belongs to quoted history or a signature."""
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            return _back_over_attribution(lines, index)
        if _is_attribution(lines, index):
            return index
        if _SEPARATOR.match(line) or _SIGNATURE.match(line):
            return index
        if _HEADER_FROM.match(line) and _is_header_block(lines, index):
            return _back_over_separator(lines, index)
        if _LONG_RULE.match(line):
            return index
        if (_UNDERSCORES.match(line) or _HR_DASHES.match(line)) and _header_follows(lines, index):
            return index
    return len(lines)


def _is_attribution(lines: list[str], index: int) -> bool:
    """An "On … wrote:" line, possibly wrapped over a few lines by the client."""
    line = lines[index]
    if not line.strip() or len(line) > 300:
        return False
    if _DATED_START.match(line) or (_DATE_ONLY_START.match(line) and "@" in line):
        return True
    joined = line
    if _ATTRIBUTION_START.match(line) or _ATTRIBUTION_MID.search(line):
        # Clients wrap long attributions; look a few lines ahead for the verb.
        for extra in range(1, 6):
            if _ATTRIBUTION_END.search(joined) or (
                _ANY_VERB.search(joined) and joined.rstrip(" *_-").endswith(":")
            ):
                return True
            if index + extra >= len(lines) or len(joined) > 300:
                return False
            joined += " " + lines[index + extra].strip()
        return False
    # "Some One <some.one@example.com> wrote:" without the leading "On".
    if _ATTRIBUTION_END.search(line) and line.rstrip(" *_-").endswith(":"):
        if _HAS_ADDRESS_OR_TIME.search(line):
            return True
        following = _next_nonblank(lines, index)
        return following is not None and lines[following].lstrip().startswith(">")
    return False


def _back_over_attribution(lines: list[str], index: int) -> int:
    """Quote found: also drop a "... <address>:"-style attribution line right above it."""
    previous = _previous_nonblank(lines, index)
    if previous is None:
        return index
    line = lines[previous].rstrip()
    if line.endswith(":") and (re.search(r"@|\d{4}|\d:\d\d", line) or len(line) < 80):
        return previous
    return index


def _is_header_block(lines: list[str], index: int) -> bool:
    """A From: line counts when at least two other header lines follow closely."""
    seen = 0
    for line in lines[index + 1 : index + 8]:
        if _HEADER_OTHER.match(line):
            seen += 1
        elif line.strip() and seen == 0 and index + 2 < len(lines):
            # A wrapped From value: allow one continuation line before the others.
            continue
    return seen >= 2


def _header_follows(lines: list[str], index: int) -> bool:
    following = _next_nonblank(lines, index)
    return following is not None and bool(
        _HEADER_FROM.match(lines[following]) or _HEADER_OTHER.match(lines[following])
    )


def _back_over_separator(lines: list[str], index: int) -> int:
    """Include the rule line Outlook puts above its header block."""
    previous = _previous_nonblank(lines, index)
    if previous is not None and (
        _UNDERSCORES.match(lines[previous]) or re.match(r"^\s*-{3,}\s*$", lines[previous])
    ):
        return previous
    return index


def _next_nonblank(lines: list[str], index: int) -> int | None:
    for following in range(index + 1, min(len(lines), index + 4)):
        if lines[following].strip():
            return following
    return None


def _previous_nonblank(lines: list[str], index: int) -> int | None:
    for previous in range(index - 1, max(-1, index - 3), -1):
        if lines[previous].strip():
            return previous
    return None

"""The lines that open quoted or forwarded history, or a signature, in a plain-text mail.

Shared by `reply_text.new_text` (which cuts at the first of them) and
`reply_text.visible_text` (which removes only the attribution, separator and
header lines when a mail starts with its history).
"""

from __future__ import annotations

import re

# "On <date>, <name> wrote:" in the languages customers write in. The opening
# word and the closing verb are matched separately, because clients wrap the
# attribution over two or three lines.
ATTRIBUTION_START = re.compile(
    r"^[\s*_-]*(on|am|le|el|il|op|em|på|den|w dniu|dnia|в)\s",
    re.IGNORECASE,
)
_VERBS = (
    r"wrote|writes|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|schreef|"
    r"escreveu|skrev|napisał\(a\)|napisała|napisał|napisal|написал|написала|написав|"
    r"kirjoitti|írta|yazdı|geschrieben|geschreven"
)
ANY_VERB = re.compile(rf"\b({_VERBS})\b", re.IGNORECASE)
ATTRIBUTION_END = re.compile(rf"\b({_VERBS})\s*:?[\s*_-]*$", re.IGNORECASE)
# Gmail in some locales: "<name> <address> schrieb am <date>:"
ATTRIBUTION_MID = re.compile(
    r"\b(schrieb am|wrote on|a écrit le|escribió el|ha scritto il|schreef op|skrev den|"
    r"escreveu em)\b",
    re.IGNORECASE,
)
# Attributions that open with the date: "2016-03-03 17:21 GMT+01:00 Name <address>:"
# or "20 окт. 2016 г. 19:37 пользователь ...".
DATED_START = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
    r"\d{1,2}\.?\s+\w+\.?\s+\d{4}(\s*г\.)?),?\s+(um\s+|at\s+|à\s+)?\d{1,2}:\d{2}"
)
DATE_ONLY_START = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})\b"
)
HAS_ADDRESS_OR_TIME = re.compile(r"@|\d{1,2}:\d{2}|\b\d{4}\b")

# Outlook-style header blocks: a From line followed by Sent/Date, To, Subject.
HEADER_FROM = re.compile(
    r"^\s*[*_]?\s*(from|von|de|da|van|från|fra|od|от|lähettäjä|feladó|kimden|"
    r"remitente|mittente|expéditeur)\s*[*_]?\s*:",
    re.IGNORECASE,
)
HEADER_OTHER = re.compile(
    r"^\s*[*_]?\s*(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|envoye|"
    r"date d'envoi|à|a|objet|enviado|fecha|para|asunto|inviato|data|oggetto|"
    r"verzonden|aan|onderwerp|skickat|till|ämne|sendt|til|emne|wysłano|wysłane|"
    r"do|temat|отправлено|дата|кому|тема|lähetetty|vastaanottaja|aihe)\s*[*_]?\s*:",
    re.IGNORECASE,
)

# Separator lines that introduce quoted or forwarded mail.
SEPARATOR = re.compile(
    r"^\s*[*_]?(-{2,}\s*[\w' ,.]+?\s*-{2,}|"  # -----Original Message----- and friends
    r"(begin forwarded message|début du message (réexpédié|transféré)|"
    r"anfang der weitergeleiteten (nachricht|e-mail)|inicio del mensaje reenviado|"
    r"inizio messaggio inoltrato|begin doorgestuurd bericht|"
    r"vidarebefordrat meddelande|videresendt melding|"
    r"original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|forwarded message)\s*:?)[*_]?\s*$",
    re.IGNORECASE,
)
UNDERSCORES = re.compile(r"^\s*[_=]{8,}\s*$")
# Mailing-list footers and Outlook's rule above its header block.
LONG_RULE = re.compile(r"^\s*([-_=*]\s*){10,}$")
HR_DASHES = re.compile(r"^\s*-{8,}\s*$")

# Signatures and the footers phone clients add.
SIGNATURE = re.compile(
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


def attribution_end(lines: list[str], index: int) -> int | None:
    """Where an "On … wrote:" line starting at index ends (the next line), else None.

    Clients wrap long attributions, so the closing verb may be a few lines on.
    """
    line = lines[index]
    if not line.strip() or len(line) > 300:
        return None
    if DATED_START.match(line) or (DATE_ONLY_START.match(line) and "@" in line):
        return index + 1
    joined = line
    if ATTRIBUTION_START.match(line) or ATTRIBUTION_MID.search(line):
        for extra in range(1, 6):
            if ATTRIBUTION_END.search(joined) or (
                ANY_VERB.search(joined) and joined.rstrip(" *_-").endswith(":")
            ):
                return index + extra
            if index + extra >= len(lines) or len(joined) > 300:
                return None
            joined += " " + lines[index + extra].strip()
        return None
    # "Some One <some.one@example.com> wrote:" without the leading "On".
    if ATTRIBUTION_END.search(line) and line.rstrip(" *_-").endswith(":"):
        if HAS_ADDRESS_OR_TIME.search(line):
            return index + 1
        following = next_nonblank(lines, index)
        if following is not None and lines[following].lstrip().startswith(">"):
            return index + 1
    return None


def is_attribution(lines: list[str], index: int) -> bool:
    """An "On … wrote:" line, possibly wrapped over a few lines by the client."""
    return attribution_end(lines, index) is not None


def is_header_block(lines: list[str], index: int) -> bool:
    """A From: line counts when at least two other header lines follow closely."""
    seen = 0
    for line in lines[index + 1 : index + 8]:
        if HEADER_OTHER.match(line):
            seen += 1
        elif line.strip() and seen == 0 and index + 2 < len(lines):
            # A wrapped From value: allow one continuation line before the others.
            continue
    return seen >= 2


def header_follows(lines: list[str], index: int) -> bool:
    following = next_nonblank(lines, index)
    return following is not None and bool(
        HEADER_FROM.match(lines[following]) or HEADER_OTHER.match(lines[following])
    )


def next_nonblank(lines: list[str], index: int) -> int | None:
    for following in range(index + 1, min(len(lines), index + 4)):
        if lines[following].strip():
            return following
    return None


def previous_nonblank(lines: list[str], index: int) -> int | None:
    for previous in range(index - 1, max(-1, index - 3), -1):
        if lines[previous].strip():
            return previous
    return None

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
    r"^[\s*_-]*(on|am|le|el|il|op|em|på|den|dne|w dniu|dnia|в)\s",
    re.IGNORECASE,
)
_VERBS = (
    r"wrote|writes|schrieb|a écrit|a ecrit|escribió|escribio|ha scritto|schreef|"
    r"escreveu|skrev|napisał\(a\)|napisała|napisał|napisal|написал|написала|написав|"
    r"kirjoitti|írta|yazdı|geschrieben|geschreven|va escriure|pisze|пишет|napsal|napsala|"
    r"skriver|a scris"
)
# Verbs of scripts without spaces between words: matched without word boundaries.
_CJK_VERBS = r"写道|寫道|님이 작성|작성|のメール|さんは書きました|書きました"
ANY_VERB = re.compile(rf"\b({_VERBS})\b", re.IGNORECASE)
ATTRIBUTION_END = re.compile(rf"(\b({_VERBS})|{_CJK_VERBS})\s?[:：]?[\s*_-]*$", re.IGNORECASE)
# Gmail in some locales: "<name> <address> schrieb am <date>:"
ATTRIBUTION_MID = re.compile(
    r"\b(schrieb am|wrote on|a écrit le|escribió el|ha scritto il|schreef op|skrev den|"
    r"escreveu em)\b|(?<=>)\s?[于於]\s?\d{4}",
    re.IGNORECASE,
)
# "Name <address>" alone on a line, and the rest of a name-first attribution
# wrapped onto the next one ("于2026年3月3日 10:00写道：", "schrieb am …:").
NAME_AND_ADDRESS = re.compile(r"^\s*[^\W\d][\w .'\"-]{0,60}<[^<>@\s]{1,64}@[^<>\s]{1,200}>\s*$")
NAME_FIRST_REST = re.compile(
    r"^\s*([于於]\s?\d{4}|(schrieb am|wrote on|a écrit le|escribió el|ha scritto il|"
    r"schreef op|skrev den|escreveu em)\b)",
    re.IGNORECASE,
)
# Openings of attributions that start with the date, wrapped or not, in Gmail's
# Finnish, Norwegian, Polish, Russian, Turkish, Japanese and Korean: "ti 3.3.2026
# klo 10.00 …", "wt., 3 mar 2026 o 10:00 …", "3 Mar 2026 Sal, 10:00 tarihinde …",
# "2026年3月3日(火) 10:00 …", "2026년 3월 3일 (화) 오전 10:00, …". A weekday is one
# of a closed list, so an ordinary sentence does not open an attribution.
_WEEKDAYS = (
    r"mon|tue|wed|thu|fri|sat|sun|ma|ti|ke|to|pe|la|su|man|tir|ons|tor|fre|lør|søn|"
    r"mån|tis|tors|lör|sön|pon|wt|śr|czw|pt|sob|niedz|nie|пн|вт|ср|чт|пт|сб|вс|"
    r"po|út|st|čt|pá|so|ne|pzt|sal|çar|per|cum|cmt|paz"
)
DATED_OPENING = re.compile(
    rf"^\s*(({_WEEKDAYS})\.?,? \d{{1,2}}[. ]|\d{{4}} ?[年년.] ?\d{{1,2}} ?[月월.]|"
    r"\d{1,2}\.? [^\W\d_]{3,9}\.? \d{4}\b)",
    re.IGNORECASE,
)
# The end of a verbless attribution ("…, CR Desk <cr@ft.example>:"), as Gmail
# writes in Russian and Japanese.
ADDRESS_COLON_END = re.compile(r"@[\w.-]{1,200}>?\)?\s?[:：]\s*$")
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
    r"^\s*(?:[*_]\s*)?(from|von|de|da|van|från|fra|od|от|lähettäjä|feladó|kimden|"
    r"remitente|mittente|expéditeur|发件人|寄件者|寄件人|보낸 사람|差出人|odesílatel)"
    r"\s*(?:[*_]\s*)?[:：]",
    re.IGNORECASE,
)
HEADER_OTHER = re.compile(
    r"^\s*(?:[*_]\s*)?(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|envoye|"
    r"date d'envoi|à|a|objet|enviado|fecha|para|asunto|inviato|data|oggetto|"
    r"verzonden|aan|onderwerp|skickat|till|ämne|sendt|til|emne|wysłano|wysłane|"
    r"do|temat|dw|отправлено|дата|кому|тема|копия|lähetetty|vastaanottaja|aihe|kopio|"
    r"assunto|enviado el|enviat|per a|assumpte|kopia|gönderildi|tarih|kime|konu|bilgi|"
    r"odesláno|komu|předmět|elküldve|címzett|tárgy|"
    r"发送时间|日期|收件人|抄送|主题|寄件日期|收件者|副本|主旨|"
    r"보낸 날짜|받는 사람|참조|제목|送信日時|宛先|件名)\s*(?:[*_]\s*)?[:：]",
    re.IGNORECASE,
)

# Separator lines that introduce quoted or forwarded mail.
SEPARATOR = re.compile(
    r"^\s*[*_]?(-{2,} {0,3}[\w',.]+(?:[ -][\w',.]+){0,8} {0,3}-{2,}|"  # -----Original Message-----
    r"(begin forwarded message|début du message (réexpédié|transféré)|"
    r"anfang der weitergeleiteten (nachricht|e-mail)|inicio del mensaje reenviado|"
    r"inizio messaggio inoltrato|begin doorgestuurd bericht|"
    r"vidarebefordrat meddelande|videresendt melding|"
    r"original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|forwarded message)( {0,3}:)?)[*_]?\s*$",
    re.IGNORECASE,
)
UNDERSCORES = re.compile(r"^\s*[_=]{8,}\s*$")
# Mailing-list footers and Outlook's rule above its header block.
LONG_RULE = re.compile(r"^\s*([-_=*]\s*){10,}$")
HR_DASHES = re.compile(r"^\s*-{8,}\s*$")

# The "-- " line that opens a signature. The footers phone and desktop clients
# add ("Sent from my iPhone") are cut apart, only at the end (`footers`).
SIGNATURE = re.compile(r"^\s*(--|__)\s*$")
# A "-Priya" sign-off. Only the shown text ends there: "-Not yet" has the same
# shape, so the new text keeps it and the closed rule reads it (a known name is
# harmless there).
SIGN_OFF = re.compile(r"^-[^\W\d_][\w.]*( [^\W\d_][\w.]*)?\s*$")


def attribution_end(lines: list[str], index: int) -> int | None:
    """Where an "On … wrote:" line starting at index ends (the next line), else None.

    Clients wrap long attributions, so the closing verb may be a few lines on.
    """
    line = lines[index]
    if not line.strip() or len(line) > 300:
        return None
    dated = DATED_START.match(line) or (DATE_ONLY_START.match(line) if "@" in line else None)
    if dated:
        # "2016-03-03 17:21 GMT+01:00 Name <address>:", or only a name after the date;
        # "2026-03-10 09:00 is the window, phase 1 only." is a sentence, not a sender.
        closed = _dated_attribution_end(lines, index, need_time=False)
        if closed is not None or not _names_a_sender(line[dated.end() :]):
            return closed
        return index + 1
    if (
        NAME_AND_ADDRESS.match(line)
        and index + 1 < len(lines)
        and NAME_FIRST_REST.match(lines[index + 1])
        and attribution_end(lines, index + 1) == index + 2
    ):
        return index + 2
    joined = line
    if DATED_OPENING.match(line):
        ends = _dated_attribution_end(lines, index, need_time=True)
        if ends is not None:
            return ends
    if ATTRIBUTION_START.match(line) or ATTRIBUTION_MID.search(line):
        for extra in range(1, 6):
            if ATTRIBUTION_END.search(joined) or (
                ANY_VERB.search(joined) and _ends_with_colon(joined)
            ):
                return index + extra
            if index + extra >= len(lines) or len(joined) > 300:
                return None
            joined += " " + lines[index + extra].strip()
        return None
    # "Some One <some.one@example.com> wrote:" without the leading "On".
    if ATTRIBUTION_END.search(line) and _ends_with_colon(line):
        if HAS_ADDRESS_OR_TIME.search(line):
            return index + 1
        following = next_nonblank(lines, index)
        if following is not None and lines[following].lstrip().startswith(">"):
            return index + 1
    return None


def _dated_attribution_end(lines: list[str], index: int, *, need_time: bool) -> int | None:
    """The end of an attribution that opens with its date, on this line or two more.

    The lines must follow each other without a blank line and close with a
    verb ("kirjoitti:", "napisał(a):", "写道：") or with the sender's address and
    a colon, as clients write them. An opening that is only a weekday and a
    day must also carry a time (Gmail always writes one), so "Per 3 March, only
    with a sign-off from <cfo@acme.example>:" is text.
    """
    joined = ""
    for end in range(index, min(len(lines), index + 3)):
        if not lines[end].strip():
            return None
        joined = f"{joined} {lines[end].strip()}"
        if len(joined) > 300:
            return None
        closed = ADDRESS_COLON_END.search(joined) or (
            ATTRIBUTION_END.search(joined) and _ends_with_colon(joined)
        )
        if closed and (_TIME.search(joined) or not need_time):
            return end + 1
    return None


def _names_a_sender(rest: str) -> bool:
    """True when what follows an attribution's date is only a sender: a few words
    with no digit or sentence mark, ending in a capitalised name or an address."""
    rest = _ZONE.sub("", rest, count=1)
    address = _TRAILING_ADDRESS.search(rest)
    if address:
        rest = rest[: address.start()]
    words = rest.split()
    if len(words) > 6 or not all(_NAME_WORD.match(word) for word in words):
        return False
    return address is not None or (bool(words) and words[-1][:1].isupper())


_ZONE = re.compile(r"^\s*(gmt|utc)?[+-]\d{1,2}:?\d{2}", re.IGNORECASE)
_TRAILING_ADDRESS = re.compile(r"\(?<[^<>@\s]{1,64}@[^<>\s]{1,200}>\)?\s*$")
_NAME_WORD = re.compile(r"^[^\W\d_][\w'-]{0,40}$")
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b")


def _ends_with_colon(text: str) -> bool:
    return text.rstrip(" *_-").endswith((":", "："))


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

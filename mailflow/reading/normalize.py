"""A reply line as a person sees it, before any word of it is read.

Mail can say one thing to the eye and another to a program: a zero-width space
inside "not" hides the negation from a word match, a Cyrillic "О" makes "NОT"
another word, `_not_` is Thunderbird's way of underlining. Reading the decision
therefore starts from the text normalised the way a reader perceives it: HTML
entities decoded, Unicode compatibility forms folded (NFKC), invisible format
characters removed, emphasis markers stripped. A word whose letters come from
more than one alphabet cannot be normalised honestly, so it is reported, and the
reader treats the line as unclear.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Characters that render as nothing: Unicode's format characters (category Cf:
# zero-width space and joiners, bidi controls, soft hyphen, tags), variation
# selectors, the combining grapheme joiner and the Hangul fillers. A test checks
# that every Cf character of the running Python's Unicode database is covered.
LINE_CAP = 1_000  # a line longer than this is never read: no reply needs one, an attack might

_INVISIBLE = re.compile(
    "["
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f"
    "\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\U000e0100-\U000e01ef"
    "]"
)
# Skin-tone modifiers change how an emoji looks, never what it says.
_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff]")
_APOSTROPHES = str.maketrans("’‘´`ʼ", "'''''")
_SPACES = re.compile(r"[^\S\n]+")
# `_x_`, `*x*`, `/x/`, `~x~`: markers around a word or words, not inside one.
_EMPHASIS = re.compile(
    r"(?<![\w*_/~])([*_/~]{1,2})(?=[^\s*_/~])([^\n*_/~]*?[^\s*_/~])\1(?![\w*_/~])"
)
_WORD = re.compile(r"[^\W\d_]+")
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC")


def normalize_line(line: str) -> str:
    """One line as it reads: entities decoded, NFKC, invisibles gone, emphasis stripped.

    The result stays on one line (an entity for a newline becomes a space) so that
    line numbers of the normalised text match the text as written.
    """
    text = html.unescape(line) if "&" in line else line
    text = unicodedata.normalize("NFKC", text)
    text = _MODIFIERS.sub("", _INVISIBLE.sub("", text)).translate(_APOSTROPHES)
    text = _SPACES.sub(" ", text.replace("\n", " ").replace("\r", " "))
    previous = None
    while previous != text:  # nested markers: *_not_*
        previous, text = text, _EMPHASIS.sub(r"\2", text)
    return text.strip()


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def reorders(line: str) -> bool:
    """Whether bidi controls make the line display in another order than it is stored.

    Removing them would read "ton" where the reader sees "not", so such a line is
    never read at all.
    """
    return bool(_BIDI.search(line))


def mixed_script_words(line: str) -> list[str]:
    """Words whose letters come from more than one alphabet ("NОT" with a Cyrillic О)."""
    found = []
    for match in _WORD.finditer(line):
        word = match.group(0)
        if word.isascii():
            continue
        scripts = {_script(ch) for ch in word}
        if len(scripts - {""}) > 1:
            found.append(word)
    return found


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return next((s for s in _SCRIPTS if name.startswith(s)), "OTHER" if name else "")

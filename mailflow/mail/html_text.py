"""HTML body → plain text as a reader sees it, with quoted history marked for reply_text.

Only text a mail client shows is kept: the page's style sheets are applied first
(html_styles), then what is hidden by style (html_visibility) never reaches the
reader, and neither do head, style, script and comments.

Text that may or may not show (over a picture, in a colour that cannot be worked
out, or anywhere on a page whose style sheets could not be applied) is kept,
between marks: "⟦hard to see: Not⟧ approved". Dropping it would read what the
page may not say; keeping it plain would read what the reader may not have seen.
Marked, it is neither: the marks are words and symbols on no list of the reading
grammar, so a decision on or beside such a line is asked back, quoting the line,
and the sender sees what was in doubt. When the mail also has a plain-text part,
reading compares the two; `unmarked()` gives the HTML text with the marks taken
off, for a comparison that lets an HTML part whose doubtful words the text part
also says read the same as it. The marks' own characters, when a mail writes
them, become plain brackets, so a mail cannot forge a mark.

Many clients (Outlook on phones, Gmail with rich text, Apple Mail) send HTML-only
replies. Reading the decision needs plain lines, and the quoted history must stay
recognisable: rather than dropping it (the body of a forwarded request is still
useful to a person), everything inside a quote container is prefixed with "> ",
which reply_text already treats as quoted.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailflow.mail.html_styles import apply_stylesheets
from mailflow.mail.html_visibility import Look, child_look

# Elements whose content is never text a person reads.
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})

# Elements that start a new line when opened or closed.
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr",
        "ul",
    }
)  # fmt: skip

# Element classes / ids that clients use to wrap (or to start) the quoted history.
# Gmail wraps it in div.gmail_quote; Yahoo in div.yahoo_quoted; Thunderbird puts
# div.moz-cite-prefix before a blockquote; Outlook starts it with #divRplyFwdMsg
# (or #appendonsend) and the history follows as siblings, so from there on all
# remaining text counts as quoted.
_QUOTE_CLASSES = frozenset({"gmail_quote", "yahoo_quoted", "moz-cite-prefix", "gmail_extra"})
_QUOTE_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "olk_src_body_section", "stopspelling"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "col", "area", "base", "wbr"})


_PAGE = Look()
UNCLEAR_OPEN = "⟦hard to see: "
UNCLEAR_CLOSE = "⟧"
_MARKED = re.compile("⟦hard to see: ([^⟦⟧\n]*)⟧")
_FORGED = str.maketrans("⟦⟧", "[]")
# Characters of an HTML part rendered to text. A reply's own words come first and
# Python's HTML parser reads about 1 MB a second, so a cap keeps a hostile part
# from stalling the service; what lies beyond is quoted history at most.
HTML_CAP = 512_000


class _TextBuilder(HTMLParser):
    """Collects text lines; tracks quote depth so quoted lines can be marked."""

    def __init__(self, styles_known: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self._styles_known = styles_known  # False: no text's look can be trusted
        self._marking = False  # inside a run of text that may or may not show
        self.lines: list[tuple[bool, str]] = []  # (quoted, text)
        self._current: list[str] = []
        self._skip_depth = 0
        self._stack: list[tuple[str, bool, Look]] = []  # (tag, opened a quote, its look)
        self._quote_depth = 0
        self._rest_quoted = False  # Outlook: everything after the marker is history
        self._line_quoted = False

    # -- helpers -------------------------------------------------------------
    def _look(self) -> Look:
        return self._stack[-1][2] if self._stack else _PAGE

    def _quoted_now(self) -> bool:
        return self._rest_quoted or self._quote_depth > 0

    def _newline(self) -> None:
        if self._marking:
            self._current.append(UNCLEAR_CLOSE)
            self._marking = False
        text = "".join(self._current)
        text = re.sub(r"[ \t\r\n\f\v\u00a0]+", " ", text)
        text = re.sub(r"( +)⟧", r"⟧\1", text).strip()
        if text or (self.lines and self.lines[-1][1]):
            self.lines.append((self._line_quoted or self._quoted_now(), text))
        self._current = []
        self._line_quoted = False

    # -- HTMLParser hooks ----------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
            return
        if tag in _BLOCK or tag == "br":
            self._newline()
        attr = {k.lower(): (v or "") for k, v in attrs}
        classes = set(attr.get("class", "").lower().split())
        element_id = attr.get("id", "").lower()
        if element_id in _QUOTE_IDS:
            self._rest_quoted = True
        opens_quote = tag == "blockquote" or bool(classes & _QUOTE_CLASSES)
        if tag not in _VOID:
            self._stack.append((tag, opens_quote, child_look(self._look(), tag, attr)))
            if opens_quote:
                self._quote_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in _BLOCK:
            self._newline()
        # Pop up to the matching tag: real-world HTML often leaves tags unclosed.
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                for _, opened, _look in self._stack[index:]:
                    if opened:
                        self._quote_depth -= 1
                del self._stack[index:]
                break

    def handle_data(self, data: str) -> None:
        look = self._look()
        if self._skip_depth or not (look.shown or look.unclear or not self._styles_known):
            return
        if self._quoted_now():
            self._line_quoted = True
        if data.strip():
            unclear = look.unclear or not self._styles_known
            if unclear != self._marking:
                self._current.append(UNCLEAR_OPEN if unclear else UNCLEAR_CLOSE)
                self._marking = unclear
        self._current.append(data.translate(_FORGED))

    def close(self) -> None:
        super().close()
        self._newline()


def html_to_text(html: str) -> str:
    """Render HTML as plain lines; quoted history comes out as "> " lines.

    Only the first HTML_CAP characters are rendered. Text that may or may not show
    comes out between UNCLEAR_OPEN and UNCLEAR_CLOSE.

    Never raises on malformed markup: html.parser is lenient, and anything it
    still trips over yields the text collected so far.
    """
    styled = apply_stylesheets(html[:HTML_CAP])
    builder = _TextBuilder(styled.resolved)
    try:
        builder.feed(styled.html)
        builder.close()
    except Exception:  # noqa: BLE001 - malformed markup must not stop reading the mail
        builder._newline()
    out: list[str] = []
    for quoted, text in builder.lines:
        if quoted and text:
            out.append("> " + text)
        elif quoted:
            out.append(">")
        else:
            out.append(text)
    # Collapse runs of blank lines left by nested blocks.
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(out))
    return result.strip("\n")


def unmarked(text: str) -> str:
    """html_to_text's output with the marks around text that may not show taken off."""
    return _MARKED.sub(r"\1", text)

"""A mail's `<style>` rules applied to its elements, or word that they could not be.

White text is only hidden on a white page: `body{background:#000}` in a style
sheet, or `.x{display:none}` on a class, changes what a reader sees as much as
an inline style does. The cascade (selector matching, specificity, inline styles
and `!important`) is css_inline's, a maintained library, so that every element
comes out with the styles that apply to it written inline, where html_visibility
reads them. Remote style sheets are never loaded: reading stays off the network.

css_inline is a tool for writing mail, not a browser, so it is only trusted with
what it agrees with browsers on. Where it would differ, what shows cannot be
known and the caller is told so (`resolved=False`) rather than handed a guess:
a sheet linked from elsewhere or imported, `@media` and other conditional rules
(applied by some screens, not others), selectors it does not apply (`:is()`,
`:lang()`, pseudo-elements such as `::before`, which can add text), nested
rules, escapes in selectors, a `<style>` for another medium or type, its own
`data-css-inline` switch (which would make it skip rules a browser applies), a
sheet it fails on, and a page whose styling would cost more than the budget.

Cost: the page is parsed and written twice by css_inline (linear); the sheets
are scanned once by hand, since a regular expression over a hostile string can
take quadratic time; matching costs rules × elements, and the inlined page can
grow by the rules' declarations × elements, so both products are capped before
inlining.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import css_inline

CSS_CAP = 100_000  # characters of style sheets; a reply's own are a few thousand
RULE_BUDGET = 5_000_000  # rules × elements: about half a second of matching
SIZE_BUDGET = 40_000_000  # declared characters × elements: the most the page can grow by
OUTPUT_CAP = 1_024_000  # characters of inlined page rendered: twice html_text.HTML_CAP


@dataclass(frozen=True)
class Styled:
    """The page with its style rules inlined; `resolved` False when that was not possible."""

    html: str
    resolved: bool


_NORMALISE = css_inline.CSSInliner(
    inline_style_tags=False,
    keep_style_tags=True,
    keep_link_tags=True,
    load_remote_stylesheets=False,
)
# The page as css_inline writes it back: tags and attributes in one canonical shape.
_OPEN = re.compile(r'<([a-zA-Z][^\s/>]*)((?: [^\s"\'>/=]+(?:="[^"]*")?)*)\s*/?>')
_ATTR = re.compile(r' ([^\s"\'>/=]+)(?:="([^"]*)")?')
_RAW_TEXT = frozenset({"style", "script", "xmp", "iframe", "noembed", "noframes", "plaintext"})
# Where a <style> is inert in a browser (template) or read by other rules (SVG, MathML).
_INERT = frozenset({"template", "svg", "math"})
_AT_RULES_KEPT = frozenset({"font-face", "page", "list", "charset", "namespace"})
# Pseudo-classes css_inline applies as browsers do, or that match nothing at rest.
_PSEUDO_AGREED = frozenset(
    {
        "not", "has", "nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type",
        "first-child", "last-child", "only-child", "first-of-type", "last-of-type",
        "only-of-type", "empty", "root", "hover", "active", "focus", "focus-within",
        "focus-visible", "visited", "target", "link", "any-link",
    }
)  # fmt: skip
# Pseudo-elements that never carry or hide the text of the page.
_PSEUDO_ELEMENTS_QUIET = frozenset(
    {"selection", "-moz-selection", "placeholder", "-webkit-input-placeholder", "marker"}
)
_PSEUDO = re.compile(r"(::?)([-a-z0-9_]+)")
_NTH_OF = re.compile(r":nth-(?:last-)?child\([^)]*\bof\b")


def apply_stylesheets(markup: str) -> Styled:
    """The page with its `<style>` rules written into each element's `style` attribute."""
    lowered = markup.lower()
    if "<style" not in lowered and "<link" not in lowered:
        return Styled(markup, True)
    try:
        page = _NORMALISE.inline(markup)
        css = _sheets(page)
        if css is None or len(css) > CSS_CAP:
            return Styled(markup, False)
        vetted = _vetted(css)
        if vetted is None:
            return Styled(markup, False)
        code, declared = vetted
        elements = page.count("<")
        if code.count("{") * elements > RULE_BUDGET or declared * elements > SIZE_BUDGET:
            return Styled(markup, False)
        if not code.strip():
            return Styled(page, True)
        inliner = css_inline.CSSInliner(
            inline_style_tags=False,
            keep_style_tags=True,
            keep_link_tags=True,
            load_remote_stylesheets=False,
            extra_css=code,
        )
        styled = inliner.inline(page)
    except Exception:  # noqa: BLE001 - a page css_inline cannot style is read as unresolved
        return Styled(markup, False)
    return Styled(styled, True) if len(styled) <= OUTPUT_CAP else Styled(markup, False)


def _sheets(page: str) -> str | None:
    """The text of every `<style>` a browser applies on screen, or None if one is unknowable.

    The page is css_inline's own writing, so markup has one shape: text holds no
    "<", attribute values are double-quoted, comments and raw-text elements are
    whole. Walking it tag by tag finds exactly the style elements, never one
    written inside a comment, an attribute value or a script.
    """
    found: list[str] = []
    position = 0
    while True:
        start = page.find("<", position)
        if start < 0:
            return "\n".join(found)
        if (
            page.startswith("<!--", start)
            or page.startswith("</", start)
            or page.startswith("<!", start)
        ):
            close = "-->" if page.startswith("<!--", start) else ">"
            end = page.find(close, start + 2)
            if end < 0:
                return "\n".join(found)
            position = end + len(close)
            continue
        tag = _OPEN.match(page, start)
        if tag is None:
            position = start + 1
            continue
        name = tag.group(1).lower()
        attrs = {k.lower(): v or "" for k, v in _ATTR.findall(tag.group(2))}
        if "data-css-inline" in attrs or name in _INERT:
            return None
        if name == "link" and "stylesheet" in attrs.get("rel", "").lower():
            return None
        if name == "style" and not _screen_css(attrs):
            return None
        position = tag.end()
        if name in _RAW_TEXT:
            end = page.find(f"</{name}>", position)
            if end < 0:
                return None if name == "style" else "\n".join(found)
            if name == "style":
                found.append(page[position:end])
            position = end


def _screen_css(attrs: dict[str, str]) -> bool:
    """Whether a `<style>` element's sheet is CSS that applies on a screen."""
    kind = html.unescape(attrs.get("type", "")).strip().lower()
    media = html.unescape(attrs.get("media", "")).strip().lower()
    return kind in ("", "text/css") and media in ("", "all", "screen")


def _vetted(css: str) -> tuple[str, int] | None:
    """The sheets without comments, and how many characters of them are declarations
    that can be written into elements (font faces and page rules cannot), or None if
    they hold what css_inline cannot apply.

    One pass over the text from one character that matters to the next: comments
    dropped, strings kept as written and left out of the checks, each rule's
    selector (its prelude) checked when its block opens.
    """
    sheet = _Sheet(css)
    found = _MATTERS.search(css)
    while found is not None:
        at = _STEPS[found.group()](sheet, found.start())
        if at is None:
            return None
        found = _MATTERS.search(css, at)
    return sheet.finish()


# The characters the scan stops at; everything between them is copied as it stands.
_MATTERS = re.compile(r"/\*|[\"'\\{};]")


@dataclass
class _Sheet:
    """The scan's state: what is kept so far, the open blocks and the current prelude."""

    css: str
    out: list[str] = field(default_factory=list)
    prelude: list[str] = field(default_factory=list)  # top-level prelude, strings left out
    blocks: list[bool] = field(default_factory=list)  # per open block: a style rule's?
    declared: int = 0  # characters inside style rules' blocks
    opened: int = 0  # where the open style rule's block began
    plain_start: int = 0

    def flush(self, end: int) -> None:
        chunk = self.css[self.plain_start : end]
        if not self.blocks:
            self.prelude.append(chunk)
        self.out.append(chunk)

    def comment(self, i: int) -> int:
        self.flush(i)
        close = self.css.find("*/", i + 2)
        self.plain_start = len(self.css) if close < 0 else close + 2
        self.out.append(" ")
        return self.plain_start

    def string(self, i: int) -> int:
        self.flush(i)
        css, quote, j = self.css, self.css[i], i + 1
        while j < len(css) and css[j] not in (quote, "\n"):
            j += 2 if css[j] == "\\" else 1
        self.out.append(css[i : j + 1])
        self.plain_start = min(len(css), j + 1)
        return self.plain_start

    def open_block(self, i: int) -> int | None:
        self.flush(i)
        if self.blocks and self.blocks[-1]:
            return None  # a rule nested in a rule
        prelude = "".join(self.prelude)
        if not self.blocks and not _prelude_agreed(prelude):
            return None
        at_rule = prelude.replace("<!--", "").replace("-->", "").strip()
        self.blocks.append(not self.blocks and not at_rule.startswith("@"))
        self.opened = i
        return self._keep(i)

    def end_statement(self, i: int) -> int | None:
        self.flush(i)
        if self.css[i] == "}" and self.blocks:
            self.declared += i - self.opened if self.blocks.pop() else 0
        elif not self.blocks and not _prelude_agreed("".join(self.prelude)):
            return None  # a statement such as @import
        return self._keep(i)

    def _keep(self, i: int) -> int:
        if not self.blocks:
            self.prelude.clear()
        self.out.append(self.css[i])
        self.plain_start = i + 1
        return self.plain_start

    def finish(self) -> tuple[str, int] | None:
        self.flush(len(self.css))
        if self.blocks and self.blocks[-1]:
            self.declared += len(self.css) - self.opened  # an open block still applies
        if not _prelude_agreed("".join(self.prelude)):
            return None
        return "".join(self.out), self.declared


def _escaped(_sheet: _Sheet, _i: int) -> None:
    return None  # an escaped name may spell a rule css_inline reads otherwise


_STEPS: dict[str, Callable[[_Sheet, int], int | None]] = {
    "/*": _Sheet.comment,
    '"': _Sheet.string,
    "'": _Sheet.string,
    "\\": _escaped,
    "{": _Sheet.open_block,
    "}": _Sheet.end_statement,
    ";": _Sheet.end_statement,
}


def _prelude_agreed(prelude: str) -> bool:
    """Whether css_inline applies a top-level prelude as a browser would."""
    text = prelude.replace("<!--", " ").replace("-->", " ").strip().lower()
    if not text:
        return True
    if text.startswith("@"):
        name = re.match(r"@([-a-z0-9_]*)", text)
        return name is not None and name.group(1) in _AT_RULES_KEPT
    if _NTH_OF.search(text):
        return False
    for colons, name in _PSEUDO.findall(text):
        if colons == "::" or name in ("before", "after", "first-line", "first-letter"):
            if name not in _PSEUDO_ELEMENTS_QUIET:
                return False
        elif name not in _PSEUDO_AGREED:
            return False
    return True

"""Whether an HTML element's text is something a mail client shows, hides, or may show.

A reply can carry text no reader ever sees: `display:none`, white text on a
white page, a zero font size, Outlook's `mso-hide:all`. A decision must only be
read from what the person who approves actually saw, so the HTML-to-text step
asks this module, element by element, what becomes of the text. Colours are
inherited down the tree like a browser does, and so is the colour under the
text: a `bgcolor` on a table cell, a `background` in a style, the page's own.

Some text can be neither kept nor dropped honestly. Over a picture
(`background-image`, `background="…"`) its contrast depends on pixels that are
not in the mail; over or in a colour that cannot be worked out (`var(--x)`, an
unknown name, a colour with partial alpha over such a one) it depends on the
client. Such a look is `unclear`; html_text marks its text so that a decision
resting on it is asked back (see html_text for how).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailflow.mail.html_colors import (
    BLACK,
    LINK_BLUE,
    TRANSPARENT,
    WHITE,
    Rgb,
    Rgba,
    attribute_color,
    css_color,
    over,
)

_STYLING = frozenset({"style", "color", "bgcolor", "background", "hidden", "link", "text"})
# Elements whose `bgcolor` / `background` attributes browsers paint.
_PAINTED = frozenset({"body", "table", "thead", "tbody", "tfoot", "tr", "td", "th"})
# Words of the `background` shorthand that are not its colour or its picture.
_BG_WORDS = frozenset(
    {
        "repeat", "repeat-x", "repeat-y", "no-repeat", "space", "round", "scroll", "fixed",
        "local", "top", "bottom", "left", "right", "center", "border-box", "padding-box",
        "content-box", "auto", "cover", "contain", "none",
    }
)  # fmt: skip
_RESET = frozenset({"transparent", "initial", "unset", "revert", "revert-layer", "none", ""})
_CLOSE = 24  # per channel: colours this close cannot be told apart on screen
_FAR_OFF = -500.0  # px: text pushed this far off the page is not seen


@dataclass(frozen=True)
class Look:
    """What an element inherits from its parents, and what becomes of its text."""

    hidden: bool = False  # hidden by structure or style; no descendant shows again
    color: Rgba | None = BLACK  # None: cannot be worked out
    background: Rgb | None = WHITE  # the opaque colour under the text; None: a picture or unknown
    link: Rgba | None = LINK_BLUE  # the page's colour for links (`<body link>`)
    # seen: not hidden, and not coloured like what lies under it
    shown: bool = field(init=False)
    # may or may not be seen: the colour or what lies under it cannot be worked out
    unclear: bool = field(init=False)

    def __post_init__(self) -> None:
        color, background = self.color, self.background
        shown = unclear = False
        if self.hidden or (color is not None and color[3] == 0):
            pass
        elif color is None or background is None:
            unclear = True
        else:
            shown = not _same(over(color, background), background)
        object.__setattr__(self, "shown", shown)
        object.__setattr__(self, "unclear", unclear)


def child_look(parent: Look, tag: str, attrs: dict[str, str]) -> Look:
    """The look of an element, given its parent's and its own attributes."""
    if parent.hidden:
        return parent
    if not (attrs.keys() & _STYLING) and tag not in ("input", "a"):
        return parent
    if "hidden" in attrs or (tag == "input" and attrs.get("type", "").lower() == "hidden"):
        return Look(True, parent.color, parent.background, parent.link)
    declarations = _declarations(attrs.get("style", ""))
    style = dict(declarations)
    color, link = parent.color, parent.link
    if tag == "body" and "link" in attrs:
        link = attribute_color(attrs["link"])
    if tag == "body" and "text" in attrs:
        color = attribute_color(attrs["text"])
    if tag == "a" and "href" in attrs:
        color = link
    if tag == "font" and "color" in attrs:
        color = attribute_color(attrs["color"])
    own: Rgba | None = TRANSPARENT  # the element's own background colour; None: unknown
    picture = False
    if tag in _PAINTED:
        if attrs.get("bgcolor", "").strip():
            own = attribute_color(attrs["bgcolor"])
        picture = bool(attrs.get("background", "").strip())
    for name, value in declarations:
        if name == "color":
            color = _text_color(value, parent.color)
        elif name == "background-color":
            own = _background_color(value, color)
        elif name == "background-image":
            picture = value not in _RESET
        elif name == "background":
            own, picture = _shorthand(value, color)
    if _painted_text(style, color):
        color = None
    return Look(_hides(style), color, _under(own, picture, parent.background), link)


def _text_color(value: str, inherited: Rgba | None) -> Rgba | None:
    if value in ("inherit", "currentcolor", "unset", "revert", "revert-layer"):
        return inherited
    return BLACK if value == "initial" else css_color(value)


def _background_color(value: str, color: Rgba | None) -> Rgba | None:
    if value in _RESET:
        return TRANSPARENT
    return color if value == "currentcolor" else css_color(value)


def _shorthand(value: str, color: Rgba | None) -> tuple[Rgba | None, bool]:
    """`background: …` as (its colour, whether it paints a picture or something unknown)."""
    if value in _RESET:
        return TRANSPARENT, False
    own: Rgba | None = TRANSPARENT
    for token in re.findall(r"[\w#.%+-]+\([^()]*\)|[^\s,/]+", value):
        if "(" in token and not token.startswith(("rgb", "hsl")):
            return None, True  # url(), a gradient, var(), calc(): not a colour we can know
        if token in _BG_WORDS or re.fullmatch(r"[+-]?[\d.]+[a-z%]*", token):
            continue
        own = _background_color(token, color)
        if own is None:
            return None, False
    return own, False


def _under(own: Rgba | None, picture: bool, backdrop: Rgb | None) -> Rgb | None:
    """The colour under an element's text: its own background over its parent's."""
    if picture or own is None:
        return None
    if own[3] >= 1:
        return own[:3]
    if own[3] <= 0 or backdrop is None:
        return backdrop if own[3] <= 0 else None
    return over(own, backdrop)


def _painted_text(style: dict[str, str], color: Rgba | None) -> bool:
    """WebKit's text fill or a background clipped to the text: Apple Mail shows another colour."""
    fill = style.get("-webkit-text-fill-color")
    if fill is not None and fill not in ("currentcolor", "inherit") and css_color(fill) != color:
        return True
    clips = (style.get("background-clip", ""), style.get("-webkit-background-clip", ""))
    return any("text" in clip for clip in clips)


def _hides(style: dict[str, str]) -> bool:
    if style.get("display") == "none" or style.get("visibility") in ("hidden", "collapse"):
        return True
    if style.get("mso-hide") == "all":
        return True
    if _number(style.get("opacity", "1"), 1.0) < 0.1:
        return True
    if "font-size" in style and _tiny(style["font-size"]):
        return True
    overflow_hidden = style.get("overflow") == "hidden"
    if overflow_hidden and any(_number(style.get(k, "1"), 1.0) <= 0 for k in
                               ("max-height", "height", "max-width", "width")):  # fmt: skip
        return True
    if _number(style.get("text-indent", "0"), 0.0) <= _FAR_OFF:
        return True
    positioned = style.get("position") in ("absolute", "fixed")
    return positioned and any(
        _number(style.get(k, "0"), 0.0) <= _FAR_OFF for k in ("left", "top", "right")
    )


def _declarations(text: str) -> list[tuple[str, str]]:
    """A style attribute's declarations in order (the later of two wins), values lower-case."""
    out: list[tuple[str, str]] = []
    for declaration in text.split(";"):
        name, colon, value = declaration.partition(":")
        if colon:
            value = value.replace("!important", "").strip().lower()
            out.append((name.strip().lower(), value))
    return out


def _number(value: str, default: float) -> float:
    match = re.match(r"\s*(-?\d*\.?\d+)", value)
    return float(match.group(1)) if match else default


def _tiny(value: str) -> bool:
    """A font size nobody can read: zero, or at most 1px / 1pt."""
    match = re.match(r"\s*(-?\d*\.?\d+)\s*([a-z%]*)", value)
    if not match:
        return False
    size, unit = float(match.group(1)), match.group(2)
    if size <= 0:
        return True
    return unit in ("px", "pt", "") and size <= 1


def _same(color: Rgb, background: Rgb) -> bool:
    return all(abs(a - b) <= _CLOSE for a, b in zip(color, background, strict=True))

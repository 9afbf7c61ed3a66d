"""Whether an HTML element's text is something a mail client would show.

A reply can carry text no reader ever sees: `display:none`, white text on a
white page, a zero font size, Outlook's `mso-hide:all`. A decision must only be
read from what the person who approves actually saw, so the HTML-to-text step
asks this module, element by element, whether to keep the text. Colours are
inherited down the tree like a browser does, so white text is hidden on a white
background and shown on a dark one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Color = tuple[int, int, int]

WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
_NAMED: dict[str, Color] = {
    "white": WHITE, "black": BLACK, "red": (255, 0, 0), "green": (0, 128, 0),
    "blue": (0, 0, 255), "gray": (128, 128, 128), "grey": (128, 128, 128),
    "silver": (192, 192, 192), "yellow": (255, 255, 0), "snow": (255, 250, 250),
    "ivory": (255, 255, 240), "whitesmoke": (245, 245, 245), "ghostwhite": (248, 248, 255),
    "navy": (0, 0, 128), "maroon": (128, 0, 0), "orange": (255, 165, 0),
}  # fmt: skip
_STYLING = frozenset({"style", "color", "bgcolor", "hidden"})
_CLOSE = 24  # per channel: colours this close cannot be told apart on screen
_FAR_OFF = -500.0  # px: text pushed this far off the page is not seen


@dataclass(frozen=True)
class Look:
    """What an element inherits from its parents: hidden or not, text and page colour."""

    hidden: bool = False  # hidden by structure or style; no descendant shows again
    color: Color | None = BLACK  # None: transparent
    background: Color | None = WHITE
    # whether text here is seen: not hidden, and not coloured like its page
    shown: bool = field(init=False)

    def __post_init__(self) -> None:
        seen = not self.hidden and self.color is not None
        object.__setattr__(self, "shown", seen and not _same(self.color, self.background))


def child_look(parent: Look, tag: str, attrs: dict[str, str]) -> Look:
    """The look of an element, given its parent's and its own attributes."""
    if not parent.hidden and not (attrs.keys() & _STYLING) and tag != "input":
        return parent
    if parent.hidden or "hidden" in attrs or (tag == "input" and attrs.get("type") == "hidden"):
        return Look(True, parent.color, parent.background)
    style = _style(attrs.get("style", ""))
    color, background = parent.color, parent.background
    if "color" in attrs:
        color = parse_color(attrs["color"]) or color
    if "bgcolor" in attrs:
        background = parse_color(attrs["bgcolor"]) or background
    if "color" in style:
        color = _transparent_or(style["color"], color)
    for key in ("background-color", "background"):
        if key in style:
            background = _first_color(style[key]) or background
    return Look(_hides(style), color, background)


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


def _style(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for declaration in text.split(";"):
        name, colon, value = declaration.partition(":")
        if colon:
            value = value.replace("!important", "").strip().lower()
            out[name.strip().lower()] = value
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


def _transparent_or(value: str, fallback: Color | None) -> Color | None:
    if value.startswith("transparent") or re.match(r"rgba\([^)]*,\s*0(\.0+)?\s*\)", value):
        return None
    return parse_color(value) or fallback


def _first_color(value: str) -> Color | None:
    for part in re.findall(r"#[0-9a-f]{3,8}|rgba?\([^)]*\)|[a-z]+", value):
        color = parse_color(part)
        if color is not None:
            return color
    return None


def parse_color(value: str) -> Color | None:
    """#rgb, #rrggbb, rgb(r, g, b) or a common colour name; None when unknown."""
    value = value.strip().lower()
    if value in _NAMED:
        return _NAMED[value]
    hex_match = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})(?:[0-9a-f]{2})?", value)
    if hex_match:
        digits = hex_match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    rgb = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,[^)]*)?\)", value)
    if rgb:
        r, g, b = (min(255, int(x)) for x in rgb.groups())
        return (r, g, b)
    return None


def _same(color: Color | None, background: Color | None) -> bool:
    if color is None or background is None:
        return False
    return all(abs(a - b) <= _CLOSE for a, b in zip(color, background, strict=True))

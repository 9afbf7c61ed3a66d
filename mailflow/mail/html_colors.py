"""CSS and HTML colour values → red, green, blue and alpha, or None when not knowable.

Deciding whether text shows needs its colour and the colour under it. A value
this module cannot turn into a colour is reported as None rather than guessed:
`var(--x)` depends on rules elsewhere, `lab()` or `color-mix()` on a client's
support, a hashless "ffffff" in CSS on whether the page is read in quirks mode,
and an unknown word in a `color` attribute on the HTML legacy algorithm that
makes "chucknorris" red. The named colours are CSS's closed list of 148.
"""

from __future__ import annotations

import colorsys
import re

Rgba = tuple[int, int, int, float]
Rgb = tuple[int, int, int]

TRANSPARENT: Rgba = (0, 0, 0, 0.0)
BLACK: Rgba = (0, 0, 0, 1.0)
WHITE: Rgb = (255, 255, 255)
LINK_BLUE: Rgba = (0, 0, 238, 1.0)  # the unvisited-link colour every browser starts from

_NAME_TABLE = """
aliceblue f0f8ff antiquewhite faebd7 aqua 00ffff aquamarine 7fffd4 azure f0ffff
beige f5f5dc bisque ffe4c4 black 000000 blanchedalmond ffebcd blue 0000ff
blueviolet 8a2be2 brown a52a2a burlywood deb887 cadetblue 5f9ea0 chartreuse 7fff00
chocolate d2691e coral ff7f50 cornflowerblue 6495ed cornsilk fff8dc crimson dc143c
cyan 00ffff darkblue 00008b darkcyan 008b8b darkgoldenrod b8860b darkgray a9a9a9
darkgreen 006400 darkgrey a9a9a9 darkkhaki bdb76b darkmagenta 8b008b
darkolivegreen 556b2f darkorange ff8c00 darkorchid 9932cc darkred 8b0000
darksalmon e9967a darkseagreen 8fbc8f darkslateblue 483d8b darkslategray 2f4f4f
darkslategrey 2f4f4f darkturquoise 00ced1 darkviolet 9400d3 deeppink ff1493
deepskyblue 00bfff dimgray 696969 dimgrey 696969 dodgerblue 1e90ff firebrick b22222
floralwhite fffaf0 forestgreen 228b22 fuchsia ff00ff gainsboro dcdcdc
ghostwhite f8f8ff gold ffd700 goldenrod daa520 gray 808080 green 008000
greenyellow adff2f grey 808080 honeydew f0fff0 hotpink ff69b4 indianred cd5c5c
indigo 4b0082 ivory fffff0 khaki f0e68c lavender e6e6fa lavenderblush fff0f5
lawngreen 7cfc00 lemonchiffon fffacd lightblue add8e6 lightcoral f08080
lightcyan e0ffff lightgoldenrodyellow fafad2 lightgray d3d3d3 lightgreen 90ee90
lightgrey d3d3d3 lightpink ffb6c1 lightsalmon ffa07a lightseagreen 20b2aa
lightskyblue 87cefa lightslategray 778899 lightslategrey 778899 lightsteelblue b0c4de
lightyellow ffffe0 lime 00ff00 limegreen 32cd32 linen faf0e6 magenta ff00ff
maroon 800000 mediumaquamarine 66cdaa mediumblue 0000cd mediumorchid ba55d3
mediumpurple 9370db mediumseagreen 3cb371 mediumslateblue 7b68ee
mediumspringgreen 00fa9a mediumturquoise 48d1cc mediumvioletred c71585
midnightblue 191970 mintcream f5fffa mistyrose ffe4e1 moccasin ffe4b5
navajowhite ffdead navy 000080 oldlace fdf5e6 olive 808000 olivedrab 6b8e23
orange ffa500 orangered ff4500 orchid da70d6 palegoldenrod eee8aa palegreen 98fb98
paleturquoise afeeee palevioletred db7093 papayawhip ffefd5 peachpuff ffdab9
peru cd853f pink ffc0cb plum dda0dd powderblue b0e0e6 purple 800080
rebeccapurple 663399 red ff0000 rosybrown bc8f8f royalblue 4169e1 saddlebrown 8b4513
salmon fa8072 sandybrown f4a460 seagreen 2e8b57 seashell fff5ee sienna a0522d
silver c0c0c0 skyblue 87ceeb slateblue 6a5acd slategray 708090 slategrey 708090
snow fffafa springgreen 00ff7f steelblue 4682b4 tan d2b48c teal 008080
thistle d8bfd8 tomato ff6347 turquoise 40e0d0 violet ee82ee wheat f5deb3
white ffffff whitesmoke f5f5f5 yellow ffff00 yellowgreen 9acd32
"""
_NAMES = _NAME_TABLE.split()
NAMED: dict[str, Rgba] = {
    name: (int(hex6[0:2], 16), int(hex6[2:4], 16), int(hex6[4:6], 16), 1.0)
    for name, hex6 in zip(_NAMES[::2], _NAMES[1::2], strict=True)
}
# System colours that Word and Outlook write into every mail ("color:windowtext"),
# taken as the light theme the page itself is assumed to have.
_SYSTEM: dict[str, Rgba] = {
    "windowtext": BLACK, "canvastext": BLACK, "buttontext": BLACK, "fieldtext": BLACK,
    "window": (255, 255, 255, 1.0), "canvas": (255, 255, 255, 1.0),
    "field": (255, 255, 255, 1.0), "linktext": LINK_BLUE,
}  # fmt: skip

_HEX = re.compile(r"#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})")
_FUNCTION = re.compile(r"(rgba?|hsla?)\(([^()]*)\)")
_NUMBER = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)(%|deg|turn|rad|grad)?")


def css_color(value: str) -> Rgba | None:
    """A CSS colour value as RGBA; "transparent" has alpha 0; None when not knowable."""
    value = value.strip().lower()
    if value == "transparent":
        return TRANSPARENT
    named = NAMED.get(value) or _SYSTEM.get(value)
    if named is not None:
        return named
    hex_match = _HEX.fullmatch(value)
    if hex_match:
        return _hex(hex_match.group(1))
    function = _FUNCTION.fullmatch(value)
    return _function(function.group(1), function.group(2)) if function else None


def attribute_color(value: str) -> Rgba | None:
    """A `bgcolor` / `color` attribute: the forms every client reads alike, else None."""
    value = value.strip().lower()
    if value in NAMED:
        return NAMED[value]
    if re.fullmatch(r"[0-9a-f]{6}", value):  # the legacy algorithm reads these exactly
        value = "#" + value
    hex_match = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", value)
    return _hex(hex_match.group(1)) if hex_match else None


def over(top: Rgba, below: Rgb) -> Rgb:
    """`top` painted over the opaque colour `below`."""
    alpha = top[3]
    r, g, b = (round(alpha * t + (1 - alpha) * u) for t, u in zip(top[:3], below, strict=True))
    return (r, g, b)


def _hex(digits: str) -> Rgba:
    if len(digits) <= 4:
        digits = "".join(c * 2 for c in digits)
    alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha)


def _function(name: str, inside: str) -> Rgba | None:
    """rgb()/rgba()/hsl()/hsla() in the comma and the space-and-slash syntax."""
    parts = [p for p in re.split(r"[\s,/]+", inside.strip()) if p]
    if len(parts) not in (3, 4):
        return None
    matches = [_NUMBER.fullmatch(p) for p in parts]
    if not all(matches):
        return None
    numbers = [(float(m.group(1)), m.group(2) or "") for m in matches if m]
    alpha = 1.0
    if len(numbers) == 4:
        number, unit = numbers[3]
        alpha = number / 100 if unit == "%" else number
    alpha = min(1.0, max(0.0, alpha))
    if name.startswith("rgb"):
        channels = [n * 2.55 if unit == "%" else n for n, unit in numbers[:3]]
        r, g, b = (round(min(255.0, max(0.0, c))) for c in channels)
        return (r, g, b, alpha)
    (hue, hue_unit), (sat, _), (light, _) = numbers[:3]
    turns = {"turn": 1.0, "rad": 1 / 6.283185307179586, "grad": 1 / 400}.get(hue_unit, 1 / 360)
    red, green, blue = colorsys.hls_to_rgb(
        (hue * turns) % 1.0, min(1.0, max(0.0, light / 100)), min(1.0, max(0.0, sat / 100))
    )
    return (round(red * 255), round(green * 255), round(blue * 255), alpha)

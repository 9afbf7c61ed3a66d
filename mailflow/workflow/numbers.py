"""Numbers as an account writes them: read whole with babel, or asked back with the readings.

An account's number format ("1,234.56" or "1.234,56") settles which mark groups thousands
and which one starts the decimals. babel's strict parser does the locale work (it refuses
"4.800,00" under 1,234.56 instead of reading 4.80); this module adds only what a figure
in a business reply needs on top: plain digits and the two marks, nothing else, and a
question back whenever a careful person could read the text two ways.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from decimal import Decimal

# babel is imported where a number is read or shown: the configuration imports this module
# for its number formats, and most commands read or show no figure.

DEFAULT_FORMAT = "1,234.56"
# The account setting → the babel locale whose marks it describes.
NUMBER_FORMATS = {"1,234.56": "en_US", "1.234,56": "de_DE"}
_MARKS = {"1,234.56": (",", "."), "1.234,56": (".", ",")}  # (group, decimal)
_MAX_CHARS = 24


class FigureError(ValueError):
    """A figure that cannot be recorded; the text says why and what to write instead.

    `readings` are the values a careful person could take the text to mean (each already
    shown as a person reads it); with readings the sender is asked which one they meant.
    `values` are those readings as numbers, for a caller that shows them with a unit.
    """

    def __init__(
        self, message: str, readings: Sequence[str] = (), values: Sequence[Decimal] = ()
    ) -> None:
        super().__init__(message)
        self.readings = tuple(readings)
        self.values = tuple(values)


def marks(number_format: str) -> tuple[str, str]:
    """(thousands mark, decimal mark) of a number format."""
    return _MARKS[number_format]


def other_format(number_format: str) -> str:
    return next(f for f in NUMBER_FORMATS if f != number_format)


def read_number(text: str, number_format: str = DEFAULT_FORMAT) -> Decimal:
    """The value of digits written with the account's marks, or FigureError.

    Only ASCII digits, "," and "." are read: signs, exponents ("1e309"), spaces inside the
    number, letters ("4,8OO") and other scripts' digits are refused, never skipped.
    """
    if not text or len(text) > _MAX_CHARS:
        raise FigureError(f"{text!r} is not a number" if text else "no number was given")
    if not all(c.isascii() and (c.isdigit() or c in ",.") for c in text):
        odd = "".join(dict.fromkeys(c for c in text if not (c.isascii() and c.isdigit())))
        odd = odd.replace(",", "").replace(".", "")
        raise FigureError(f"{text!r} is not a number: it contains {odd!r} among the digits")
    if not (text[0].isdigit() and text[-1].isdigit()):
        raise FigureError(f"{text!r} is not a number: it starts or ends with a mark")
    from babel.numbers import NumberFormatError, parse_decimal

    locale = NUMBER_FORMATS[number_format]
    try:
        value = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError as exc:
        readings = _readings(text, number_format, exc.suggestions or ())
        raise FigureError(
            f"{text!r} is not written the way this account writes numbers ({number_format})",
            [show_number(r, number_format) for r in readings],
            readings,
        ) from None
    _, decimal = marks(number_format)
    head, sep, tail = text.rpartition(decimal)
    if sep and len(tail) == 3 and len(head) <= 3 and text.count(decimal) == 1:
        # "4.800" under 1,234.56 is 4.8, but under 1.234,56 it is 4800: both are plausible.
        grouped = Decimal(head + tail)
        raise FigureError(
            f"{text!r} can be read two ways: the {decimal!r} may start the decimals "
            f"or group thousands",
            [show_number(value, number_format), show_number(grouped, number_format)],
            [value, grouped],
        )
    return value


def _readings(text: str, number_format: str, suggestions: Sequence[str]) -> list[Decimal]:
    """What the text means under the other format and what babel suggests, without repeats."""
    from babel.numbers import NumberFormatError, parse_decimal

    found: list[Decimal] = []
    other = other_format(number_format)
    with suppress(NumberFormatError):
        found.append(parse_decimal(text, locale=NUMBER_FORMATS[other], strict=True))
    for suggestion in suggestions:
        try:
            value = parse_decimal(suggestion, locale=NUMBER_FORMATS[number_format])
        except NumberFormatError:
            continue
        if value not in found:
            found.append(value)
    return found


def show_number(value: Decimal, number_format: str = DEFAULT_FORMAT, places: int = -1) -> str:
    """A number in the account's format; `places` fixes the decimals (money: 2)."""
    from babel.numbers import format_decimal

    decimals = "0" * places if places >= 0 else "###"
    pattern = f"#,##0.{decimals}" if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=NUMBER_FORMATS[number_format])

"""Money and quantities (effort in person-days): read whole or refused, and shown one way.

A figure line carries exactly one amount, at most a currency and a unit. Anything else on
the line ("+ VAT 20%", "about", a second amount) is refused with the reason rather than
skipped, and a form that could mean two values is asked back with both (FigureError).
`show_money` and `show_quantity` are the only way figures are written in mail, so the
acknowledgment, the requests and the command line all say a figure the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from mailflow.workflow.conventions import Conventions
from mailflow.workflow.numbers import FigureError, read_number, show_number

_SHORTHAND = {"k": Decimal(1000), "m": Decimal(1_000_000)}
_DAY_WORDS = ("day", "days", "person-day", "person-days", "person day", "person days", "pd")


@dataclass(frozen=True)
class Read:
    """A value as stored, and a note for the read-back when it was converted."""

    value: Any
    note: str = ""


@cache
def _symbols() -> dict[str, str]:
    """Currency sign → ISO code, from babel's English data ("$" → USD, "€" → EUR)."""
    from babel import Locale  # loaded by the commands that read a figure, not by every one

    out: dict[str, str] = {}
    for code, sign in Locale("en").currency_symbols.items():
        if sign != code and not sign.isalpha():
            out.setdefault(sign, code)
    return out


def _currency(token: str) -> str:
    """The ISO code a currency token names, or "" when it names none."""
    if len(token) == 3 and token.isascii() and token.isalpha() and token.upper() in _codes():
        return token.upper()
    return _symbols().get(token, "")


@cache
def _codes() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def _split(text: str) -> tuple[str, str, str]:
    """(what precedes the first digit, the unbroken run from it, what follows)."""
    start = next((i for i, c in enumerate(text) if c.isdigit()), -1)
    if start < 0:
        raise FigureError(f"{text!r} has no number in it")
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[:start].strip(), text[start:end], text[end:].strip()


def read_money(text: str, conv: Conventions) -> Read:
    """`USD 4,800`, `$4,800.00`, `4800`, `4,800 USD`; the account's currency only."""
    before, body, after = _split(text)
    if len(body) > 3 and _currency(body[-3:]) and not after:
        body, after = body[:-3], body[-3:]
    found = []
    for part in (before, after):
        if not part:
            continue
        code = _currency(part)
        if not code:
            raise FigureError(
                f"{text!r} has more than an amount in it ({part!r}); write one amount"
                + (f" in {conv.currency}" if conv.currency else "")
                + ", the total you mean, and nothing else on the line"
            )
        found.append(code)
    if len(set(found)) > 1:
        raise FigureError(f"{text!r} names two currencies ({' and '.join(found)})")
    currency = found[0] if found else conv.currency
    if conv.currency and currency != conv.currency:
        raise FigureError(
            f"{text!r} is in {currency}, but this account is billed in {conv.currency}; "
            f"write the amount in {conv.currency}"
        )
    multiplier = _SHORTHAND.get(body[-1].lower()) if body[-1].isalpha() else None
    if multiplier is not None:
        amount = read_number(body[:-1], conv.number_format) * multiplier
        shown = show_money({"amount": f"{amount:.2f}", "currency": currency}, conv)
        raise FigureError(
            f"{text!r} is shorthand, and an amount is recorded only as written out: "
            f"if you mean {shown}, write it so",
            [shown],
        )
    amount = _number(body, conv, lambda v: show_money({"amount": v, "currency": currency}, conv))
    if -amount.as_tuple().exponent > 2:  # type: ignore[operator]
        raise FigureError(f"{text!r} has more than two digits after the decimal mark")
    return Read({"amount": f"{amount:.2f}", "currency": currency})


def read_quantity(text: str, unit: str, conv: Conventions, whole: bool = False) -> Read:
    """A number, optionally followed by its unit; another unit only by a configured rule."""
    before, body, after = _split(text)
    if before:
        raise FigureError(f"{text!r} has words before the number ({before!r}); write the number")
    value = _number(body, conv, lambda v: show_quantity(v, unit, conv))
    if whole and value != value.to_integral_value():
        raise FigureError(f"{text!r} is not a whole number")
    word = after.lower().rstrip(".")
    if not word or word in _unit_words(unit):
        return Read(f"{value.normalize():f}" if not whole else str(int(value)))
    singular = word[:-1] if word.endswith("s") else word
    rule = next((worth for name, worth in conv.unit_rules if name in (word, singular)), None)
    if rule is None or not unit:
        what = f"counted in {unit}" if unit else "a plain number"
        raise FigureError(
            f"{text!r}: this is {what}, and {after!r} is not; write the number of "
            f"{unit or 'units'} (no conversion is configured for {after!r})"
        )
    converted = f"{(value * rule).normalize():f}"
    note = (
        f"{show_number(value, conv.number_format)} {after} × "
        f"{show_number(rule, conv.number_format)} {unit}"
    )
    return Read(converted, note)


def _number(text: str, conv: Conventions, shown: Callable[[Decimal], str]) -> Decimal:
    """read_number, with any readings shown as the field shows its values."""
    try:
        return read_number(text, conv.number_format)
    except FigureError as exc:
        if not exc.values:
            raise
        raise FigureError(str(exc), [shown(v) for v in exc.values], exc.values) from None


def _unit_words(unit: str) -> set[str]:
    unit = unit.lower()
    words = {unit, unit.rstrip("s"), unit.replace("-", " "), unit.replace("-", " ").rstrip("s")}
    if "day" in unit:
        words.update(_DAY_WORDS)
    return {w for w in words if w}


def show_money(value: Mapping[str, Any], conv: Conventions | None = None) -> str:
    """`USD 4,800.00`, in the account's number format."""
    fmt = (conv or Conventions()).number_format
    amount = show_number(Decimal(str(value.get("amount", "0"))), fmt, places=2)
    return f"{value.get('currency', '')} {amount}".strip()


def show_quantity(value: Any, unit: str, conv: Conventions | None = None) -> str:
    """`12 person-days`, `1.5 person-days` (`1,5` where the account writes decimals so)."""
    fmt = (conv or Conventions()).number_format
    try:
        number = show_number(Decimal(str(value)), fmt)
    except ArithmeticError:
        number = str(value)
    return f"{number} {unit}".strip()

"""Every regular expression in mailflow runs in linear time (DESIGN.md, invariant 8).

The scan collects each pattern the package can apply: the compiled patterns that its modules
hold at module level (whole or in a tuple, list or dict), and each literal pattern written
into a call of `re.compile`, `re.search`, `re.match` and friends. Each one goes through
regexploit's analysis (the one its `regexploit` command runs), made stricter:

- regexploit reports a run of overlapping repeats from three up (cubic time), because it
  takes quadratic time to be common and harmless. For a hostile mail of a megabyte it is not,
  so the first repeat of a run counts twice here and two overlapping repeats are reported.
- A pattern used with `search`, `findall`, `finditer`, `sub` or `split` is tried at every
  position of the text, which is one more repeat in front of it: `\\s+a` searched in a
  megabyte of spaces takes minutes. The scan puts that repeat in front of such a pattern,
  unless the pattern can only start at the start of the text (`\\A`, `^` without MULTILINE),
  and models the starts that a leading `^` under MULTILINE, `\\b` or a one-character
  lookbehind allow (after a newline, after a non-word character, after a character that is
  not the one excluded), as long as no repeat's run can hold such starts itself.
- `.` does not take a newline without DOTALL, a lookahead counts for what it demands, and
  a lazy repeat followed by a greedy one over some of the same characters is reported.

A finding fails the test with the file, the pattern and what regexploit found. ACCEPTED lists
the findings that are harmless and why; PENDING the real ones in modules being rewritten, with
the fix proposed for each.

Patterns built at run time from configuration (vocabulary words) are not module globals and
are not seen here; the timing tests in test_linear_reading.py cover them through the readers.
regexploit ignores IGNORECASE, so `[A-Z]+[a-z]+` under it looks disjoint to it.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import re._parser as sre_parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from regexploit.ast.at import EndOfString
from regexploit.ast.char import Character
from regexploit.ast.repeat import InfiniteRepeat
from regexploit.ast.sequence import Sequence
from regexploit.ast.sre import SreOpParser
from regexploit.redos import Redos, expand_branches, make_redos

import mailflow

PACKAGE = Path(mailflow.__file__).resolve().parent
ROOT = PACKAGE.parent

# Modules that are not imported for the scan (their literal patterns are still read).
NOT_IMPORTED = ("mailflow.__main__", "mailflow.store.migrations")

_SEARCHING = {"search", "findall", "finditer", "sub", "subn", "split"}
_ANCHORED = {"match", "fullmatch"}

# Accepted findings: (file relative to the repository, pattern) -> why it is harmless.
ACCEPTED: dict[tuple[str, str], str] = {
    ("mailflow/mail/html_text.py", r"( +)⟧"): (
        "runs right after every run of white space was collapsed to one space, so `( +)` "
        "never holds more than one character"
    ),
    ("mailflow/mail/html_visibility.py", r"[\w#.%+-]+\([^()]*\)|[^\s,/]+"): (
        "where the first alternative fails for want of `(`, the second takes the whole run "
        "and findall goes on after it: one retry per token"
    ),
}

# Quadratic patterns in modules being rewritten by their owners: each fails here as expected
# (xfail) until it is fixed, and its entry must then go. The fix proposed for each is given.
PENDING: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Pattern:
    where: str  # file relative to the repository, with a line or a module global's name
    file: str
    pattern: str
    flags: int
    searched: bool  # tried at every position, not only at the start of the text


def _flags(node: ast.expr | None) -> int | None:
    """The value of a constant flags expression such as `re.I | re.M`, or None."""
    if node is None:
        return 0
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "re"
        and isinstance(getattr(re, node.attr, None), int)
    ):
        return int(getattr(re, node.attr))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _flags(node.left), _flags(node.right)
        if left is not None and right is not None:
            return left | right
    return None


def _usage(tree: ast.Module) -> dict[str, set[str]]:
    """For each name, the pattern methods the module calls on it (`NAME.search(...)`)."""
    used: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if isinstance(target, ast.Name):
                used.setdefault(target.id, set()).add(node.func.attr)
    return used


def _searched(methods: set[str] | None) -> bool:
    """Whether a pattern called with these methods is tried at every position.

    A pattern whose use the module does not show (passed around, imported elsewhere) is
    taken to be searched, the costlier case.
    """
    return not methods or bool(methods - _ANCHORED)


def _defined(tree: ast.Module) -> set[str]:
    """Names a module assigns at its top level."""
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _from_source(path: Path) -> Iterator[Pattern]:
    """Literal patterns written into calls of the `re` module."""
    file = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text("utf-8"))
    used = _usage(tree)
    assigned: dict[int, str] = {}
    strings: dict[str, list[str]] = {}  # `pattern = r"..."`, then re.finditer(pattern, ...)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            if isinstance(node.value, ast.Call):
                assigned[id(node.value)] = node.targets[0].id
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                strings.setdefault(node.targets[0].id, []).append(node.value.value)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        func = node.func
        if not (isinstance(func.value, ast.Name) and func.value.id == "re"):
            continue
        if func.attr not in _SEARCHING | _ANCHORED | {"compile"} or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            texts = [first.value]
        elif isinstance(first, ast.Name) and first.id in strings:
            texts = strings[first.id]
        else:
            continue
        position = {"compile": 1, "sub": 4, "subn": 4, "split": 3}.get(func.attr, 2)
        flag_node = node.args[position] if len(node.args) > position else None
        for keyword in node.keywords:
            if keyword.arg == "flags":
                flag_node = keyword.value
        flags = _flags(flag_node)
        assert flags is not None, f"{file}:{node.lineno}: flags the scan cannot read"
        if func.attr == "compile":
            searched = _searched(used.get(assigned.get(id(node), "")))
        else:
            searched = func.attr in _SEARCHING
        for text in texts:
            yield Pattern(f"{file}:{node.lineno}", file, text, flags, searched)


def _from_modules() -> Iterator[Pattern]:
    """Compiled patterns held by the package's modules, including ones built at import."""
    names = [mailflow.__name__]
    for info in pkgutil.walk_packages(mailflow.__path__, mailflow.__name__ + "."):
        if not info.name.startswith(NOT_IMPORTED):
            names.append(info.name)
    for name in names:
        module = importlib.import_module(name)
        source = getattr(module, "__file__", None)
        if source is None:
            continue
        path = Path(source).resolve()
        file = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text("utf-8"))
        used = _usage(tree)
        defined = _defined(tree)
        for attr, value in vars(module).items():
            if attr not in defined:  # imported: scanned in the module that defines it
                continue
            members = value.values() if isinstance(value, dict) else value
            if not isinstance(members, (tuple, list)) and not isinstance(value, dict):
                members = [value]
            for member in members:
                if isinstance(member, re.Pattern) and isinstance(member.pattern, str):
                    yield Pattern(
                        f"{file}:{attr}",
                        file,
                        member.pattern,
                        member.flags,
                        _searched(used.get(attr)),
                    )


def collect() -> list[Pattern]:
    """Every pattern found, once per (file, pattern, flags); searched wins over anchored."""
    found: dict[tuple[str, str, int], Pattern] = {}
    sources = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)
    for item in [*_from_modules(), *(p for path in sources for p in _from_source(path))]:
        key = (item.file, item.pattern, item.flags & ~re.UNICODE)
        earlier = found.get(key)
        if earlier is None or (item.searched and not earlier.searched):
            found[key] = item
    return sorted(found.values(), key=lambda p: p.where)


class _Lazy(InfiniteRepeat):
    """A lazy repeat (`*?`, `+?`): it gives up characters forwards, one at a time."""


class _Parser(SreOpParser):  # type: ignore[misc]
    """regexploit's parser, closer to Python's engine where that matters for time.

    `.` does not take a newline unless DOTALL is set; a lookahead is read as what it
    demands of the next characters (regexploit drops it, so `[.!]+(?=\\s)` looked as if
    it always matched); lazy repeats are marked for `_lazy_findings`.
    """

    def __init__(self, flags: int = 0) -> None:
        super().__init__()
        self.dotall = bool(flags & re.DOTALL)

    def parse_sre(self, pattern: str, flags: int = 0) -> Any:
        self.dotall = bool((flags | sre_parse.parse(pattern, flags).state.flags) & re.DOTALL)
        return super().parse_sre(pattern, flags)

    def from_ANY(self, data: None) -> Any:
        anything = super().from_ANY(data)
        if self.dotall or anything is None:
            return anything
        return anything & Character(literals={ord("\n")}, positive=False)

    def from_ASSERT(self, data: tuple[int, list[Any]]) -> Any:
        direction, ops = data
        if direction != 1:
            return None
        self.ahead = True
        try:
            return self.sequence_or_singleton(ops)
        finally:
            self.ahead = False

    def from_AT(self, at: Any) -> Any:
        # `(?=\\s|$)`: the end of the text, like a line break, is not what came before.
        if getattr(self, "ahead", False) and at in (sre_parse.AT_END, sre_parse.AT_END_LINE):
            return Character.LITERAL(ord("\n"))
        return super().from_AT(at)

    def from_MIN_REPEAT(self, data: Any) -> Any:
        repeat = super().from_MAX_REPEAT(data)
        if type(repeat) is InfiniteRepeat:
            return _Lazy(repeat.repeat, repeat.minimum_repeats)
        return repeat


def _elements(node: object) -> list[object]:
    if node is None:
        return []
    if isinstance(node, Sequence):
        return list(node.elements)
    return [node]


def _prefix(pattern: str, flags: int, parsed: list[Any]) -> list[Any]:
    """What a search puts in front of the pattern: any text, then what may precede a start."""
    ops = list(sre_parse.parse(pattern, flags))
    anything = InfiniteRepeat(Character.ANY(), 0)
    if not ops:
        return [anything]
    op, data = ops[0]
    allowed = None  # the characters after which a start is possible
    if op is sre_parse.AT:
        if data is sre_parse.AT_BEGINNING_STRING:
            return []
        if data is sre_parse.AT_BEGINNING:
            multiline = sre_parse.parse(pattern, flags).state.flags & re.MULTILINE
            allowed = Character.LITERAL(ord("\n")) if multiline else None
            if not multiline:
                return []
        if data in (sre_parse.AT_BOUNDARY, sre_parse.AT_UNI_BOUNDARY):
            word = SreOpParser().parse_sre(r"\w")
            first = _first(parsed)
            if first is not None and (first & word) == first:
                allowed = SreOpParser().parse_sre(r"\W")
    if op is sre_parse.ASSERT_NOT and data[0] == -1 and len(data[1]) == 1:
        excluded = SreOpParser().parse_op(*data[1][0])
        if isinstance(excluded, Character):
            allowed = excluded.negate()
    if allowed is None or _starts_inside(parsed, allowed):
        return [anything]
    return [anything, allowed]


def _first(parsed: list[Any]) -> Character | None:
    """The characters the first mandatory element of a match takes, when it is one class."""
    for element in parsed:
        if element.minimum_length > 0:
            return getattr(element, "overall_character_class", lambda: None)()
    return None


def _starts_inside(parsed: list[Any], allowed: Character) -> bool:
    """Whether a start inside the run of one of the pattern's repeats can reach that repeat.

    `(?<![\\d()])[\\d()][\\d ()]{5,}\\d` in `1 1 1 1 ...` starts after every space and
    each start runs to the end of the run: the lookbehind spares nothing there. In
    `\\b\\w+@[\\w-]+`, a start after a `-` of the domain stops at the next `-`, as it needs
    an `@` first.
    """
    for sequence in expand_branches(Sequence(parsed)):
        for index, element in enumerate(sequence.elements):
            if not isinstance(element, InfiniteRepeat):
                continue
            run = element.overall_character_class() or element.maximal_character_class()
            if run is None:
                return True
            if not run & allowed:
                continue
            before = [e for e in sequence.elements[:index] if e.minimum_length > 0]
            classes = [getattr(e, "overall_character_class", lambda: None)() for e in before]
            if all(c is None or c & run for c in classes):
                return True
    return False


def findings(pattern: str, flags: int, searched: bool) -> list[Redos]:
    """regexploit's findings for the pattern as it is used, quadratic ones included."""
    parsed = _elements(_Parser().parse_sre(pattern, flags))
    # A searched pattern is also checked alone: regexploit takes the repeat in front of it
    # for one that could swallow what makes `$` fail, and would miss `(\\w+\\s?)+$`.
    wholes = [Sequence(parsed)]
    if searched:
        wholes.append(Sequence(_prefix(pattern, flags, parsed) + parsed))
    found: list[Redos] = []
    for sequence in (s for whole in wholes for s in expand_branches(whole)):
        for index, element in enumerate(sequence.elements):
            if isinstance(element, InfiniteRepeat):
                character = element.overall_character_class()
                if character is None:
                    continue
                # One more than regexploit counts, so that two overlapping repeats show.
                starriness = element.starriness + 1
                for redos in make_redos(sequence, index, index + 1, character, starriness):
                    if redos not in found:
                        found.append(redos)
        for redos in _lazy_findings(sequence):
            if redos not in found:
                found.append(redos)
    return found


def _lazy_findings(sequence: Sequence) -> Iterator[Redos]:
    """A lazy repeat followed by a greedy one that takes some of the same characters.

    regexploit looks for a character that makes a whole run fail. A lazy repeat needs none:
    `(.*?)\\s*$` on a line with a long run of spaces inside tries the spaces after each
    character it takes, quadratic even when the line finally matches.
    """
    elements = sequence.elements
    for index, element in enumerate(elements):
        if not isinstance(element, _Lazy):
            continue
        taken = element.overall_character_class()
        for after in range(index + 1, len(elements)):
            following = elements[after]
            if isinstance(following, InfiniteRepeat):
                other = following.overall_character_class()
                both = taken & other if taken and other else None
                stops = taken & other.negate() if taken and other and other.negate() else None
                rest = elements[after + 1 :]
                if (
                    both
                    and stops
                    and any(isinstance(e, EndOfString) or e.minimum_length > 0 for e in rest)
                ):
                    yield Redos(
                        element.starriness + following.starriness + 1,
                        Sequence(elements[:index]),
                        Sequence(elements[index : after + 1]),
                        both,
                        stops,
                    )
                break
            if following.minimum_length > 0:
                break


def _describe(item: Pattern, redos: list[Redos]) -> str:
    how = "searched" if item.searched else "matched at the start"
    lines = [f"{item.where} ({how}): {item.pattern!r}"]
    for one in redos[:3]:
        lines.append(
            f"    repeats {one.redos_sequence} (starriness {one.starriness - 1}), "
            f"slow on {one.example()}"
        )
    if len(redos) > 3:
        lines.append(f"    and {len(redos) - 3} more")
    return "\n".join(lines)


PATTERNS = collect()


def test_the_scan_finds_the_package_patterns() -> None:
    files = {p.file for p in PATTERNS}
    assert len(PATTERNS) > 60
    assert "mailflow/security/forwarded.py" in files
    assert "mailflow/mail/parse.py" in files


@pytest.mark.parametrize(
    ("pattern", "flags", "searched"),
    [
        (r"^\s*[-_ ]*(forwarded message)[-_ :]*$", re.I | re.M, True),  # blank lines
        (r"\s+a", 0, True),  # a run of spaces, tried at each position
        (r"[\w.]+@[\w-]+", 0, True),  # a long word without @
        (r"from\s*[*_]?\s*:", 0, False),  # spaces on both sides of an optional star
        (r"(a+)+b", 0, False),  # regexploit's own kind
        (r"(\w+\s?)+$", 0, True),  # the same, searched
        (r"[.!?]+(?=\s|$)", 0, True),  # a run of !!!! that no space follows
        (r"^(\w+?):\s*(.*?)\s*$", 0, False),  # spaces inside the value, lazily passed
        (r"(?<![\d()])[\d()][\d ()./-]{5,}\d", 0, True),  # starts after each space of 1 1 1
    ],
)
def test_the_scan_catches_slow_patterns(pattern: str, flags: int, searched: bool) -> None:
    assert findings(pattern, flags, searched)


@pytest.mark.parametrize(
    ("pattern", "flags", "searched"),
    [
        (r"^[^\S\n]*(?:[-_][-_ ]*)?(forwarded message)[-_ :]*$", re.I | re.M, True),
        (r"\s+a", 0, False),
        (r"\b\w+@[\w-]+", 0, True),
        (r"(?<![\w.])[\w.]+@[\w-]+", 0, True),
        (r"from\s*(?:[*_]\s*)?:", 0, False),
        (r"(?<![.!?])[.!?]+(?=\s|$)", 0, True),
        (r"^(\w+?):\s*((?:\S(?:.*\S)?)?)\s*$", 0, False),
        (r"[\d()][\d ()./-]{5,30}\d", 0, True),
    ],
)
def test_the_scan_passes_linear_patterns(pattern: str, flags: int, searched: bool) -> None:
    assert not findings(pattern, flags, searched)


@pytest.mark.parametrize("item", PATTERNS, ids=lambda p: p.where)
def test_pattern_is_linear(item: Pattern) -> None:
    try:
        redos = findings(item.pattern, item.flags, item.searched)
    except (AttributeError, re.error) as error:  # a construct regexploit does not know
        pytest.fail(f"{item.where}: {item.pattern!r} cannot be analysed: {error!r}")
    key = (item.file, item.pattern)
    if key in PENDING:
        assert redos, f"{item.where} is linear now: remove it from PENDING"
        pytest.xfail(f"{_describe(item, redos[:1])}\n    fix: {PENDING[key]}")
    if not redos or key in ACCEPTED:
        return
    pytest.fail(_describe(item, redos))


def test_exceptions_are_still_in_the_code() -> None:
    present = {(p.file, p.pattern) for p in PATTERNS}
    gone = sorted((set(ACCEPTED) | set(PENDING)) - present)
    assert not gone, f"patterns changed or removed; drop their entries here: {gone}"

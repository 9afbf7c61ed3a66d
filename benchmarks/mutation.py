"""Mutation testing of the reader: do its tests fail when its code is wrong?

Usage: python3 benchmarks/mutation.py [--modules NAME ...] [--max-children N] [--all]
                                      [--sample N] [--survivors] [--report-only]
                                      [--verbose]

mutmut 3 (configured under [tool.mutmut] in pyproject.toml) copies the package into
./mutants/, makes small changes ("mutants") to every function of the modules that read
a reply (mailflow/reading/*.py, mail/html_*.py, mail/reply_text.py,
mail/quote_markers.py, mail/footers.py, mail/notices.py, mail/trailers.py,
workflow/figures.py and workflow/numbers.py) and runs the reader's unit tests against
each. A mutant the tests notice is killed; one they do not notice survived, and is
either a missing test or a change that cannot alter what the reader does (an
equivalent mutant).

The script prints, per module and in total: mutants, killed, survived, timeout, other
(no test reaches the function, or a verdict mutmut could not give), untested (not run
yet: a run stopped early) and the kill ratio, (killed + timeout) / tested mutants,
against the target of 90%. Then it lists every survivor as module:function with its
diff (what `mutmut show NAME` prints).

Results are kept in mutants/ between runs: a run tests the mutants of functions that
changed since the last one, and gives the survivors another chance against the tests
as they are now; --all tests every mutant of the chosen modules again. The test
selection is the list in pyproject.toml, narrowed to the files that exist; tests that
already fail without any mutant are left out (and named), since mutmut needs a green
run to compare against. The machine is shared: two children at most by default.
mutmut's own output goes to mutants/mutation-run.log (--verbose shows it instead).

  --modules NAME ...   only these modules: a path (mailflow/reading/decide.py), a dotted name
                       (mailflow.reading.decide) or a short one (decide, html_text, figures)
  --max-children N     mutants tested at once (default 2)
  --all                test every mutant of the chosen modules again, not only new ones
                       and survivors
  --sample N           test at most N of each module's untested mutants (the same N on
                       every run): an estimate of its kill ratio when a full run does
                       not fit in the time there is; the rest stay untested
  --survivors          test only the survivors again (against the tests as they are now)
  --report-only        print the figures of the last run without running anything

Survivors left after the last measured run, and why each is harmless, are listed at
the end of this docstring.

Measured (2026-12-04 07:43 UTC, on the code as it had landed by then)
------------------------------------------------------
  Full runs of every module's survivors and changed functions, and a sample of 25
  untested mutants per module (--sample 25); two children on a shared 2-core machine.
  Tested 1,868 of 3,862 mutants: 1,725 killed, 17 timeouts, 126 survived, so 93.3%
  killed (92.3% without the timeouts); 1,994 untested (mostly decide.py and
  tokens.py, whose every mutant runs about 2,400 tests, and the new
  html_styles/html_colors): a full run takes hours on this machine. The modules are
  named as they are now (under reading/, mail/ and workflow/); decide.py was then one
  module with what is now decision_line.py, verdict.py, affirmative.py and
  line_results.py.

  module                 tested  killed %     module                 tested  killed %
  decide.py                 181     95.6%     html_colors.py             50     92.0%
  likely.py                  67     98.5%     html_styles.py             45     77.8%
  lines.py                   45    100.0%     html_text.py              122     95.1%
  normalize.py               80     86.2%     html_visibility.py        206     93.2%
  sentences.py              132     94.7%     notices.py                 34     88.2%
  tokens.py                  29     86.2%     quote_markers.py          102     85.3%
  reply.py                  123    100.0%     reply_text.py             163     87.7%
  figures.py                283     96.5%     trailers.py                25     80.0%
  numbers.py                144     97.9%     footers.py                 37     89.2%

Equivalent survivors: the mutated code does the same for every input the reader can
be given, so no test can tell them apart.

  figures     _currency: `... or token.upper() in codes` (an ISO code has three letters
              anyway) and a default of None for "" (callers test truth only); _split:
              -2 for -1 as the "no digit" mark (only compared with 0); _unit_words:
              rstrip("XXsXX") (units are lower case); read_money: `isalpha() or True`
              (a digit has no shorthand multiplier), `len(body) >= 3` (a 3-character
              body starts with a digit, so it never ends in a 3-letter code);
              read_quantity: rstrip("XX.XX") of a lower-cased word, `(not whole) or
              True` (for a whole value both spellings give the same digits).
  numbers     read_number: partition for rpartition (used only when the mark occurs
              once); show_number: `decimals or True` (babel reads "#,##0." as "#,##0");
              _readings: continue→break after a suggestion babel cannot parse back
              (its suggestions are its own formatting, which it always parses).
  normalize   normalize_line: `"&" in line or True` (unescaping text without
              "&" changes nothing), `previous = ""` (the loop still runs until nothing
              changes), "\r" left for _SPACES (which turns it into a space anyway);
              _script: a default name for unnamed characters (every letter has a name,
              and _WORD matches letters only), any other non-empty label for "OTHER"
              (only whether two labels differ matters).
  likely      `LIKELY or spec is spec` (one spec is left by then, and a verb of it
              on the line means read() has decided the reply already).
  sentences   _adds_nothing / _against with `and`/`or` on the spec test (only
              VERB and LIKELY pieces carry a spec, and a LIKELY piece always has one);
              sentences: `start = None` (slicing from None is slicing from 0);
              first_doubt: the Finding of an over-long line (its sentence is quoted cut
              to 117 characters, and its verdict is asked back in any case),
              `in_field = None` (only truth is read).
  decision_line  verb_line (then decide._decision_line): the placeholder line for an
              over-long line (likely() returns None for it whatever it holds).
  affirmative _doubted (then in decide): "XXXX" for "" (a near-field verdict always
              has a name).
  tokens      first_phrase: the default of max() (the lists are never empty), and
              `len(words) + i` (the slice stops at the end of the words anyway).
  html_text   handle_endtag: a search of the open tags down to -2 (index -1 is the
              last tag, already looked at) and return for break (nothing follows).
  html_colors _hex: digits[6:9] of 8 digits, `<= 5` (the pattern admits 3, 4, 6 or 8
              digits); over: zip(strict=None) (the tuples are of equal length).
  html_visibility  _hides: another default string for a missing property (it falls
              back to the same number), another fallback number on the same side of
              the threshold (1.0 or 2.0 for opacity, heights and offsets); child_look:
              the `type="hidden"` test of an <input> and the arguments of the hidden
              Look (an input is a void element with no text to hide, and a hidden look
              hides its whole subtree whatever its colours); Look: None for False.
  html_text   __init__: None for False; a default word for a missing class or id, or
              for an attribute without a value (no client uses "xxxx").
  html_styles _prelude_agreed: ":before"/":after" renamed in the pseudo-element list
              (a single-colon name that is not agreed is refused one branch later);
              _vetted: `close < 1` (a comment's end is found at i + 2 or later), the
              initial `opened` (set before any block can close); _sheets: the default
              rel of a <link>, `start - 1` (css_inline writes every "<" of text as
              "&lt;", so no "<" fails to open a tag); apply_stylesheets: the second
              inliner's kept <style> tags (html_text never shows a style's text).
  quote_markers  is_header_block: the `elif ... continue` branch (it is the loop's last
              statement, so it does nothing whatever its condition).

Harmless survivors: they move a limit that guards cost or a window that no real mail
sits on the edge of, or they change wording nobody reads for a decision.

  html_styles _vetted: how the declared characters are counted (`=` for `+=`, 1 for 0,
              at-rule blocks counted): it only feeds the size budget, 40 million
              characters × elements, which a mail is nowhere near.
  quote_markers / footers / notices / reply_text: moved boundaries of length and
              distance limits (an attribution of 300 characters or of six lines, a
              footer of 120 characters, a notice of MIN_LENGTH, how many lines an
              attribution may stand above its quote): a reply a character or a line
              from the limit reads the other way, and the closed rule then asks about
              what is left, so no decision is recorded from it.
  decide      _plain_verb: strip("XX …") of the text after a plain verb (only a field
              name starting or ending with a capital X would change, and there is
              none).

Killed after the measured run by tests written for them (tests/test_reader_mutants.py,
each checked by applying the mutant by hand): trailers' tail split (find → rfind, a
space not found), is_notice's three edges (and → or, < → <=, in → not in),
notice_start's first line (> 0 → >= 0), and html_colors' saturation clamp.

Left, and why none of them can record a decision nobody gave:

  reply_text  _bottom_posted, _addressed_above_quote, _outside_attribution,
              _after_headers, visible_text: the shape checks of a reply written below
              its quote and of a forwarded header block, at their edges (the first
              line, the last line, a wrapped attribution). A wrong call either keeps
              quoted text in the new text, whose "> " lines are on no list of the
              closed rule, so the reply is asked back; or drops the reply, which is
              then asked back as having no new text. The cost is a question, never a
              decision; visible_text is never read for one.
  quote_markers  next_nonblank / previous_nonblank one line further, and the first
              line of the text read as the one before it: the same two outcomes.
  html_colors _hex (5 for 4 digits: no 5-digit colour reaches it; digits[6:9] of an
              8-digit string is digits[6:8]) and over (strict=None is falsy like False
              on tuples of equal length): equivalent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shlex
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.90
LOG = Path("mutants") / "mutation-run.log"
# Reader tests that may appear later (their modules are being written); whichever exist
# at run time join the selection of pyproject.toml.
EXTRA_TESTS = (
    "tests/test_reply_text*.py",
    "tests/test_html*.py",
    "tests/test_footers*.py",
    "tests/test_reader_mutants.py",
)
# mutmut's exit-code classes, folded into the columns printed; the rest is "other" (no
# test reaches the function, or mutmut could not give a verdict).
COLUMN = {
    "killed": "killed",
    "caught by type check": "killed",
    "survived": "survived",
    "timeout": "timeout",
    "not checked": "untested",
}
# Codes worth testing again: not yet tested, survived, no test reached it, or unclear.
RETEST = {None, 0, 33, 35, 5}

# Run inside pytest in a child process: the node ids of the tests that fail on the
# unmutated code, written as JSON to the path in argv[1].
_FAILING = """
import json, sys, pytest
failed = []
class Watch:
    def pytest_runtest_logreport(self, report):
        if report.failed:
            failed.append(report.nodeid)
    def pytest_collectreport(self, report):
        if report.failed:
            failed.append(report.nodeid)
pytest.main(sys.argv[2:], plugins=[Watch()])
open(sys.argv[1], "w").write(json.dumps(sorted(set(failed))))
"""


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    os.chdir(ROOT)
    settings = tomllib.loads(Path("pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    selection = _selection(settings["pytest_add_cli_args_test_selection"])

    from mutmut.configuration import config  # after chdir: it reads ./pyproject.toml

    cfg = config()
    cfg.pytest_add_cli_args_test_selection = selection
    paths = _modules(args.modules, cfg.only_mutate)
    if not args.report_only:
        failing = _failing_before(selection, cfg.pytest_add_cli_args)
        if failing:
            print(f"left out, failing without any mutant ({len(failing)}):")
            for node in failing:
                print(f"  {node}")
            deselect = " ".join(f"--deselect {shlex.quote(n)}" for n in failing)
            os.environ["PYTEST_ADDOPTS"] = f"{os.environ.get('PYTEST_ADDOPTS', '')} {deselect}"
        print(f"tests: {' '.join(selection)}")
        print(f"mutating: {' '.join(str(p) for p in paths)}")
        sample = -1 if args.survivors else args.sample
        _run(paths, args.max_children, args.all, sample, verbose=args.verbose)
    return _report(paths)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="+", default=[])
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--survivors", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def _selection(configured: list[str]) -> list[str]:
    chosen = [t for t in configured if Path(t).exists()]
    for pattern in EXTRA_TESTS:
        chosen += [str(p) for p in sorted(Path(".").glob(pattern)) if str(p) not in chosen]
    return chosen


def _modules(names: list[str], only_mutate: list[str]) -> list[Path]:
    """The mutated modules, narrowed to those --modules names."""
    from mutmut.utils.file_utils import walk_source_files

    mutated = sorted(p for p in walk_source_files() if any(p.match(g) for g in only_mutate))
    if not names:
        return mutated
    chosen = []
    for name in names:
        want = name.removesuffix(".py").replace(".", "/")
        hits = [p for p in mutated if str(p.with_suffix("")).endswith(want)]
        if not hits:
            raise SystemExit(f"--modules: {name} is not one of {[str(p) for p in mutated]}")
        chosen += [p for p in hits if p not in chosen]
    return chosen


def _failing_before(selection: list[str], pytest_args: list[str]) -> list[str]:
    """Tests of the selection that fail on the code as it is, before any mutation."""
    out = Path("mutants") / "failing-before.json"
    out.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-c", _FAILING, str(out), "-q", "-p", "no:randomly", *pytest_args]
    subprocess.run([*command, *selection], stdout=subprocess.DEVNULL, check=False)
    return list(json.loads(out.read_text())) if out.exists() else []


class _Only:
    """A pytest plugin that keeps the named tests, fastest first as mutmut ordered them.

    mutmut names each test on pytest's command line, and pytest, when called a second
    time in the same process, no longer finds parametrised ids that hold escapes
    ("Approved\\n\\nThanks"), which this project's phrase suite is full of. So the
    command line names the files, and this plugin picks the tests by their node ids.
    """

    def __init__(self, tests: list[str]) -> None:
        self.order = {name: i for i, name in enumerate(tests)}

    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        kept = sorted((i for i in items if i.nodeid in self.order), key=self._rank)
        dropped = [i for i in items if i.nodeid not in self.order]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept

    def _rank(self, item: Any) -> int:
        return self.order[item.nodeid]


def _select_by_plugin() -> None:
    from mutmut.runners.harness import PytestRunner
    from mutmut.utils.file_utils import change_cwd

    def run_tests(self: PytestRunner, *, mutant_name: str | None, tests: Any) -> int:
        tests = list(tests)
        if not tests:
            return int(self.run_tests_unfiltered(mutant_name=mutant_name, tests=tests))
        files = list(dict.fromkeys(t.partition("::")[0] for t in tests))
        args = ["-x", "-q", "-p", "no:randomly", "-p", "no:random-order", *files]
        with change_cwd("mutants"):
            return int(self.execute_pytest(args, plugins=[_Only(tests)]))

    PytestRunner.run_tests_unfiltered = PytestRunner.run_tests  # type: ignore[attr-defined]
    PytestRunner.run_tests = run_tests  # type: ignore[method-assign]


def _run(
    paths: list[Path], max_children: int, retest_all: bool, sample: int, *, verbose: bool
) -> None:
    import mutmut.__main__ as mm
    from mutmut.mutation.data import SourceFileMutationData

    _select_by_plugin()
    with _quiet(not verbose):
        # Generate (or refresh) the mutants first, so that the ones to test can be named:
        # mutmut itself would leave a cached survivor alone, however the tests changed.
        with mm.CatchOutput(spinner_title="Generating mutants"):
            mm.copy_src_dir()
            mm.copy_also_copy_files()
            mm.setup_source_paths()
            mm.create_mutants(max_children)
        names = []
        for path in paths:
            data = SourceFileMutationData(path=path)
            data.load()
            chosen = [k for k, v in data.exit_code_by_key.items() if retest_all or v in RETEST]
            untested = [k for k in chosen if data.exit_code_by_key[k] is None]
            if sample < 0:
                chosen = [k for k in chosen if k not in untested]
            elif sample and len(untested) > sample:
                # The same sample on every run, so that runs add up instead of starting over.
                kept = set(random.Random(str(path)).sample(sorted(untested), sample))
                chosen = [k for k in chosen if k in kept or k not in untested]
            names += chosen
        # Which tests reach which function is collected afresh, so that tests changed
        # since the last run are mapped to what they reach now.
        Path("mutants/mutmut-stats.json").unlink(missing_ok=True)
        if names:
            mm._run(names, max_children)
    if not verbose:
        print(f"mutmut's output: {LOG}")


@contextlib.contextmanager
def _quiet(enabled: bool) -> Iterator[None]:
    """Send what mutmut prints (one line per mutant) to the log file, at the descriptor
    level: mutmut writes to sys.__stdout__ directly."""
    if not enabled:
        yield
        return
    LOG.parent.mkdir(exist_ok=True)
    sys.stdout.flush()
    saved = os.dup(1), os.dup(2)
    with LOG.open("w") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _report(paths: list[Path]) -> int:
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    columns = ("mutants", "killed", "survived", "timeout", "other", "untested")
    print(f"\n{'module':36}" + "".join(f"{c:>9}" for c in columns) + f"{'killed %':>10}")
    total: Counter[str] = Counter()
    survivors: list[tuple[Path, str]] = []
    for path in paths:
        data = SourceFileMutationData(path=path)
        data.load()
        row: Counter[str] = Counter(mutants=len(data.exit_code_by_key))
        for key, code in sorted(data.exit_code_by_key.items()):
            row[COLUMN.get(status_by_exit_code[code], "other")] += 1
            if status_by_exit_code[code] == "survived":
                survivors.append((path, key))
        total += row
        print(_row(str(path), row, columns))
    print(_row("total", total, columns))
    ratio = _ratio(total)
    tested = total["mutants"] - total["untested"]
    print(f"\ntarget: at least {TARGET:.0%} of the mutants killed (a timeout counts as killed)")
    print(f"measured: {ratio:.1%} of the {tested} tested", end="")
    if total["untested"]:
        whole = (total["killed"] + total["timeout"]) / total["mutants"]
        print(f"; {total['untested']} not tested yet ({whole:.1%} of all {total['mutants']})")
    else:
        print()
    print(f"killed without timeouts: {total['killed'] / max(tested, 1):.1%} of the tested")
    if total["other"]:
        print("other: reached by no test of the selection, or no clear verdict from mutmut")
    print(f"\nsurvivors ({len(survivors)}):")
    for path, key in survivors:
        function, cls = orig_function_and_class_names_from_key(key)
        where = f"{cls}.{function}" if cls else function
        print(f"\n## {path.with_suffix('').as_posix().replace('/', '.')}:{where}  ({key})")
        try:
            print(get_diff_for_mutant(key, path=path).rstrip())
        except Exception as error:  # noqa: BLE001 - a missing diff must not hide the figures
            print(f"   (no diff: {error})")
    return 0 if ratio >= TARGET else 1


def _ratio(row: Counter[str]) -> float:
    """Killed (or timed out) of the mutants tested so far."""
    tested = row["mutants"] - row["untested"]
    return (row["killed"] + row["timeout"]) / tested if tested else 0.0


def _row(name: str, row: Counter[str], columns: tuple[str, ...]) -> str:
    cells = "".join(f"{row[c]:>9}" for c in columns)
    return f"{name:36}{cells}{_ratio(row):>10.1%}"


if __name__ == "__main__":
    sys.exit(main())

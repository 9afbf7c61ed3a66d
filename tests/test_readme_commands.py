"""The README's commands, run as written: a fresh clone, a fresh virtual environment.

Every ```sh block of the README carries a marker on the line above it:
  <!-- readme-test: run -->            run here, in order, in one shell (so `export` carries)
  <!-- readme-test: service -->        each line starts the service: the test waits until it
                                       says it is running, stops it with SIGTERM, and expects
                                       a clean exit
  <!-- readme-test: skip: REASON -->   not run here, for the reason given
The clone is of the committed HEAD, beside a link to ../shared (the shared mail corpus)
when there is one; pip uses its usual cache, so a repeat run takes a minute or two.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest

from tests.helpers import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
MARK = re.compile(r"<!-- readme-test: (run|service|skip: [^>]+?) -->\n$")

# Starts one service line in the background, waits for "mailflow is running", stops it.
SERVE = r"""
serve() {
  local log; log=$(mktemp)
  "$@" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 900); do
    if grep -q "mailflow is running" "$log"; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "service exited early"; return 1; fi
    sleep 1
  done
  kill -TERM "$pid"
  local rc=0; wait "$pid" || rc=$?
  cat "$log"
  grep -q "mailflow is running" "$log" || { echo "service never said it runs"; return 1; }
  return "$rc"
}
"""


@dataclass(frozen=True)
class Block:
    kind: str  # run, service or skip
    text: str
    line: int


def readme_blocks() -> list[Block]:
    text = README.read_text("utf-8")
    out = []
    for found in FENCE.finditer(text):
        before = text[: found.start()]
        mark = MARK.search(before[-200:])
        kind = mark.group(1).split(":", 1)[0] if mark else "unmarked"
        out.append(Block(kind, found.group(1), before.count("\n") + 1))
    return out


def script(blocks: list[Block]) -> str:
    lines = ["set -euo pipefail", SERVE, "set -x"]
    for block in blocks:
        lines.append(f": README line {block.line}")
        if block.kind == "run":
            lines.append(block.text)
        elif block.kind == "service":
            lines += [f"serve {cmd}" for cmd in block.text.splitlines() if cmd.strip()]
    return "\n".join(lines) + "\n"


def test_every_shell_block_says_whether_it_runs():
    blocks = readme_blocks()
    assert blocks, "no ```sh blocks found"
    unmarked = [b.line for b in blocks if b.kind == "unmarked"]
    assert not unmarked, f"README ```sh blocks without a readme-test marker at lines {unmarked}"
    assert {b.kind for b in blocks} >= {"run", "service"}


def test_the_script_runs_each_block_and_starts_services_in_the_background():
    made = script([Block("run", "mailflow check\n", 3), Block("service", "python3 run.py\n", 9)])
    assert "\nmailflow check\n" in made and "\nserve python3 run.py" in made
    assert made.index(": README line 3") < made.index(": README line 9")


def _fresh_environment() -> dict[str, str]:
    """The caller's environment without this checkout's .venv or configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILFLOW_", "VIRTUAL_ENV"))}
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.pop("PYTHONPATH", None)
    return env


@pytest.mark.skipif(
    bool(os.environ.get("MAILFLOW_FAKED_CLOCK")),
    reason="installs from the package index, which a faked clock's certificates disturb; "
    "the run with the real clock covers the README",
)
def test_the_readme_commands_run_in_a_fresh_clone(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "main"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        (tmp_path / "shared").symlink_to(shared)
    commands = script([b for b in readme_blocks() if b.kind != "skip"])
    done = subprocess.run(
        ["bash", "-c", commands],
        cwd=clone,
        env=_fresh_environment(),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert (clone / ".venv" / "bin" / "mailflow").exists()
    assert "export PATH=" in output, "the first run says how to put mailflow on PATH"
    assert "ended as: Closed" in output, "the demo ran to its end"
    assert "stage:       CR document" in output, "the walk-through moved its CR by replies"

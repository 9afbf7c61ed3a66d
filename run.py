"""Start the mailflow service: the same as `mailflow run`, from a checkout.

On a fresh checkout whose dependencies are not installed, it first makes a virtual
environment in .venv, installs mailflow into it, and starts again from there, so that
`python3 run.py` is all a new user types. The install is stamped with a hash of
pyproject.toml (version and dependency list): later starts go straight to .venv, and
only a changed pyproject.toml installs again (pip would take seconds and the network).
After an install it says how to reach the `mailflow` command itself: it lives in
.venv/bin, which is not on PATH (Debian refuses a system-wide `pip install`).
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
NEEDED = (
    "alembic",
    "authres",
    "imapclient",
    "jinja2",
    "mailparser",
    "schedule",
    "sqlmodel",
    # the status page and the metrics endpoint: every setting works on this one install
    "starlette",
    "uvicorn",
    "python_multipart",
    "prometheus_client",
)
STAMP = VENV / "mailflow-installed.sha256"


def wanted() -> str:
    """What an install must match: the hash of pyproject.toml."""
    return hashlib.sha256((HERE / "pyproject.toml").read_bytes()).hexdigest()


def installed() -> bool:
    try:
        return STAMP.read_text().strip() == wanted()
    except OSError:
        return False


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ready() -> bool:
    try:
        for name in NEEDED:
            __import__(name)
    except ImportError:
        return False
    return True


def on_path_hint() -> str:
    """How to type `mailflow …` from now on, without installing anything system-wide."""
    return (
        f"mailflow: installed; the mailflow command is {VENV / 'bin' / 'mailflow'}. "
        f'To type `mailflow …` in this shell: export PATH="{VENV / "bin"}:$PATH"'
    )


def bootstrap() -> int:
    if os.environ.get("MAILFLOW_BOOTSTRAPPED"):
        print(
            f"mailflow: {sys.executable} still lacks one of {', '.join(NEEDED)} after "
            "installing; see the pip output above",
            file=sys.stderr,
        )
        return 2
    python = VENV / "bin" / "python"
    if not python.exists():
        try:
            import ensurepip  # noqa: F401
            import venv  # noqa: F401
        except ImportError:
            print(
                "mailflow: Python's venv module is missing; on Debian install it with "
                "`apt-get install python3-venv`, then run this again",
                file=sys.stderr,
            )
            return 2
        print(f"mailflow: first run: installing into {VENV} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not installed():
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(HERE)], check=True)
        STAMP.write_text(wanted() + "\n")
        print(on_path_hint(), file=sys.stderr)
    os.environ["MAILFLOW_BOOTSTRAPPED"] = "1"
    os.execv(str(python), [str(python), str(HERE / "run.py"), *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    if (in_venv() and not installed()) or (not in_venv() and not ready()):
        raise SystemExit(bootstrap())
    from mailflow.cli.main import main

    raise SystemExit(main(["run", *sys.argv[1:]]))

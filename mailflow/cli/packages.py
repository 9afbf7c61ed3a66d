"""The packages the configuration switches on, checked before `run` starts.

They are regular dependencies, so a missing one means an install made another way (an
older `pip install` without them, a hand-picked environment). `check` and `run` name it
in one line rather than letting the service die on an import halfway through starting.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from mailflow.config.ops import WebSettings
from mailflow.config.settings import Settings

REINSTALL = "install mailflow again: python3 run.py (or .venv/bin/pip install .)"


@dataclass(frozen=True)
class Need:
    """A module that a setting needs, and the package that provides it."""

    module: str
    package: str
    setting: str
    applies: Callable[[Settings], bool]


NEEDS = (
    Need("prometheus_client", "prometheus-client", "[metrics] port", lambda s: s.metrics.port > 0),
    Need("uvicorn", "uvicorn", "[web] (mailflow web)", lambda s: s.web != WebSettings()),
    Need("starlette", "starlette", "[web] (mailflow web)", lambda s: s.web != WebSettings()),
    Need(
        "python_multipart",
        "python-multipart",
        "[web] (mailflow web)",
        lambda s: s.web != WebSettings(),
    ),
)


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(settings: Settings) -> list[str]:
    """One line per package a setting in use needs and this install lacks."""
    return [
        f"{need.setting} needs the {need.package} package, which is not installed; {REINSTALL}"
        for need in NEEDS
        if need.applies(settings) and not installed(need.module)
    ]

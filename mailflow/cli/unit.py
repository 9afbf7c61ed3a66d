"""`mailflow check --for-unit UNIT`: does the systemd unit's sandbox let the service work?

The hardened unit makes the whole file system read-only but for the folders it names
(ProtectSystem=strict, ReadWritePaths=, StateDirectory=), hides /home and /root, and
gives the service a private /tmp. A configuration that is fine from a shell can fail
only once started by systemd: a relative data_dir under /etc/mailflow, a Maildir in a
home folder. The unit file is read the way systemd reads it (later lines add to a list
setting, an empty value clears it) and each path the configuration writes or reads is
judged by a table of named rules, the first that applies deciding.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

from mailflow.config.settings import Settings

LISTS = ("ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "StateDirectory")
HOMES = ("/home", "/root", "/run/user")
SYSTEM_READ_ONLY = {
    "strict": ("/",),
    "full": ("/usr", "/boot", "/efi", "/etc"),
    "true": ("/usr", "/boot", "/efi"),
    "yes": ("/usr", "/boot", "/efi"),
}


@dataclass
class Sandbox:
    """The settings of a unit's [Service] section that decide what the service may touch."""

    path: str
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in LISTS})

    def writable_roots(self) -> list[str]:
        state = [f"/var/lib/{name}" for name in self.lists["StateDirectory"]]
        return [*self.lists["ReadWritePaths"], *state]

    def environment(self) -> dict[str, str]:
        pairs = shlex.split(self.values.get("Environment", ""))
        return dict(p.split("=", 1) for p in pairs if "=" in p)


def read_unit(path: Path) -> Sandbox:
    sandbox = Sandbox(str(path))
    section = ""
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = (part.strip() for part in line.partition("="))
        if section != "Service":
            continue
        if key in LISTS:
            words = [w.lstrip("-+") for w in value.split()]
            sandbox.lists[key] = [*sandbox.lists[key], *words] if words else []
        elif key == "Environment":
            sandbox.values[key] = f"{sandbox.values.get(key, '')} {value}".strip()
        else:
            sandbox.values[key] = value
    return sandbox


class Verdict(Enum):
    WRITABLE = "writable"
    HIDDEN = "hidden"
    READ_ONLY = "read-only"
    EPHEMERAL = "emptied on restart"


def _under(path: PurePosixPath, roots: list[str] | tuple[str, ...]) -> str | None:
    return next(
        (r for r in roots if path == PurePosixPath(r) or PurePosixPath(r) in path.parents), None
    )


@dataclass(frozen=True)
class Rule:
    name: str
    verdict: Verdict
    root: Callable[[Sandbox, PurePosixPath], str | None]
    why: str


def _home(s: Sandbox, p: PurePosixPath) -> str | None:
    if s.values.get("ProtectHome", "no") in ("true", "yes", "read-only", "tmpfs"):
        return _under(p, HOMES)
    return None


def _private_tmp(s: Sandbox, p: PurePosixPath) -> str | None:
    return (
        _under(p, ("/tmp", "/var/tmp")) if s.values.get("PrivateTmp") in ("true", "yes") else None
    )


def _system(s: Sandbox, p: PurePosixPath) -> str | None:
    return _under(p, SYSTEM_READ_ONLY.get(s.values.get("ProtectSystem", "no"), ()))


RULES = (
    Rule(
        "inaccessible",
        Verdict.HIDDEN,
        lambda s, p: _under(p, s.lists["InaccessiblePaths"]),
        "InaccessiblePaths={root} hides it",
    ),
    Rule("home", Verdict.HIDDEN, _home, "ProtectHome={ProtectHome} hides {root}"),
    Rule(
        "read_only_paths",
        Verdict.READ_ONLY,
        lambda s, p: _under(p, s.lists["ReadOnlyPaths"]),
        "ReadOnlyPaths={root} makes it read-only",
    ),
    Rule(
        "writable",
        Verdict.WRITABLE,
        lambda s, p: _under(p, s.writable_roots()),
        "",
    ),
    Rule(
        "private_tmp",
        Verdict.EPHEMERAL,
        _private_tmp,
        "PrivateTmp={PrivateTmp} gives the service its own {root}, emptied at every restart",
    ),
    Rule(
        "protect_system",
        Verdict.READ_ONLY,
        _system,
        "ProtectSystem={ProtectSystem} makes {root} read-only",
    ),
)


def judge(sandbox: Sandbox, path: Path) -> tuple[Verdict, str]:
    """What the service may do with `path` under this sandbox, and why."""
    where = PurePosixPath(path)
    for rule in RULES:
        root = rule.root(sandbox, where)
        if root is not None:
            return rule.verdict, rule.why.format(root=root, **sandbox.values)
    return Verdict.WRITABLE, ""


def unit_problems(sandbox: Sandbox, settings: Settings) -> list[str]:
    """Each configured path the service could not use when started by this unit."""
    writes = {"mailflow.data_dir": settings.data_dir}
    if "maildir" in (settings.source_kind, settings.sink_kind):
        writes["source.maildir.path"] = settings.maildir_root
    if settings.database_url.startswith("sqlite:///"):
        writes["database.url"] = Path(settings.database_url.removeprefix("sqlite:///")).parent
    roots = ", ".join(sandbox.writable_roots()) or "none"
    out = []
    for key, path in writes.items():
        verdict, why = judge(sandbox, path.resolve())
        if verdict is not Verdict.WRITABLE:
            out.append(
                f"{key} is {path}, which the unit {sandbox.path} leaves {verdict.value}: {why}; "
                f"use an absolute path under a folder it lets the service write ({roots})"
            )
    if settings.path is not None:
        verdict, why = judge(sandbox, settings.path.resolve())
        if verdict in (Verdict.HIDDEN, Verdict.EPHEMERAL):
            out.append(f"the configuration {settings.path} is {verdict.value} for the unit: {why}")
    configured = sandbox.environment().get("MAILFLOW_CONFIG")
    if configured and settings.path and Path(configured).resolve() != settings.path.resolve():
        out.append(
            f"the unit reads {configured} (Environment=MAILFLOW_CONFIG), not {settings.path}; "
            "check that file, or copy this one there"
        )
    return out

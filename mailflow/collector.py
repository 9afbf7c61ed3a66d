"""The cycle collector while a command starts.

A command spends most of its short life importing: SQLModel, the table classes and the
configuration's models make a few hundred thousand objects, none of them garbage, and the
cycle collector walks them over and over while they are being made (about a tenth of the
time `mailflow cr show` takes). So a command starts with the collector off and turns it
back on once the database is open, with what start-up made frozen out of its walks: from
there on the process collects as any program does, whether it ends a moment later or
serves for months as the daemon. A command that never opens the database ends with the
collector still off, having made nothing that needs collecting.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_quiet = False


@contextmanager
def quiet_start() -> Iterator[None]:
    """Run a command with the collector off until `settled`, then leave the collector as it
    was found (commands run in-process, as tests run them, must not change it)."""
    global _quiet
    was_on, frozen = gc.isenabled(), gc.get_freeze_count()
    gc.disable()
    _quiet = True
    try:
        yield
    finally:
        _quiet = False
        if frozen == 0:
            gc.unfreeze()
        if was_on:
            gc.enable()
        else:
            gc.disable()


def settled() -> None:
    """Start-up is over: collect again, leaving out what start-up made (it lives as long as
    the process). Does nothing outside a quiet start, so the collector of a program that
    embeds mailflow is never touched."""
    global _quiet
    if _quiet:
        _quiet = False
        gc.freeze()
        gc.enable()

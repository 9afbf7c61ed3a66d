"""A second process for the pure steps of a backlog: parsing mail and composing answers.

Handling a message is one thread's work: its rules, its transaction. But two steps around
it read nothing from the store and cost about as much as the rest together: parsing the
next messages, and turning each rendered answer into MIME bytes. During a catch-up the
daemon hands both to this process, so that they run on another core while the next
message is handled. It is started only when a pass finds more than one batch waiting
(a single reply is answered faster without the hand-over), and stopped with the daemon.

Nothing here decides anything: a parse gives the same Inbound as in the daemon, a build
the same mail (its Message-ID and Date were fixed before), and when this process fails
the daemon does the step itself (mailflow.store.outbox.settle, MailboxPass).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from mailflow.errors import ParseError
from mailflow.mail.compose import Composer
from mailflow.mail.parse import Inbound, parse

log = logging.getLogger(__name__)
T = TypeVar("T")
ComposerArgs = tuple[str, str, str]  # from address, from name, Message-ID domain

_composer: Composer | None = None  # the helper's own, made when it starts


class HelperProcess:
    """One helper process; each call returns a Future at once."""

    def __init__(self, composer: ComposerArgs) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),  # no sockets or locks inherited
            initializer=_start,
            initargs=(composer, os.getpid()),
        )
        self._failed = False

    def parse(self, raws: Sequence[bytes]) -> Future[list[Inbound | None]]:
        """The messages parsed; None for one that is not a mail (handled alone, quarantined)."""
        return self._submit(_parse_all, list(raws))

    def compose(self, build: Mapping[str, Any]) -> Future[bytes]:
        """The bytes of Composer.build(**build) (`rendered` given, so no template is read)."""
        return self._submit(_compose, dict(build))

    def _submit(self, step: Callable[[Any], T], work: Any) -> Future[T]:
        """The step's Future; a helper that has stopped gives a failed one, never raises
        here: the caller then does the step itself."""
        try:
            return self._pool.submit(step, work)
        except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, or shut down
            if not self._failed:
                log.warning("the helper process stopped (%s); the daemon does its work", exc)
                self._failed = True
            failed: Future[T] = Future()
            failed.set_exception(exc)
            return failed

    def close(self) -> None:
        """Stop the process; what it has not done yet is done by the daemon, if needed."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _start(composer: ComposerArgs, parent: int) -> None:
    global _composer
    _composer = Composer(*composer)
    threading.Thread(target=_follow, args=(parent,), daemon=True).start()


def _follow(parent: int) -> None:
    """Leave when the daemon is gone (killed, it cannot say so): an orphan would wait forever."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _parse_all(raws: list[bytes]) -> list[Inbound | None]:
    out: list[Inbound | None] = []
    for raw in raws:
        try:
            out.append(parse(raw))
        except ParseError:
            out.append(None)
    return out


def _compose(build: dict[str, Any]) -> bytes:
    assert _composer is not None, "the helper process was not started"
    return _composer.build(**build).as_bytes()

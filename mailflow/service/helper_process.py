"""A second process for the pure steps of a backlog: parsing mail and composing answers.

Handling a message is one thread's work: its rules, its transaction. But three steps around
it read nothing from the store and cost about as much as the rest together: parsing the
next messages, turning each rendered answer into MIME bytes, and handing the answers of a
committed batch to the SMTP server. During a catch-up the daemon gives all three to this
process, so that they run on another core while the next message is handled (sending in
a thread of its own here, mailflow.service.handoff, so that a slow SMTP server never
holds up a parse or a composition). It is started only when a pass finds more than one batch waiting
(a single reply is answered faster without the hand-over), and stopped with the daemon.

Nothing here decides anything: a parse gives the same Inbound as in the daemon, a build
the same mail (its Message-ID and Date were fixed before), and when this process fails
the daemon does the step itself (mailflow.store.outbox.settle, MailboxPass).

The two processes talk over the helper's stdin and stdout, one pickled frame per request
and per answer, each answer naming its request (a delivery is answered when it is done,
after parses and compositions asked later). The daemon side has no thread: it
reads what the helper has answered whenever it writes a request or waits for an answer,
so neither side can block the other for good. (concurrent.futures' process pool runs two
threads in the daemon, whose work competes with handling for the interpreter, and a
resource-tracker process besides.) The helper leaves when its stdin closes: when the
daemon stops it, and when the daemon is killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from mailflow.errors import ParseError
from mailflow.mail.compose import Composer
from mailflow.mail.parse import Inbound, parse
from mailflow.service.handoff_sender import Delivery, Sender, Sent

log = logging.getLogger(__name__)
T = TypeVar("T")
ComposerArgs = tuple[str, str, str]  # from address, from name, Message-ID domain

_HEADER = 8  # bytes of a frame's length
_PIPE_SIZE = 1 << 20  # asked of the kernel for each pipe, so that both sides rarely wait
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_STUCK_SECONDS = 60.0  # far beyond any one step: the helper is taken to hang


class HelperStopped(RuntimeError):
    """The helper process is gone: the daemon does the step itself."""


class Pending(Generic[T]):
    """An answer the helper has not handed back yet; `result()` waits for it."""

    def __init__(self, helper: HelperProcess | None) -> None:
        self._helper = helper
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    @property
    def done(self) -> bool:
        """Answered (or failed); after `HelperProcess.poll()` this never waits."""
        return self._done

    def result(self) -> T:
        if not self._done and self._helper is not None:
            self._helper.wait_for(self)
        if self._error is not None:
            raise self._error
        if not self._done:
            raise HelperStopped("the helper process stopped")
        return self._value  # type: ignore[no-any-return]

    def settle(self, value: Any = None, error: BaseException | None = None) -> None:
        self._done, self._value, self._error = True, value, error


class HelperProcess:
    """One helper process; each call returns a Pending at once, never raises."""

    def __init__(self, composer: ComposerArgs) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "mailflow.service.helper_process", *composer],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            env=_finding_this_package(),
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to, self._from = self._process.stdin.fileno(), self._process.stdout.fileno()
        for fd in (self._to, self._from):
            os.set_blocking(fd, False)
            _widen(fd)
        self._waiting: dict[int, Pending[Any]] = {}
        self._asked = 0
        self._received = bytearray()
        self._stopped: str | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        """False once it failed or was stopped: from then on the daemon does every step."""
        return self._stopped is None

    def parse(self, raws: Sequence[bytes]) -> Pending[list[Inbound | None]]:
        """The messages parsed; None for one that is not a mail (handled alone, quarantined)."""
        return self._ask(("parse", list(raws)))

    def compose(self, build: Mapping[str, Any]) -> Pending[bytes]:
        """The bytes of Composer.build(**build) (`rendered` given, so no template is read)."""
        return self._ask(("compose", dict(build)))

    def deliver(self, delivery: Delivery) -> Pending[list[Sent]]:
        """Hand committed mail to the sink, each accepted one written to the delivery's
        journal at once; answered when it is done (mailflow.service.handoff)."""
        return self._ask(("deliver", delivery))

    def poll(self) -> None:
        """Take in every answer that has arrived, without waiting for more."""
        while self._stopped is None and select.select([self._from], [], [], 0)[0]:
            self._read()

    def _ask(self, request: tuple[str, Any]) -> Pending[Any]:
        pending: Pending[Any] = Pending(self)
        if self._stopped is not None:
            pending.settle(error=HelperStopped(self._stopped))
            return pending
        self._asked += 1
        frame = pickle.dumps((self._asked, *request), protocol=pickle.HIGHEST_PROTOCOL)
        self._waiting[self._asked] = pending
        self._write(len(frame).to_bytes(_HEADER, "big") + frame)
        return pending

    def wait_for(self, pending: Pending[Any]) -> None:
        """Read answers until this one is in, or the helper is gone or stuck."""
        while not pending._done and self._stopped is None:
            readable, _, _ = select.select([self._from], [], [], _STUCK_SECONDS)
            if not readable:
                self._stop(f"no answer in {_STUCK_SECONDS:.0f} s")
                self._process.kill()
                return
            self._read()

    def _write(self, data: bytes) -> None:
        """Write a request whole, reading answers meanwhile so that a helper waiting to
        answer can go on reading requests."""
        view = memoryview(data)
        while view and self._stopped is None:
            readable, writable, _ = select.select([self._from], [self._to], [])
            if readable:
                self._read()
            if writable and self._stopped is None:
                try:
                    view = view[os.write(self._to, view) :]
                except BlockingIOError:
                    continue
                except OSError as exc:  # the helper is gone (EPIPE)
                    self._stop(f"could not write to it: {exc}")

    def _read(self) -> None:
        try:
            chunk = os.read(self._from, _PIPE_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            self._stop(f"could not read from it: {exc}")
            return
        if not chunk:
            self._stop(f"it ended (exit status {self._process.poll()})")
            return
        self._received += chunk
        while len(self._received) >= _HEADER:
            size = int.from_bytes(self._received[:_HEADER], "big")
            if len(self._received) < _HEADER + size:
                break
            frame = bytes(self._received[_HEADER : _HEADER + size])
            del self._received[: _HEADER + size]
            asked, ok, value = pickle.loads(frame)
            pending = self._waiting.pop(asked)
            if ok:
                pending.settle(value)
            else:
                pending.settle(error=HelperStopped(value))

    def _stop(self, why: str, quietly: bool = False) -> None:
        """From now on every step is the daemon's; what was asked and not answered fails."""
        if self._stopped is None and not quietly:
            log.warning("the helper process stopped (%s); the daemon does its work", why)
        self._stopped = self._stopped or why
        waiting, self._waiting = self._waiting, {}
        for pending in waiting.values():
            pending.settle(error=HelperStopped(self._stopped))

    def close(self) -> None:
        """Stop the process: its stdin closes, and it leaves."""
        self._stop("stopped with the daemon", quietly=True)
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _finding_this_package() -> dict[str, str]:
    """The environment, with the folder this mailflow was imported from first on the path:
    the helper runs the same code whether mailflow is installed or run from a checkout."""
    here = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": f"{here}{os.pathsep}{path}" if path else here}


def _widen(fd: int) -> None:
    """Ask for a larger pipe (Linux); the default works too, only with more waits."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)


def _parse_all(raws: list[bytes]) -> list[Inbound | None]:
    out: list[Inbound | None] = []
    for raw in raws:
        try:
            out.append(parse(raw))
        except ParseError:
            out.append(None)
    return out


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


class _Answers:
    """The answer stream, written by this loop and by the sender thread: a frame at a time."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._lock = stream, threading.Lock()

    def write(self, asked: int, ok: bool, value: Any) -> None:
        data = pickle.dumps((asked, ok, value), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._stream.write(len(data).to_bytes(_HEADER, "big") + data)
            self._stream.flush()


def serve(composer: Composer, requests: IO[bytes], answers: IO[bytes]) -> None:
    """The helper's loop: a request in, its answer out, until the daemon closes the pipe.
    Deliveries go to the sender thread, which answers them when they are done."""
    out = _Answers(answers)
    sender = Sender(lambda asked, sent: out.write(asked, True, sent))
    try:
        while (header := _read_exactly(requests, _HEADER)) is not None:
            frame = _read_exactly(requests, int.from_bytes(header, "big"))
            if frame is None:
                return
            asked, kind, work = pickle.loads(frame)
            if kind == "deliver":
                sender.put(asked, work)
                continue
            value: object
            try:
                value = _parse_all(work) if kind == "parse" else composer.build(**work).as_bytes()
                ok = True
            except Exception as exc:  # noqa: BLE001 - told to the daemon, which does it itself
                ok, value = False, f"{type(exc).__name__}: {exc}"
            out.write(asked, ok, value)
    finally:
        sender.close()  # the mail in hand is finished and written to its journal


def main(argv: Sequence[str]) -> int:
    # Signals to the whole group (Ctrl-C, systemd's SIGTERM) are for the daemon: it stops
    # after the message in hand and then closes this process's stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.setswitchinterval(0.0005)  # the sender thread, back from the network, goes on soon
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not break the frames
    with contextlib.suppress(BrokenPipeError):  # the daemon is gone
        from_addr, from_name, msgid_domain = argv
        serve(Composer(from_addr, from_name, msgid_domain), sys.stdin.buffer, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What `mailflow run` adds around the daemon when run for real: metrics, the canary, and
the Message-ID of the message in hand on every log line.

It wraps the daemon's source instead of changing the loop: the wrapper times each
message from the moment it is read to the moment its transaction committed (filing at
the source follows, in batches), notes canary mail coming back, and forwards everything
else (IDLE, state, health) to the real source, so the daemon sees the same capabilities
it had.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from mailflow.chain.outcome import Handled
from mailflow.service import logs
from mailflow.service.canary import Canary
from mailflow.service.daemon import Daemon
from mailflow.transport.base import Outcome, RawMessage, Source
from mailflow.transport.factory import open_sink

log = logging.getLogger(__name__)


class Watched:
    """A source as the daemon sees it, with the timing and canary checks in between."""

    def __init__(self, source: Source, canary: Canary | None) -> None:
        self.inner, self.canary = source, canary
        self.started = 0.0

    def fetch(self, limit: int | None = None) -> Iterator[RawMessage]:
        try:
            for raw in self.inner.fetch(limit):
                logs.handling(logs.message_id_in(raw.data))
                if self.canary is not None:
                    self.canary.returned(raw.data)
                self.started = time.perf_counter()
                yield raw
        finally:
            logs.handling(None)

    def ack(self, key: str, outcome: Outcome) -> None:
        self.inner.ack(key, outcome)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # wait / state / health / put_back exist exactly when the real source has them
        return getattr(self.inner, name)


class CanaryThread(threading.Thread):
    """Sends a canary round every interval until stopped; its own SMTP connection."""

    def __init__(self, canary: Canary, every_seconds: float) -> None:
        super().__init__(name="mailflow-canary", daemon=True)
        self.canary, self.every = canary, every_seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.canary.send_round()
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("canary: could not record a round")
            self.stopped.wait(self.every)


def attach(daemon: Daemon) -> Callable[[], None]:
    """Add metrics and the canary as configured; returns what stops them again."""
    settings = daemon.app.settings
    canary = None
    stops: list[Callable[[], None]] = []
    if settings.canary.every_minutes > 0:
        sink = open_sink(settings)
        canary = Canary(daemon.app, sink)
        thread = CanaryThread(canary, settings.canary.every_minutes * 60)
        thread.start()
        stops += [thread.stopped.set, sink.close]
    watched = Watched(daemon.source, canary)
    daemon.source = watched
    if settings.metrics.port:
        # prometheus-client is an optional dependency ([web]): imported only when asked for
        from mailflow.service.metrics import Metrics

        inner = watched.inner
        counted = hasattr(inner, "connections")
        connections = (lambda: int(inner.connections)) if counted else None  # type: ignore[attr-defined]
        metrics = Metrics(daemon.app, connections, daemon.faults)
        previous = daemon.on_message

        def observed(handled: Handled) -> None:
            metrics.handled(str(handled.outcome), time.perf_counter() - watched.started)
            if previous is not None:
                previous(handled)

        daemon.on_message = observed
        metrics.serve(settings.metrics.host, settings.metrics.port)
        log.info("metrics on http://%s:%d/metrics", settings.metrics.host, settings.metrics.port)
        stops.append(metrics.close)

    def detach() -> None:
        for stop in reversed(stops):
            stop()

    return detach

"""The Prometheus endpoint of `mailflow run` (prometheus-client), off unless a port is set.

Counters and the latency histogram live in this process (what the daemon did since it
started); the rest is read from the store when Prometheus scrapes, so the figures hold
whichever daemon wrote them: outbox depth and failures, CRs by stage and overdue, the
last mailbox check of each watcher, and the canary. A fault of the places the daemon
writes to (a full disk, a read-only folder) comes from the daemon itself, so it shows
even when the database cannot be read. Names follow Prometheus's
conventions: a `mailflow_` prefix, base units (seconds), `_total` on counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlmodel import Session, col, func, select

from mailflow.app import App
from mailflow.service import canary_health
from mailflow.service.health import FaultWatch
from mailflow.store.faults import Cause, is_transient
from mailflow.store.heartbeat import all_beats
from mailflow.store.tables import ChangeRequest, OutboxRow

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The daemon's own counters, plus a collector that reads the store at scrape time."""

    def __init__(
        self,
        app: App,
        connections: Callable[[], int] | None = None,
        faults: FaultWatch | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "mailflow_messages",
            "Inbound messages handled, by recorded outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mailflow_message_handling_seconds",
            "Time from reading a message to its outcome committed, per message",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(StoreCollector(app, connections))
        if faults is not None:
            self.registry.register(FaultCollector(faults))
        self._server: object | None = None

    def handled(self, outcome: str, seconds: float) -> None:
        self.messages.labels(outcome=outcome).inc()
        self.latency.observe(seconds)

    def serve(self, host: str, port: int) -> None:
        """Serve /metrics on a thread of its own (prometheus-client's WSGI server)."""
        server, _thread = start_http_server(port, host, registry=self.registry)
        self._server = server

    def close(self) -> None:
        shutdown = getattr(self._server, "shutdown", None)
        if shutdown is not None:
            shutdown()
            getattr(self._server, "server_close", lambda: None)()


class StoreCollector(Collector):
    """Figures read from the database on each scrape (a handful of grouped counts)."""

    def __init__(self, app: App, connections: Callable[[], int] | None) -> None:
        self.app, self.connections = app, connections

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        if self.connections is not None:
            reconnects = CounterMetricFamily(
                "mailflow_imap_reconnects", "IMAP connections opened after the first one"
            )
            reconnects.add_metric([], max(0, self.connections() - 1))
            yield reconnects
        readable = GaugeMetricFamily(
            "mailflow_store_readable", "0 when this scrape could not read the database"
        )
        try:
            figures = list(self._from_store(now))
        except Exception as exc:  # noqa: BLE001 - a scrape must answer while the store is ill
            if not is_transient(exc):
                raise
            figures = []
        readable.add_metric([], 1 if figures else 0)
        yield readable
        yield from figures

    def _from_store(self, now: datetime) -> Iterator[Metric]:
        with self.app.db.session() as session:
            yield from self._outbox(session)
            yield from self._crs(session, now)
            checks = GaugeMetricFamily(
                "mailflow_mailbox_last_check_timestamp_seconds",
                "When each watcher last checked its mailbox successfully (Unix time)",
                labels=["source"],
            )
            for beat in all_beats(session):
                if beat.last_check is not None:
                    checks.add_metric([beat.source], beat.last_check.timestamp())
            yield checks
            yield from self._canary(session, now)

    def _outbox(self, session: Session) -> Iterator[Metric]:
        rows = dict(
            session.exec(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        )
        depth = GaugeMetricFamily("mailflow_outbox_depth", "Outgoing mails waiting to be sent")
        depth.add_metric([], rows.get("pending", 0))
        yield depth
        failed = GaugeMetricFamily(
            "mailflow_outbox_failed", "Outgoing mails that failed for good (see their CR)"
        )
        failed.add_metric([], rows.get("failed", 0))
        yield failed

    def _crs(self, session: Session, now: datetime) -> Iterator[Metric]:
        wf = self.app.workflow
        by_stage = GaugeMetricFamily(
            "mailflow_change_requests", "Change requests by stage", labels=["stage"]
        )
        overdue = GaugeMetricFamily(
            "mailflow_change_requests_overdue",
            "Open CRs waiting at their stage longer than its reminder interval",
            labels=["stage"],
        )
        counts = dict.fromkeys([*(s.name for s in wf.stages), *wf.ends], 0)
        late = dict.fromkeys([s.name for s in wf.stages], 0)
        rows = session.exec(
            select(ChangeRequest.stage, ChangeRequest.entered_at, ChangeRequest.held).where(
                col(ChangeRequest.stage).is_not(None)
            )
        )
        for stage, entered_at, held in rows:
            counts[stage] = counts.get(stage, 0) + 1
            spec = wf.stage(stage)
            if spec is None or held or wf.is_end(stage) or spec.remind_hours <= 0:
                continue
            if (now - entered_at).total_seconds() > spec.remind_hours * 3600:
                late[stage] = late.get(stage, 0) + 1
        for stage, n in counts.items():
            by_stage.add_metric([stage], n)
        for stage, n in late.items():
            overdue.add_metric([stage], n)
        yield by_stage
        yield overdue

    def _canary(self, session: Session, now: datetime) -> Iterator[Metric]:
        settings = self.app.settings.canary
        missed = GaugeMetricFamily(
            "mailflow_canary_missed", "1 when the last canary round trip failed or is overdue"
        )
        conn = session.connection()
        missed.add_metric([], 1 if canary_health.problem(conn, now, settings) else 0)
        yield missed
        back = canary_health.last_success(conn)
        if back is not None and back.returned_at is not None:
            last = GaugeMetricFamily(
                "mailflow_canary_last_success_timestamp_seconds",
                "When the last canary mail that came back had been sent (Unix time)",
            )
            last.add_metric([], back.sent_at.timestamp())
            yield last
            took = GaugeMetricFamily(
                "mailflow_canary_round_trip_seconds", "How long the last canary took to return"
            )
            took.add_metric([], (back.returned_at - back.sent_at).total_seconds())
            yield took


class FaultCollector(Collector):
    """The daemon's write fault: one series per cause, 1 while it lasts, and since when."""

    def __init__(self, faults: FaultWatch) -> None:
        self.faults = faults

    def collect(self) -> Iterator[Metric]:
        current, since = self.faults.current, self.faults.since
        fault = GaugeMetricFamily(
            "mailflow_write_fault",
            "1 while the daemon cannot write where it must (the cause and the place as labels)",
            labels=["cause", "place"],
        )
        for cause in Cause:
            hit = current is not None and current.cause is cause
            fault.add_metric([cause.value, current.where if hit and current else ""], int(hit))
        yield fault
        began = GaugeMetricFamily(
            "mailflow_write_fault_since_timestamp_seconds",
            "When the current write fault began (Unix time); absent when there is none",
        )
        if since is not None:
            began.add_metric([], since.timestamp())
        yield began

"""Files handled messages at their source, many per round trip where the source can.

Filing comes only after a message's transaction has committed, so holding a committed
message back for a while is safe: if the process dies first, the message is still in the
inbox, is read again, and the ledger turns it into a no-op (DESIGN, invariant 2). A
`Batching` source (IMAP) gets one call per `every` messages, one MOVE per folder, instead
of one round trip each; any other source (Maildir: one rename) files each message at once.
"""

from __future__ import annotations

from mailflow.transport.base import Batching, Outcome, Source

FILE_EVERY = 100


class Filing:
    """Committed messages waiting to be filed; `flush()` files them (call it at the end)."""

    def __init__(self, source: Source, every: int | None = None) -> None:
        self.source, self.every = source, max(1, every or FILE_EVERY)
        self._batching = source if isinstance(source, Batching) else None
        self._waiting: list[tuple[str, Outcome]] = []

    def add(self, key: str, outcome: Outcome) -> None:
        """Note one committed message; files the batch once it is full."""
        if self._batching is None:
            self.source.ack(key, outcome)
            return
        self._waiting.append((key, outcome))
        if len(self._waiting) >= self.every:
            self.flush()

    def flush(self) -> None:
        """File what waits. On failure the messages stay in the inbox, to be read again."""
        waiting, self._waiting = self._waiting, []
        if waiting and self._batching is not None:
            self._batching.ack_many(waiting)

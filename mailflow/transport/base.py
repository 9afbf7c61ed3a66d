"""The two interfaces every transport implements, so the daemon never knows which one it has."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Outcome = Literal["processed", "quarantine"]


@dataclass(frozen=True)
class RawMessage:
    """One message as the source holds it; `key` lets the source find it again to file it."""

    key: str
    data: bytes


class Source(Protocol):
    """A mailbox: hand out unread messages, file each one away only once it is handled."""

    def fetch(self, limit: int | None = None) -> Iterator[RawMessage]:
        """Yield messages not yet filed, oldest first, without marking them read."""
        ...

    def ack(self, key: str, outcome: Outcome) -> None:
        """Move a handled message to the processed or quarantine folder."""
        ...

    def close(self) -> None: ...


class Sink(Protocol):
    """Somewhere finished messages are delivered."""

    def send(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> None:
        """Deliver one message or raise TransientSendError / PermanentSendError."""
        ...

    def close(self) -> None: ...

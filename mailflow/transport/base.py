"""The interfaces transports implement, so the daemon never knows which one it has.

Every source is a `Source`; a source that can do more declares it by implementing
`Waiting` (it can block until mail arrives), `Stateful` (it has a position worth
recording in the heartbeat), `HealthReporting` (it knows when its mailbox last
answered) or `Batching` (it files many messages in one round trip). The daemon asks
with isinstance against these declared interfaces.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

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


@runtime_checkable
class Waiting(Protocol):
    """A source that can wait for new mail instead of being polled on a timer."""

    def wait(self, timeout: float) -> bool:
        """Block until mail may be there (True) or `timeout` seconds pass (False)."""
        ...


@runtime_checkable
class Batching(Protocol):
    """A source where filing costs a round trip (IMAP), so many are filed at once."""

    def ack_many(self, items: Sequence[tuple[str, Outcome]]) -> None:
        """File each (key, outcome) as `ack` would; a message already gone is fine."""
        ...


@runtime_checkable
class Stateful(Protocol):
    """A source whose reading position is recorded with each heartbeat."""

    def state(self) -> Mapping[str, Any]: ...


class Health(Protocol):
    """What a source knows about its mailbox's health; `last_check` is the last good answer."""

    @property
    def last_check(self) -> datetime | None: ...


@runtime_checkable
class HealthReporting(Protocol):
    """A source that can say when its mailbox last answered."""

    def health(self) -> Health: ...


@runtime_checkable
class Releasing(Protocol):
    """A source that can take a quarantined message back into its inbox."""

    def put_back(self, key: str, data: bytes) -> None: ...


class Sink(Protocol):
    """Somewhere finished messages are delivered."""

    def send(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> None:
        """Deliver one message or raise TransientSendError / PermanentSendError."""
        ...

    def close(self) -> None: ...

"""Build the configured source and sink; the embedded default is Maildir in the data folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailflow.transport.base import Sink, Source

if TYPE_CHECKING:  # the helper process opens a sink without loading the configuration
    from mailflow.config.settings import Settings


def source_name(settings: Settings) -> str:
    """A stable name for the configured mailbox: the heartbeat's key."""
    if settings.source_kind == "imap":
        imap = settings.imap
        return f"imap://{imap.username}@{imap.host}/{imap.inbox}"
    return f"maildir:{settings.maildir_root}"


def open_source(settings: Settings, state: dict[str, Any] | None = None) -> Source:
    """The configured mailbox; an IMAP source resumes from the saved UIDVALIDITY/UID state."""
    if settings.source_kind == "imap":
        from mailflow.transport.imap import ImapSource

        return ImapSource(settings.imap, state or None)
    from mailflow.transport.maildir import MaildirSource

    return MaildirSource(settings.maildir_root)


def open_sink(settings: Settings) -> Sink:
    if settings.sink_kind == "smtp":
        from mailflow.transport.smtp import SmtpSink

        return SmtpSink(settings.smtp)
    from mailflow.transport.maildir import MaildirSink

    return MaildirSink(settings.maildir_root)


# How another process opens the same sink: a kind and what it is opened with (both pickled).
SinkRecipe = tuple[str, Any]


def sink_recipe(sink: Sink) -> SinkRecipe | None:
    """The recipe of a sink this module opens; None for any other (a test's, say)."""
    from mailflow.transport.maildir import MaildirSink
    from mailflow.transport.smtp import SmtpSink

    if type(sink) is SmtpSink:
        return ("smtp", sink.settings)
    if type(sink) is MaildirSink:
        return ("maildir", (str(sink.root), sink.folder))
    return None


def sink_from_recipe(recipe: SinkRecipe) -> Sink:
    kind, made_with = recipe
    if kind == "smtp":
        from mailflow.transport.smtp import SmtpSink

        return SmtpSink(made_with)
    from mailflow.transport.maildir import MaildirSink

    root, folder = made_with
    return MaildirSink(Path(root), folder)

"""Build the configured source and sink; the embedded default is Maildir in the data folder."""

from __future__ import annotations

from mailflow.config import Settings
from mailflow.transport.base import Sink, Source


def open_source(settings: Settings) -> Source:
    if settings.source_kind == "imap":
        from mailflow.transport.imap import ImapSource

        return ImapSource(settings.imap)
    from mailflow.transport.maildir import MaildirSource

    return MaildirSource(settings.maildir_root)


def open_sink(settings: Settings) -> Sink:
    if settings.sink_kind == "smtp":
        from mailflow.transport.smtp import SmtpSink

        return SmtpSink(settings.smtp)
    from mailflow.transport.maildir import MaildirSink

    return MaildirSink(settings.maildir_root)

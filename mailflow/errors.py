"""The few exceptions a caller acts on; the CLI turns each into one line and an exit code."""


class MailflowError(Exception):
    """Base of every error mailflow reports to a person; its text is the whole message."""

    exit_code = 1


class ConfigError(MailflowError):
    """A configuration or workflow file is wrong; the text names the file and the key."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class NotFound(MailflowError):
    """A CR, person or account named on the command line does not exist."""

    exit_code = 3


class ParseError(MailflowError):
    """A message could not be read at all; it goes to quarantine with this reason."""


class SourceError(MailflowError):
    """The mailbox could not be reached or answered wrongly; the watcher reconnects."""


class TransientSendError(MailflowError):
    """Delivery failed in a way worth retrying (4xx, refused connection, timeout)."""


class PermanentSendError(MailflowError):
    """Delivery was refused for good (5xx); recorded on the CR and reported to ops."""


class TransientError(MailflowError):
    """The store or a server failed in a way that is not the message's fault (locked, down,
    out of space, connection lost): the work is left where it is and tried again later."""


class HandleLater(MailflowError):
    """Handling a message failed but it has not used up its attempts; it stays at its source."""


class NoSchemaYet(MailflowError):
    """A database mailflow never set up, opened by a command that only reads: it stays empty."""


class SchemaOutdated(MailflowError):
    """The database's schema is older than the code; `mailflow db upgrade` brings it up."""

    exit_code = 4

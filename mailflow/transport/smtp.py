"""Deliver outgoing mail to an SMTP server and say whether a failure is worth retrying.

The outbox retries TransientSendError with backoff and records PermanentSendError on the CR,
so the one job here beyond talking SMTP is sorting failures: 4xx replies, refused or dropped
connections and timeouts are transient; a 5xx reply about the message or its recipients is
permanent. Problems of our own setup (bad password, untrusted certificate, no STARTTLS) are
transient on purpose: the mail itself is fine and goes out once the configuration is fixed.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Sequence

from mailflow.config.servers import SMTP_DEFAULT_PORTS as _DEFAULT_PORTS
from mailflow.config.servers import SmtpSettings as SmtpSettings
from mailflow.errors import PermanentSendError, TransientSendError
from mailflow.transport.oauth import TokenError, access_token, xoauth2


class RecipientsRefused(PermanentSendError):
    """Some or all recipients were refused for good; `accepted` did receive the message."""

    def __init__(
        self, message: str, refused: dict[str, tuple[int, bytes]], accepted: list[str]
    ) -> None:
        super().__init__(message)
        self.refused = dict(refused)
        self.accepted = list(accepted)


class SmtpSink:
    """Sends through one lazily opened connection, reopened when the server has dropped it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> None:
        """Deliver to every recipient or raise; a partial refusal is permanent for those named.

        A refusal of some recipients raises RecipientsRefused naming who was refused and who
        did get the message, so the caller never sends it to anyone twice.
        """
        sender = envelope_from or self.settings.envelope_from
        rcpts = list(recipients)
        if not rcpts:
            raise PermanentSendError("SMTP: a message needs at least one recipient")
        reused = self._smtp is not None
        try:
            try:
                refused = self._connection().sendmail(sender, rcpts, data)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                if not reused:
                    raise
                self._drop()
                refused = self._connection().sendmail(sender, rcpts, data)
        except smtplib.SMTPRecipientsRefused as exc:
            self._drop()
            raise self._refusal(exc.recipients, accepted=[]) from exc
        except smtplib.SMTPAuthenticationError as exc:
            self._drop()
            raise TransientSendError(
                f"SMTP {self.settings.address} refused login as {self.settings.username!r}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            error = PermanentSendError if 500 <= exc.smtp_code < 600 else TransientSendError
            raise error(
                f"SMTP {self.settings.address} answered {_reply(exc.smtp_code, exc.smtp_error)} "
                f"for mail to {', '.join(rcpts)}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise TransientSendError(
                f"SMTP {self.settings.address} failed for mail to {', '.join(rcpts)}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if refused:
            accepted = [r for r in rcpts if r not in refused]
            raise self._refusal(refused, accepted)

    def _refusal(
        self, refused: dict[str, tuple[int, bytes]], accepted: list[str]
    ) -> RecipientsRefused | TransientSendError:
        listing = "; ".join(f"{addr}: {_reply(*reply)}" for addr, reply in refused.items())
        text = f"SMTP {self.settings.address} refused recipients {listing}"
        if accepted or any(500 <= code < 600 for code, _ in refused.values()):
            return RecipientsRefused(text, refused, accepted)
        return TransientSendError(text)

    def _connection(self) -> smtplib.SMTP:
        """The open connection, or a new one: the server may have closed an idle one since."""
        if self._smtp is not None:
            return self._smtp
        settings = self.settings
        port = settings.port or _DEFAULT_PORTS[settings.security]
        timeout = settings.timeout_seconds
        smtp: smtplib.SMTP
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(
                settings.host, port, timeout=timeout, context=self._ssl_context()
            )
        else:
            smtp = smtplib.SMTP(settings.host, port, timeout=timeout)
        try:
            if settings.security == "starttls":
                smtp.starttls(context=self._ssl_context())
            if settings.auth == "xoauth2":
                self._oauth_login(smtp)
            elif settings.username:
                smtp.login(settings.username, settings.password)
        except BaseException:
            with contextlib.suppress(Exception):
                smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _oauth_login(self, smtp: smtplib.SMTP) -> None:
        """XOAUTH2 with a token read afresh: Microsoft 365 and Gmail refuse passwords."""
        settings = self.settings
        try:
            token = access_token(
                settings.token_command, settings.token_file, settings.timeout_seconds
            )
        except TokenError as exc:
            raise TransientSendError(f"SMTP {exc}") from exc
        smtp.ehlo_or_helo_if_needed()
        smtp.auth(
            "XOAUTH2",
            lambda challenge=None: xoauth2(settings.username, token),
            initial_response_ok=True,
        )

    def _ssl_context(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(Exception):
                self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        """Say QUIT when the connection still lives, then forget it."""
        if self._smtp is not None:
            with contextlib.suppress(Exception):
                self._smtp.quit()
        self._drop()


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {message}".strip()

"""Open one authenticated IMAP connection from settings: TLS, password or OAuth2 login, timeouts.

Kept apart from the source so the rules about what makes a connection safe (verified
certificates, plaintext only when asked for, a fresh OAuth2 token on every login) live in one
short place, and so the source only ever sees a ready client or a SourceError it can act on.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import LoginError

from mailflow.config.servers import ImapSettings as ImapSettings
from mailflow.errors import SourceError
from mailflow.transport.oauth import TokenError, access_token

# What a lost or unreachable server looks like; anything else is a real answer from it.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, imaplib.IMAP4.abort)


class TemporaryLoginFailure(ConnectionError):
    """The server could not check credentials right now ([UNAVAILABLE]); worth retrying."""


def read_token(settings: ImapSettings) -> str:
    """The current OAuth2 access token for this mailbox (see transport/oauth.py)."""
    try:
        return access_token(settings.token_command, settings.token_file, settings.timeout_seconds)
    except TokenError as exc:
        raise SourceError(f"IMAP {exc}") from exc


def _ssl_context(settings: ImapSettings) -> ssl.SSLContext:
    cafile = str(settings.ca_file) if settings.ca_file else None
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)


def _starttls(client: IMAPClient, settings: ImapSettings) -> None:
    try:
        client.starttls(_ssl_context(settings))
    except ssl.SSLCertVerificationError as exc:
        raise SourceError(f"IMAP {settings.address}: certificate not trusted: {exc}") from exc
    except imaplib.IMAP4.abort as exc:
        raise SourceError(f"IMAP {settings.address} does not offer STARTTLS: {exc}") from exc


def _discard(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):
        client.shutdown()


def _login(client: IMAPClient, settings: ImapSettings) -> None:
    if settings.auth == "password":
        client.login(settings.username, settings.password)
    elif settings.auth == "xoauth2":
        client.oauth2_login(settings.username, read_token(settings))
    else:
        client.oauthbearer_login(settings.username, read_token(settings))


def open_connection(settings: ImapSettings) -> IMAPClient:
    """Connect, secure and log in; raise SourceError for what retrying will not fix.

    Connection-level failures (refused, reset, timeout, a temporarily unavailable auth
    backend) propagate as CONNECTION_ERRORS so the caller backs off and retries; a bad
    certificate or rejected credentials become a SourceError naming the server and user.
    """
    timeout = SocketTimeout(connect=settings.timeout_seconds, read=settings.timeout_seconds)
    try:
        client = IMAPClient(
            settings.host,
            settings.effective_port,
            ssl=settings.security == "tls",
            ssl_context=_ssl_context(settings) if settings.security == "tls" else None,
            timeout=timeout,
        )
    except ssl.SSLCertVerificationError as exc:
        raise SourceError(f"IMAP {settings.address}: certificate not trusted: {exc}") from exc
    try:
        if settings.security == "starttls":
            _starttls(client, settings)
        _login(client, settings)
    except LoginError as exc:
        _discard(client)
        text = str(exc)
        if "[UNAVAILABLE]" in text:
            raise TemporaryLoginFailure(text) from exc
        raise SourceError(
            f"IMAP login as {settings.username!r} at {settings.address} "
            f"({settings.auth}) was refused: {text}"
        ) from exc
    except BaseException:
        _discard(client)
        raise
    return client

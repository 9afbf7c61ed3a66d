"""IMAP login against a real Dovecot: passwords, OAuth2 tokens, TLS, and unreachable servers."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from mailflow.errors import ConfigError, SourceError
from mailflow.transport.imap import ImapSettings, ImapSource
from mailflow.transport.imap_connect import read_token
from tests.servers import ImapAccount, free_port


def test_login_refused_is_a_source_error_naming_the_user(imap_account: ImapAccount) -> None:
    source = ImapSource(imap_account.settings(password="wrong"))
    with pytest.raises(SourceError, match=f"login as '{imap_account.username}'.*refused"):
        list(source.fetch())
    assert "refused" in (source.health().last_error or "")


def test_unreachable_server_gives_up_after_retry_seconds(imap_account: ImapAccount) -> None:
    settings = imap_account.settings(port=free_port(), retry_seconds=0.3)
    source = ImapSource(settings)
    started = time.monotonic()
    with pytest.raises(SourceError, match="unreachable"):
        list(source.fetch())
    assert source.wait(0.3) is False
    assert time.monotonic() - started < settings.timeout_seconds, "gave up, did not hang"
    health = source.health()
    assert not health.connected and health.outage_since is not None
    assert "ConnectionRefusedError" in (health.last_error or "")


def test_token_is_read_from_a_command_and_from_a_file(tmp_path: Path) -> None:
    command = ImapSettings(
        host="h", username="u", auth="xoauth2", token_command="printf ' tok-1\\n'"
    )
    assert read_token(command) == "tok-1"
    token_file = tmp_path / "token"
    token_file.write_text("tok-2\n")
    from_file = ImapSettings(host="h", username="u", auth="oauthbearer", token_file=token_file)
    assert read_token(from_file) == "tok-2"
    token_file.write_text("tok-3\n")
    assert read_token(from_file) == "tok-3", "read afresh each time"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"token_command": "false"}, "exited with 1"),
        ({"token_command": "/nonexistent/token-helper"}, "token command"),
        ({"token_command": "true"}, "empty access token"),
        ({"token_file": "/nonexistent/token"}, "IMAP cannot read token file"),
    ],
)
def test_token_problems_are_source_errors(overrides: dict[str, str], problem: str) -> None:
    settings = ImapSettings(host="h", username="u", auth="xoauth2", **overrides)
    with pytest.raises(SourceError, match=problem):
        read_token(settings)


def test_oauth_needs_a_token_source() -> None:
    with pytest.raises(ConfigError, match="token_command or token_file"):
        ImapSettings(host="h", username="u", auth="xoauth2")


@pytest.mark.parametrize(
    ("auth", "method"), [("xoauth2", "oauth2_login"), ("oauthbearer", "oauthbearer_login")]
)
def test_every_login_passes_a_freshly_read_token(
    imap_account: ImapAccount,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    auth: str,
    method: str,
) -> None:
    """Dovecot here has no OAuth2 backend, so the login call is observed, then done by password."""
    from imapclient import IMAPClient

    seen: list[tuple[str, str]] = []

    def fake_login(self: IMAPClient, user: str, token: str) -> None:
        seen.append((user, token))
        self.login(user, imap_account.password)

    monkeypatch.setattr(IMAPClient, method, fake_login)
    token_file = tmp_path / "token"
    token_file.write_text("first\n")
    source = ImapSource(imap_account.settings(auth=auth, token_file=token_file))
    assert list(source.fetch()) == []
    source._session._drop()  # the connection is gone; the next call logs in again
    token_file.write_text("second\n")
    assert list(source.fetch()) == []
    assert seen == [(imap_account.username, "first"), (imap_account.username, "second")]
    source.close()


class TlsImapStub:
    """A TLS listener with a self-signed certificate that greets like IMAP and refuses logins.

    Enough to tell a refused certificate (the handshake fails) from an accepted one (the
    handshake succeeds and the login is refused).
    """

    def __init__(self, folder: Path) -> None:
        self.cert, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
             "-keyout", str(key), "-out", str(self.cert), "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] stub ready\r\n")
                    while line := tls.recv(4096):
                        tag = line.split(b" ", 1)[0]
                        tls.sendall(tag + b" NO [AUTHENTICATIONFAILED] refused\r\n")
            except (OSError, ssl.SSLError):
                continue

    def close(self) -> None:
        self.listener.close()


def test_tls_verifies_certificates_by_default(imap_account: ImapAccount, tmp_path: Path) -> None:
    """A self-signed certificate is refused unless its CA is named; with it, the login runs."""
    stub = TlsImapStub(tmp_path)
    try:
        tls = {"host": "127.0.0.1", "port": stub.port, "security": "tls", "retry_seconds": 0.2}
        source = ImapSource(imap_account.settings(**tls))
        with pytest.raises(SourceError):
            list(source.fetch())
        assert "CERTIFICATE_VERIFY_FAILED" in (source.health().last_error or "")
        trusting = ImapSource(imap_account.settings(**tls, ca_file=str(stub.cert)))
        with pytest.raises(SourceError, match="refused"):
            list(trusting.fetch())
        assert "CERTIFICATE_VERIFY_FAILED" not in (trusting.health().last_error or "")
    finally:
        stub.close()

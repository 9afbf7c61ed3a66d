"""SMTP with OAuth2 (XOAUTH2) against a real aiosmtpd server that checks the bearer token."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from mailflow.errors import ConfigError, TransientSendError
from mailflow.transport.smtp import SmtpSettings, SmtpSink
from tests.dovecot_server import free_port


class OAuthHandler:
    """Accepts XOAUTH2 only with the current token; records what it delivered."""

    def __init__(self) -> None:
        self.valid_token = "tok-1"
        self.logins: list[str] = []
        self.received: list[bytes] = []

    async def auth_XOAUTH2(self, server, args):  # noqa: N802 - aiosmtpd's naming
        raw = args[1] if len(args) > 1 else await server.challenge_auth("")
        text = base64.b64decode(raw).decode() if isinstance(raw, str | bytes) else ""
        fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
        self.logins.append(text)
        ok = fields.get("auth") == f"Bearer {self.valid_token}"
        return AuthResult(success=ok, handled=False, auth_data=fields.get("user"))

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(bytes(envelope.original_content))
        return "250 OK"


@pytest.fixture
def oauth_server() -> Iterator[tuple[OAuthHandler, int]]:
    handler = OAuthHandler()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, auth_require_tls=False, auth_required=True
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MAIL = b"From: approvals@ft.example\r\nTo: dana@acme.example\r\nSubject: t\r\n\r\nhello\r\n"


def test_xoauth2_login_reads_the_token_afresh(tmp_path: Path, oauth_server) -> None:
    handler, port = oauth_server
    token = tmp_path / "token"
    token.write_text("tok-1\n")
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="plain",
        auth="xoauth2",
        username="approvals@ft.example",
        token_file=token,
        timeout_seconds=5,
    )
    sink = SmtpSink(settings)
    sink.send("approvals@ft.example", ["dana@acme.example"], MAIL)
    sink.close()
    assert handler.received and handler.logins[0].startswith("user=approvals@ft.example\x01")
    handler.valid_token = "tok-2"
    with pytest.raises(TransientSendError):
        sink.send("approvals@ft.example", ["dana@acme.example"], MAIL)
    sink.close()
    token.write_text("tok-2\n")
    sink.send("approvals@ft.example", ["dana@acme.example"], MAIL)
    sink.close()
    assert len(handler.received) == 2


def test_xoauth2_token_from_a_command(oauth_server) -> None:
    handler, port = oauth_server
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="plain",
        auth="xoauth2",
        username="approvals@ft.example",
        token_command="echo tok-1",
    )
    sink = SmtpSink(settings)
    sink.send("approvals@ft.example", ["dana@acme.example"], MAIL)
    sink.close()
    assert len(handler.received) == 1


def test_xoauth2_needs_a_token_source() -> None:
    with pytest.raises(ConfigError, match="token_command or token_file"):
        SmtpSettings(host="h", auth="xoauth2", username="u")

"""IMAP OAuth2 for real: Dovecot checks each XOAUTH2 / OAUTHBEARER token against a token
introspection endpoint (a small HTTP server here, as Microsoft's or Google's would be)."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from mailflow.errors import SourceError
from mailflow.transport.imap import ImapSource
from mailflow.transport.imap_connect import ImapSettings
from tests.dovecot_server import Dovecot, free_port
from tests.servers import _require_dovecot

VALID = {"tok-current": "user1"}


class Introspection(BaseHTTPRequestHandler):
    """RFC 7662 token introspection: active only for the tokens in VALID."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        token = (form.get("token") or [""])[0]
        user = VALID.get(token)
        body = json.dumps({"active": bool(user), "username": user or ""}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def oauth_dovecot() -> Iterator[Dovecot]:
    _require_dovecot()
    http = HTTPServer(("127.0.0.1", 0), Introspection)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    server = Dovecot(
        dir=Path(tempfile.mkdtemp(prefix="dovecot-oauth-")), port=free_port(), lmtp_port=free_port()
    )
    server.setup()
    (server.dir / "oauth2.conf.ext").write_text(
        "introspection_mode = post\n"
        f"introspection_url = http://127.0.0.1:{http.server_address[1]}/introspect\n"
        "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
    )
    text = server.config.read_text().replace(
        "auth_mechanisms = plain login", "auth_mechanisms = plain login xoauth2 oauthbearer"
    )
    text = text.replace(
        "passdb {",
        "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 "
        f"oauthbearer\n  args = {server.dir}/oauth2.conf.ext\n}}\npassdb {{",
        1,
    )
    server.config.write_text(text)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        http.shutdown()
        shutil.rmtree(server.dir, ignore_errors=True)


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_oauth2_login_with_a_token_from_a_command(oauth_dovecot, tmp_path, mechanism) -> None:
    oauth_dovecot.append("user1", [b"From: a@b.example\r\nSubject: x\r\n\r\nhi\r\n"])
    token_file = tmp_path / "token"
    token_file.write_text("tok-current\n")
    settings = ImapSettings(
        host=oauth_dovecot.host,
        port=oauth_dovecot.port,
        security="plain",
        username="user1",
        auth=mechanism,
        token_command=f"cat {token_file}",
        timeout_seconds=5,
        retry_seconds=1,
        backoff_initial_seconds=0.05,
    )
    source = ImapSource(settings)
    got = [m.data for m in source.fetch()]
    assert got and all(data.startswith(b"From: a@b.example") for data in got)
    source.close()


def test_an_expired_token_is_refused_with_a_clear_error(oauth_dovecot, tmp_path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("tok-expired\n")
    settings = ImapSettings(
        host=oauth_dovecot.host,
        port=oauth_dovecot.port,
        security="plain",
        username="user1",
        auth="xoauth2",
        token_file=token_file,
        timeout_seconds=5,
        retry_seconds=1,
        backoff_initial_seconds=0.05,
    )
    source = ImapSource(settings)
    with pytest.raises(SourceError):
        list(source.fetch())
    source.close()

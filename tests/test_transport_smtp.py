"""SMTP sink against a real in-process SMTP server: delivery, and how each failure is sorted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailflow.errors import ConfigError, PermanentSendError, TransientSendError
from mailflow.transport.smtp import RecipientsRefused, SmtpSettings, SmtpSink
from tests.servers import SmtpServer, free_port

MESSAGE = b"From: mailflow@example.org\r\nSubject: CR-7 approve?\r\n\r\nPlease reply.\r\n"
FROM = "mailflow@example.org"


@pytest.fixture
def sink(smtp_server: SmtpServer) -> Iterator[SmtpSink]:
    settings = SmtpSettings(
        host=smtp_server.host, port=smtp_server.port, security="plain", timeout_seconds=3
    )
    sink = SmtpSink(settings)
    yield sink
    sink.close()


def test_delivers_with_the_envelope(smtp_server: SmtpServer, sink: SmtpSink) -> None:
    sink.send(FROM, ["bob@example.org", "carol@example.org"], MESSAGE)
    sink.send(FROM, ["dave@example.org"], MESSAGE)
    first, second = smtp_server.received
    assert first.mail_from == FROM
    assert first.rcpt_tos == ("bob@example.org", "carol@example.org")
    assert first.data == MESSAGE
    assert second.rcpt_tos == ("dave@example.org",)


def test_configured_envelope_sender_is_the_default(smtp_server: SmtpServer) -> None:
    settings = SmtpSettings(
        host=smtp_server.host,
        port=smtp_server.port,
        security="plain",
        envelope_from="bounces@example.org",
    )
    sink = SmtpSink(settings)
    sink.send("", ["bob@example.org"], MESSAGE)
    sink.close()
    assert smtp_server.received[0].mail_from == "bounces@example.org"


def test_4xx_is_transient(smtp_server: SmtpServer, sink: SmtpSink) -> None:
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(TransientSendError, match="451 4.3.0 Try again later.*bob@example.org"):
        sink.send(FROM, ["bob@example.org"], MESSAGE)
    smtp_server.handler.data_reply = None
    sink.send(FROM, ["bob@example.org"], MESSAGE)
    assert len(smtp_server.received) == 1


def test_5xx_is_permanent_and_names_reply_and_recipient(
    smtp_server: SmtpServer, sink: SmtpSink
) -> None:
    smtp_server.handler.data_reply = "554 5.7.1 Message rejected as spam"
    with pytest.raises(PermanentSendError, match="554 5.7.1 Message rejected as spam.*bob@"):
        sink.send(FROM, ["bob@example.org"], MESSAGE)
    assert smtp_server.received == []


def test_every_recipient_refused_5xx_is_permanent(smtp_server: SmtpServer, sink: SmtpSink) -> None:
    smtp_server.handler.refuse["bob@example.org"] = "550 5.1.1 No such user"
    with pytest.raises(PermanentSendError, match="bob@example.org: 550 5.1.1 No such user"):
        sink.send(FROM, ["bob@example.org"], MESSAGE)


def test_every_recipient_refused_4xx_is_transient(smtp_server: SmtpServer, sink: SmtpSink) -> None:
    smtp_server.handler.refuse["bob@example.org"] = "452 4.2.2 Mailbox full"
    with pytest.raises(TransientSendError, match="452 4.2.2 Mailbox full"):
        sink.send(FROM, ["bob@example.org"], MESSAGE)


def test_partial_refusal_is_permanent_and_lists_who(
    smtp_server: SmtpServer, sink: SmtpSink
) -> None:
    smtp_server.handler.refuse["bob@example.org"] = "550 5.1.1 No such user"
    with pytest.raises(RecipientsRefused, match="bob@example.org: 550") as caught:
        sink.send(FROM, ["bob@example.org", "carol@example.org"], MESSAGE)
    assert isinstance(caught.value, PermanentSendError)
    assert caught.value.accepted == ["carol@example.org"]
    assert list(caught.value.refused) == ["bob@example.org"]
    assert smtp_server.received[0].rcpt_tos == ("carol@example.org",)


def test_server_down_is_transient_then_delivers_when_back(
    smtp_server: SmtpServer, sink: SmtpSink
) -> None:
    sink.send(FROM, ["bob@example.org"], MESSAGE)
    smtp_server.stop()
    with pytest.raises(TransientSendError, match="ConnectionRefusedError"):
        sink.send(FROM, ["bob@example.org"], MESSAGE)
    smtp_server.start()
    sink.send(FROM, ["carol@example.org"], MESSAGE)
    assert [r.rcpt_tos for r in smtp_server.received] == [
        ("bob@example.org",),
        ("carol@example.org",),
    ]


def test_reused_connection_survives_a_server_restart(
    smtp_server: SmtpServer, sink: SmtpSink
) -> None:
    sink.send(FROM, ["bob@example.org"], MESSAGE)
    smtp_server.restart()
    sink.send(FROM, ["carol@example.org"], MESSAGE)
    assert len(smtp_server.received) == 2


def test_nobody_listening_is_transient() -> None:
    sink = SmtpSink(SmtpSettings(host="127.0.0.1", port=free_port(), security="plain"))
    with pytest.raises(TransientSendError):
        sink.send(FROM, ["bob@example.org"], MESSAGE)


def test_starttls_missing_is_transient_not_a_plaintext_fallback(
    smtp_server: SmtpServer,
) -> None:
    settings = SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="starttls")
    with pytest.raises(TransientSendError, match="STARTTLS"):
        SmtpSink(settings).send(FROM, ["bob@example.org"], MESSAGE)
    assert smtp_server.received == []


def test_bad_security_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="smtp security"):
        SmtpSettings(host="h", security="ssl")  # type: ignore[arg-type]

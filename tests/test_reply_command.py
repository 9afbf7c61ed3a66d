"""`mailflow reply`: the reply a person's mail client would send, so a CR moves by hand.

Under the default `token` policy a reply counts only when it answers the very mail
mailflow sent that address at the CR's current step; these tests show that the written
reply does (the CR moves under the real policy), and that it is refused where it would
be a forgery in a real mailbox.
"""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlmodel import select

from mailflow.app import build_app
from mailflow.cli.main import main
from mailflow.store.message_tables import OutboxRow
from mailflow.store.tables import ChangeRequest
from tests.helpers import EXAMPLE_CONFIG
from tests.servers import ImapAccount


def _config(tmp_path: Path) -> Path:
    text = EXAMPLE_CONFIG.read_text().replace(
        'data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"'
    )
    path = tmp_path / "mailflow.toml"
    path.write_text(text)
    return path


def _open_cr(config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert (
        main(
            [
                *("cr", "new", "--account", "acme", "--title", "Loyalty points"),
                *("--by", "priya@ft.example", "--config", str(config)),
            ]
        )
        == 0
    )
    found = re.search(r"CR-\d{4}-\d{4}", capsys.readouterr().out)
    assert found
    return found.group(0)


def _stage(config: Path, cr_id: str) -> str:
    app = build_app(config)
    try:
        with app.db.session() as session:
            cr = session.get(ChangeRequest, cr_id)
            assert cr is not None
            return cr.stage
    finally:
        app.close()


def _sent_to(config: Path, cr_id: str, address: str) -> str:
    app = build_app(config)
    try:
        with app.db.session() as session:
            rows = session.exec(select(OutboxRow).where(OutboxRow.cr_id == cr_id)).all()
        return [r.message_id for r in rows if address in r.recipients][-1]
    finally:
        app.close()


def test_a_written_reply_moves_the_cr_under_the_token_policy(tmp_path, capsys):
    config = _config(tmp_path)
    cr_id = _open_cr(config, capsys)
    asked = _sent_to(config, cr_id, "integration@ft.example")
    code = main(
        ["reply", cr_id, "--as", "Integration@FT.example", "IS CR", "--config", str(config)]
    )
    assert code == 0
    assert "mailflow run --once" in capsys.readouterr().out
    inbox = list((tmp_path / "data" / "mail" / "inbox" / "new").iterdir())
    assert len(inbox) == 1
    mail = email.message_from_bytes(inbox[0].read_bytes(), policy=default_policy)
    assert str(mail["In-Reply-To"]).strip() == asked
    assert asked in str(mail["References"])
    assert str(mail["From"]) == "Integration Team <integration@ft.example>"
    assert str(mail["Subject"]).startswith(f"RE: [{cr_id}]")
    body = mail.get_body(("plain",))
    assert body is not None and body.get_content().startswith("IS CR\n")
    assert "> " in body.get_content(), "the request is quoted below, as a mail client does"
    assert _stage(config, cr_id) == "triage"
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert _stage(config, cr_id) == "in_principle"


def test_each_argument_is_a_line_of_the_reply(tmp_path, capsys):
    config = _config(tmp_path)
    cr_id = _open_cr(config, capsys)
    argv = ["reply", cr_id, "--as", "integration@ft.example", "IS CR", "Thanks, Priya"]
    assert main([*argv, "--config", str(config)]) == 0
    (written,) = (tmp_path / "data" / "mail" / "inbox" / "new").iterdir()
    mail = email.message_from_bytes(written.read_bytes(), policy=default_policy)
    body = mail.get_body(("plain",))
    assert body is not None and body.get_content().startswith("IS CR\nThanks, Priya\n")


def test_no_reply_from_someone_who_was_sent_nothing(tmp_path, capsys):
    config = _config(tmp_path)
    cr_id = _open_cr(config, capsys)
    assert main(["reply", cr_id, "--as", "dana@acme.example", "APPROVED", "-c", str(config)]) == 3
    assert "no mail about" in capsys.readouterr().err
    assert not (tmp_path / "data" / "mail" / "inbox").exists()


IMAP = """
[source.imap]
host = "{host}"
port = {port}
security = "plain"
username = "{user}"
password = "{password}"
timeout_seconds = 5
"""


def _imap_config(tmp_path: Path, account: ImapAccount) -> Path:
    block = IMAP.format(
        host=account.host, port=account.port, user=account.username, password=account.password
    )
    text = _config(tmp_path).read_text().replace('kind = "maildir"', 'kind = "imap"', 1) + block
    path = tmp_path / "imap.toml"
    path.write_text(text)
    return path


def test_a_real_mailbox_needs_i_know_and_then_gets_the_reply(tmp_path, capsys, imap_account):
    config = _imap_config(tmp_path, imap_account)
    cr_id = _open_cr(config, capsys)
    argv = ["reply", cr_id, "--as", "integration@ft.example", "IS CR", "--config", str(config)]
    assert main(argv) == 1
    assert "--i-know" in capsys.readouterr().err
    assert imap_account.uids() == []
    assert main([*argv, "--i-know"]) == 0
    (uid,) = imap_account.uids()
    with imap_account.client() as client:
        client.select_folder("INBOX")
        data = client.fetch([uid], ["RFC822"])[uid][b"RFC822"]
    mail = email.message_from_bytes(data, policy=default_policy)
    assert str(mail["In-Reply-To"]).strip() == _sent_to(config, cr_id, "integration@ft.example")

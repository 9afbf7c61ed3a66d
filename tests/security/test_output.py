"""What mailflow writes must stay safe: headers, HTML, file names, sizes, sending rates."""

from __future__ import annotations

import email
import json
import zipfile
from email.policy import default as default_policy
from hashlib import sha256

import pytest
from sqlmodel import select

from mailflow.chain.intake import open_cr
from mailflow.cli.main import main
from mailflow.security import held_back
from mailflow.store.message_tables import Blob, OutboxRow
from mailflow.store.tables import AttachmentLink, Evidence
from tests.helpers import EXAMPLE_CONFIG, Desk
from tests.security.kit import adjust, attack, fill, html_of, text_of, told, walk_to


def _headers_clean(data: bytes) -> None:
    msg = email.message_from_bytes(data, policy=default_policy)
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\r\nX-Injected:" not in head
    assert b"mallory" not in b"".join(
        line for line in head.split(b"\r\n") if not line.startswith(b"Subject:")
    ), "the injected words stay inside the one-line subject"


def test_crlf_in_a_subject_cannot_add_headers(desk):
    desk.send(fill(desk, "", "crlf-injection-in-subject.eml"))
    rows = desk.outbox()
    assert rows, "the request was opened and answered"
    for row in rows:
        _headers_clean(row.data)
        assert row.recipients != ["mallory@evil.example"]
    assert "\n" not in desk.cr(f"CR-{desk.clock.now.year}-0001").title


def test_crlf_in_reply_text_cannot_add_headers(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "crlf-injection-in-reply-text.eml")
    assert not out.moved and out.answers == [("explain/unclear", told("dana@acme.example"))]
    for data in out.answer_data:
        _headers_clean(data)


def test_a_title_given_on_the_command_line_cannot_add_headers(desk):
    with desk.app.db.transaction() as session:
        open_cr(
            desk.app,
            session,
            account="acme",
            title="Export\r\nBcc: mallory@evil.example\r\nX-Injected: yes",
            description="x",
            opened_by="priya@ft.example",
            now=desk.clock(),
        )
    for row in desk.outbox():
        _headers_clean(row.data)


def test_markup_in_a_reply_is_escaped_in_the_html_part(desk):
    cr = walk_to(desk, "in_principle")
    out = attack(desk, cr, "html-injection-in-reply.eml")
    assert not out.moved
    html = html_of(out.answer_data[0])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://evil.example">' not in html
    assert "<br>" in html and "&lt;br&gt;" not in html, "our own line breaks stay markup"
    assert "<script>" in text_of(out.answer_data[0]), "plain text shows what was written"


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("path-traversal-attachment.eml", "mailflow"),
        ("control-characters-in-filename.eml", "boot.ini.pdf"),
    ],
)
def test_hostile_attachment_names_are_stored_safely(desk, name, stored):
    cr = walk_to(desk, "cr_document")
    out = attack(desk, cr, name)
    assert out.moved, "the CR document itself is a valid reply"
    with desk.app.db.session() as s:
        links = [lnk for lnk in s.exec(select(AttachmentLink)).all() if lnk.stage == "cr_document"]
    names = [lnk.filename for lnk in links]
    assert stored in names[-1]
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in names)
    assert all(ch.isprintable() for n in names for ch in n)
    assert not list(desk.root.parent.glob("**/etc")), "nothing written outside the store"


@pytest.mark.parametrize(
    ("name", "limits", "said"),
    [
        ("oversized-message.eml", {"max_message_bytes": 6000}, "the limit is 6 KB"),
        ("too-many-attachments.eml", {"max_attachments": 3}, "5 attachments; the limit is 3"),
        ("oversized-attachment.eml", {"max_attachment_bytes": 1024}, "'dump.bin' is 2 KB"),
    ],
)
def test_a_message_over_a_limit_is_answered_and_recorded(tmp_path, name, limits, said):
    desk = Desk(tmp_path, adjust=adjust(limits=limits))
    try:
        cr = walk_to(desk, "in_principle")
        out = attack(desk, cr, name)
        assert not out.moved
        assert out.ledger.outcome == "answered" and said in out.ledger.reason
        assert out.ledger.raw is None, "an over-limit message is not stored"
        assert any("too_large" in r for r in out.refusals)
        assert out.answers == [("explain/too_large", ["dana@acme.example"])]
        assert said in " ".join(text_of(out.answer_data[0]).split())
    finally:
        desk.close()


def test_mail_over_the_hourly_limits_waits_and_is_reported(tmp_path):
    desk = Desk(tmp_path, adjust=adjust(limits={"per_address_per_hour": 2, "total_per_hour": 5}))
    try:
        cr = walk_to(desk, "in_principle")
        with desk.app.db.session() as s:
            rows = s.exec(select(OutboxRow)).all()
            pending = [r for r in rows if r.status == "pending"]
            summary = held_back.deferred_summary(s.connection(), desk.clock())
        sent = [r for r in rows if r.status == "sent"]
        assert len(sent) == 5 and pending, "held back, not dropped"
        assert "held back in the last hour" in summary
        desk.clock.advance(hours=1, minutes=1)
        desk.daemon.deliver_outbox()
        with desk.app.db.session() as s:
            later = s.exec(select(OutboxRow).where(OutboxRow.status == "sent")).all()
        assert len(later) > len(sent), "the waiting mail goes out when the hour has room"
        assert cr
    finally:
        desk.close()


def test_evidence_export_can_be_checked_without_mailflow(desk, tmp_path, capsys):
    cr = walk_to(desk, "cr_document")
    attack(desk, cr, "forged-cancel-as-executive.eml")
    out = tmp_path / "evidence"
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace(
            'data_dir = "mailflow-data"', f'data_dir = "{desk.app.settings.data_dir}"'
        )
    )
    assert main(["cr", "evidence", cr, "--config", str(config), "--out", str(out), "--zip"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    entries = manifest["evidence"]
    assert [(e["verb"], e["stage"], e["outcome"]) for e in entries] == [
        ("IS CR", "triage", "applied"),
        ("APPROVED", "in_principle", "applied"),
        ("APPROVED", "in_principle", "applied"),
        ("CANCEL", "cr_document", "refused"),
    ]
    for e in entries:
        assert sha256((out / e["file"]).read_bytes()).hexdigest() == e["sha256"]
        assert e["policy"] and e["token_check"]
    index = (out / "index.txt").read_text()
    assert "To check: compute the SHA-256" in index
    title_of = desk.app.workflow.title_of
    assert f"Stage now: {title_of('cr_document')}\n" in index
    assert f"CANCEL at {title_of('cr_document')}\n" in index
    for key in ("triage", "in_principle", "cr_document"):
        assert f" at {key}" not in index, "an auditor reads stages by their titles"
    with zipfile.ZipFile(f"{out}.zip") as archive:
        assert "evidence/manifest.json" in archive.namelist()


def test_an_evidence_copy_changed_since_it_arrived_stops_the_export(desk, tmp_path, capsys):
    """A stored mail that no longer matches the SHA-256 taken on arrival is never handed
    to an auditor as evidence, and the check holds under `python -O` too (no assert)."""
    cr = walk_to(desk, "cr_document")
    with desk.app.db.transaction() as s:
        second = s.exec(select(Evidence).where(Evidence.cr_id == cr).order_by(Evidence.id)).all()[1]
        blob = s.get(Blob, second.sha256)
        blob.data = blob.data.replace(b"APPROVED", b"REJECTED")
    config = tmp_path / "mailflow.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text().replace(
            'data_dir = "mailflow-data"', f'data_dir = "{desk.app.settings.data_dir}"'
        )
    )
    out = tmp_path / "evidence"
    assert main(["cr", "evidence", cr, "--config", str(config), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert f"{cr}: the stored copy of evidence message 2" in error
    assert second.sha256 in error and "nothing was exported" in error
    assert not out.exists()

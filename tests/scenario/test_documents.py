"""Documents travel with the CR: requests carry the newest version of the documents their
stage needs, byte for byte; a file too large is named, not claimed; `cr files` gets them out."""

from __future__ import annotations

import dataclasses
import email
import re
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlmodel import select

from mailflow.cli.main import main
from mailflow.store.message_tables import Blob
from mailflow.store.tables import AttachmentLink
from tests.helpers import ROOT, Desk
from tests.scenario.cast import (
    CSM,
    ENGINEER,
    EXEC,
    REP,
    docx,
    pdf,
    send_file,
    to_costing,
    to_due_date,
)

CLAIM = re.compile(
    r"\b(is|are) attached\b|\battached here|\bplease find\b|\benclosed\b|\bsee (the )?attach",
    re.IGNORECASE,
)


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()


def _mails(desk, cr_id, template):
    return [
        email.message_from_bytes(r.data, policy=default_policy)
        for r in desk.outbox(cr_id)
        if r.template == template
    ]


def _files(msg):
    return {p.get_filename(): p.get_content() for p in msg.iter_attachments()}


def _claimed(msg):
    text = msg.get_body(("plain",)).get_content()
    return set(re.findall(r"Attached to this mail: (\S+)", text))


def _ahead(desk, days):
    from datetime import timedelta

    return (desk.clock.now.date() + timedelta(days=days)).isoformat()


def test_the_cr_document_and_the_interface_document_reach_those_who_must_read_them(desk):
    cr_doc, api = docx("Loyalty points in the export"), pdf("Export API v1")
    cr_id = to_costing(desk, cr_doc=cr_doc)
    for template in ("request/impact_analysis", "request/costing"):
        (msg,) = _mails(desk, cr_id, template)[:1]
        assert _files(msg) == {"CR-export.docx": cr_doc}, template
    desk.say(CSM, cr_id, "DONE\nCost: USD 9,600")
    desk.say(EXEC, cr_id, "APPROVED")
    for template in ("request/executive_approval", "request/customer_approval"):
        assert all(_files(m) == {"CR-export.docx": cr_doc} for m in _mails(desk, cr_id, template))
    desk.say(REP, cr_id, "APPROVED")
    desk.say(CSM, cr_id, "DONE\nJira: ACME-482\nEngineer: kiran@ft.example")
    desk.say(ENGINEER, cr_id, "DONE\nDue: " + _ahead(desk, 40))
    send_file(desk, ENGINEER, cr_id, "DONE", "export-api.pdf", api)
    approvals = _mails(desk, cr_id, "request/interface_approval")
    assert [m["To"] for m in approvals][0] == REP
    assert approvals and all(_files(m) == {"export-api.pdf": api} for m in approvals)
    raw = desk.outbox(cr_id)[-1].data
    assert b"application/pdf" in raw
    desk.say(REP, cr_id, "APPROVED")
    assert all(
        _files(m) == {"export-api.pdf": api} for m in _mails(desk, cr_id, "request/development")
    )
    for template in ("request/triage", "request/due_date", "request/jira_tracking"):
        assert all(not _files(m) for m in _mails(desk, cr_id, template)), template


def test_a_newer_version_supersedes_the_older_and_the_request_names_it(desk):
    v1, v2 = pdf("Export API v1"), pdf("Export API v2, with refunds")
    cr_id = to_due_date(desk)
    desk.say(ENGINEER, cr_id, "DONE\nDue: " + _ahead(desk, 40))
    send_file(desk, ENGINEER, cr_id, "DONE", "export-api.pdf", v1)
    desk.say(REP, cr_id, "REJECTED please add the refund fields")
    send_file(desk, ENGINEER, cr_id, "DONE", "export-api-v2.pdf", v2)
    latest = _mails(desk, cr_id, "request/interface_approval")[-1]
    assert _files(latest) == {"export-api-v2.pdf": v2}
    with desk.app.db.session() as s:
        digest = next(
            lnk.sha256
            for lnk in s.exec(select(AttachmentLink)).all()
            if lnk.filename == "export-api-v2.pdf"
        )
    text = latest.get_body(("plain",)).get_content()
    assert "Attached to this mail: export-api-v2.pdf" in text
    assert f"received {desk.clock.now:%Y-%m-%d}, version {digest[:8]}" in text


def test_a_document_over_the_limit_is_named_not_claimed(tmp_path):
    def small_limit(settings):
        return dataclasses.replace(settings, max_attach_bytes=2000)

    desk = Desk(tmp_path, adjust=small_limit)
    try:
        big = docx("x" * 50_000 + "".join(str(i) for i in range(20_000)))
        assert len(big) > 2000
        cr_id = to_costing(desk, cr_doc=big)
        (msg,) = _mails(desk, cr_id, "request/costing")
        assert not _files(msg) and not _claimed(msg)
        text = " ".join(msg.get_body(("plain",)).get_content().split())
        assert "Not attached: CR-export.docx" in text
        assert "more than the 2 KB that can be sent by mail" in text
        assert f"mailflow cr files {cr_id} --out <folder>" in text
    finally:
        desk.close()


def test_no_mail_claims_an_attachment_that_is_not_there(desk):
    """Every mail of a lifecycle with documents: what the text says is attached, is."""
    cr_id = to_costing(desk, cr_doc=docx("CR"))
    desk.say(CSM, cr_id, "DONE\nCost: USD 9,600")
    desk.say(EXEC, cr_id, "APPROVED")
    desk.say(REP, cr_id, "APPROVED")
    desk.say(CSM, cr_id, "DONE\nJira: ACME-482")
    desk.say(ENGINEER, cr_id, "DONE\nDue: " + _ahead(desk, 40))
    send_file(desk, ENGINEER, cr_id, "DONE", "api.pdf", pdf("API"))
    desk.say(REP, cr_id, "APPROVED")
    desk.say(ENGINEER, cr_id, "DONE")
    rows = desk.outbox(cr_id)
    assert len({r.template for r in rows}) > 12
    for row in rows:
        msg = email.message_from_bytes(row.data, policy=default_policy)
        assert _claimed(msg) == set(_files(msg)), row.template
        assert not CLAIM.search(msg.get_body(("plain",)).get_content()), row.template


def test_no_template_words_a_claim_outside_the_documents_partial():
    for path in (ROOT / "templates").rglob("*.txt"):
        if path.name != "documents.txt":
            assert not CLAIM.search(path.read_text("utf-8")), path
            assert "Attached to this mail" not in path.read_text("utf-8"), path


def test_cr_files_lists_and_extracts_and_never_writes_outside_the_folder(tmp_path, capsys):
    desk = Desk(tmp_path / "desk")
    config = tmp_path / "mailflow.toml"
    cr_doc = docx("CR")
    try:
        cr_id = to_costing(desk, cr_doc=cr_doc)
        with desk.app.db.session() as s:
            link = s.exec(select(AttachmentLink)).first()
            for name in ("../../escape.txt", "/etc/cron.d/evil", "..", "CR-export.docx"):
                s.add(
                    AttachmentLink(
                        cr_id=cr_id,
                        stage=link.stage,
                        filename=name,
                        sha256=link.sha256,
                        ledger_id=None,
                        at=link.at,
                    )
                )
            s.commit()
            assert s.get(Blob, link.sha256).data == cr_doc
    finally:
        desk.close()
    example = (ROOT / "config.example.toml").read_text("utf-8")
    config.write_text(
        example.replace('data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "desk"}"')
    )
    assert main(["cr", "files", cr_id, "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert "CR document" in listing and "CR-export.docx" in listing and CSM in listing
    out = tmp_path / "out"
    assert main(["cr", "files", cr_id, "--config", str(config), "--out", str(out)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert "escape.txt" in written and "evil" in written and "CR-export.docx" in written
    assert len(written) == 5, written
    assert (out / "CR-export.docx").read_bytes() == cr_doc
    assert not (tmp_path / "escape.txt").exists() and not Path("/etc/cron.d/evil").exists()
    assert all(p.parent == out for p in out.iterdir())

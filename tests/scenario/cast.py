"""Walk a CR by real mail to a stage, and build small but valid .docx and .pdf files."""

from __future__ import annotations

import io
import zipfile

from tests.helpers import Desk

CSM, TEAM, EXEC, REP, ENGINEER = (
    "priya@ft.example",
    "integration@ft.example",
    "amardeep@ft.example",
    "dana@acme.example",
    "kiran@ft.example",
)


def docx(text: str) -> bytes:
    """A minimal Word document (Office Open XML) that Word and LibreOffice open."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def pdf(text: str) -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def send_file(desk: Desk, sender: str, cr_id: str, body: str, name: str, data: bytes) -> None:
    msg = desk.reply(sender, cr_id, body)
    maintype, subtype = (DOCX if name.endswith(".docx") else "application/pdf").split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    desk.send(msg)


def to_impact_analysis(desk: Desk, cr_doc: bytes = b"") -> str:
    """A new CR, moved by mail to the impact analysis (its CR document sent); returns its id."""
    cr_id = desk.open_cr()
    desk.say(TEAM, cr_id, "IS CR")
    desk.say(REP, cr_id, "APPROVED")
    desk.say(EXEC, cr_id, "APPROVED")
    send_file(desk, CSM, cr_id, "DONE", "CR-export.docx", cr_doc or docx("CR document"))
    assert desk.stage(cr_id) == "impact_analysis", desk.templates_sent()[-1]
    return cr_id


def to_costing(desk: Desk, effort: str = "12", cr_doc: bytes = b"") -> str:
    """A new CR, moved by mail to the costing stage; returns its id."""
    cr_id = to_impact_analysis(desk, cr_doc)
    desk.say(TEAM, cr_id, f"DONE\nApproach: new column\nEffort: {effort}\nTimeline: 3 weeks")
    assert desk.stage(cr_id) == "costing", desk.templates_sent()[-1]
    return cr_id


def to_due_date(desk: Desk) -> str:
    cr_id = to_costing(desk)
    desk.say(CSM, cr_id, "DONE\nCost: USD 9,600")
    desk.say(EXEC, cr_id, "APPROVED")
    desk.say(REP, cr_id, "APPROVED")
    desk.say(CSM, cr_id, "DONE\nJira: ACME-482\nEngineer: kiran@ft.example")
    assert desk.stage(cr_id) == "due_date", desk.templates_sent()[-1]
    return cr_id

"""`mailflow cr evidence`: a folder (or zip) an auditor can check without mailflow.

It holds every message that decided (or was refused on) the CR as an .eml file, an
index.txt a person reads, and a manifest.json with each file's SHA-256, which anyone
can recompute (`sha256sum messages/*.eml`) and compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from mailflow.app import App, build_app
from mailflow.errors import MailflowError, NotFound
from mailflow.store.files import write_file
from mailflow.store.message_tables import Blob
from mailflow.store.tables import ChangeRequest, Decision, Evidence

CHECK_HINT = (
    "To check: compute the SHA-256 of each file under messages/ (for example with\n"
    "`sha256sum messages/*.eml`) and compare it with the sha256 given for it below\n"
    "and in manifest.json. Each entry also names the policy that applied, the reply\n"
    "token check and the Authentication-Results headers the receiving server added."
)


def export(app: App, session: Session, cr_id: str, out: Path, as_zip: bool = False) -> Path:
    """Write the evidence folder (and the zip next to it); returns what was written."""
    cr = session.get(ChangeRequest, cr_id.upper())
    if cr is None:
        raise NotFound(f"no change request {cr_id}")
    if out.exists() and any(out.iterdir()):
        raise MailflowError(f"{out} exists and is not empty; choose a new folder")
    stored = _stored_messages(session, cr)
    (out / "messages").mkdir(parents=True, exist_ok=True)
    entries = _write_messages(stored, out)
    manifest = {
        "change_request": {"id": cr.id, "title": cr.title, "account": cr.account},
        "stage_now": cr.stage,
        "exported_at": datetime.now(UTC).isoformat(),
        "hash": "sha256 of the file's bytes",
        "evidence": entries,
        "decisions": _decisions(session, cr),
    }
    write_file(out / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    write_file(out / "index.txt", _index(cr, entries, app.workflow.title_of))
    return _zipped(out) if as_zip else out


def _stored_messages(session: Session, cr: ChangeRequest) -> list[tuple[Evidence, Blob | None]]:
    """Each evidence row with its stored mail, every mail checked against the SHA-256 taken
    when it arrived before anything is written: an export is what an auditor trusts, so a
    copy changed since (a disk fault, a hand edit) stops it rather than travel with it."""
    rows = session.exec(
        select(Evidence).where(Evidence.cr_id == cr.id).order_by(col(Evidence.id))
    ).all()
    stored = [(row, session.get(Blob, row.sha256)) for row in rows]
    for number, (row, blob) in enumerate(stored, 1):
        if blob is not None and hashlib.sha256(blob.data).hexdigest() != row.sha256:
            raise MailflowError(
                f"{cr.id}: the stored copy of evidence message {number} (received "
                f"{row.at:%Y-%m-%d %H:%M} UTC) no longer matches the SHA-256 recorded when "
                f"it arrived ({row.sha256}); nothing was exported"
            )
    return stored


def _write_messages(stored: list[tuple[Evidence, Blob | None]], out: Path) -> list[dict[str, Any]]:
    """Each evidence message as an .eml under messages/, and its manifest entry."""
    entries: list[dict[str, Any]] = []
    for number, (row, blob) in enumerate(stored, 1):
        name = f"messages/{number:03d}-{row.outcome}-{row.sha256[:12]}.eml"
        if blob is not None:
            write_file(out / name, blob.data)
        entries.append(
            {
                "file": name if blob is not None else None,
                "sha256": row.sha256,
                "at": row.at.isoformat(),
                "stage": row.stage,
                "verb": row.verb,
                "actor": row.actor,
                "attested_by": row.attested_by,
                "outcome": row.outcome,
                "policy": row.policy,
                "rule": row.rule,
                "token_check": row.token_check,
                "authentication_results": row.auth_results,
            }
        )
    return entries


def _decisions(session: Session, cr: ChangeRequest) -> list[dict[str, Any]]:
    """Every decision on record, by mail or from the command line."""
    decisions = session.exec(
        select(Decision).where(Decision.cr_id == cr.id).order_by(col(Decision.id))
    ).all()
    return [
        {
            "at": d.at.isoformat(),
            "stage": d.stage,
            "verb": d.verb,
            "actor": d.actor,
            "by": "mail" if d.ledger_id else "command line",
        }
        for d in decisions
    ]


def _zipped(out: Path) -> Path:
    """The folder as a zip beside it, named after it; an error names the zip."""
    try:
        archive = shutil.make_archive(str(out), "zip", root_dir=out.parent, base_dir=out.name)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, f"{out}.zip") from exc
    return Path(archive)


def _index(cr: ChangeRequest, entries: list[dict[str, Any]], title_of: Callable[[str], str]) -> str:
    """What an auditor reads first: the stages by their titles (the manifest keeps keys)."""
    lines = [
        f"Evidence for {cr.id}: {cr.title}",
        f"Stage now: {title_of(cr.stage)}",
        "",
        CHECK_HINT,
        "",
    ]
    for number, e in enumerate(entries, 1):
        lines += [
            f"{number:03d}  {e['at']}  {e['outcome'].upper()}  {e['verb']}"
            f" at {title_of(e['stage'])}",
            f"     from:      {e['actor']}"
            + (f" (forwarded by {e['attested_by']})" if e["attested_by"] else ""),
            f"     policy:    {e['policy']}: {e['rule']}",
            f"     token:     {e['token_check']}",
            f"     auth:      {len(e['authentication_results'])} Authentication-Results header(s)",
            f"     file:      {e['file'] or '(message not stored)'}",
            f"     sha256:    {e['sha256']}",
            "",
        ]
    if not entries:
        lines.append("No message has decided this change request by mail yet.")
    return "\n".join(lines).rstrip() + "\n"


def cmd_cr_evidence(args: argparse.Namespace) -> int:
    app = build_app(args.config)
    try:
        with app.db.session() as session:
            written = export(app, session, args.cr_id, Path(args.out), as_zip=args.zip)
    finally:
        app.close()
    print(f"{args.cr_id.upper()}: evidence written to {written}")
    return 0

"""How mailflow reads one message, as a plain dict: the answer to "why did it do that?".

`explain_message` runs the reading side of the pipeline (parse, the CR token
and thread headers, the automated-mail check, the new reply text, the
decision) on raw bytes, without a database and without sending anything, so
an operator can run it on any saved message and the measurement script can
run it on a whole corpus.

Two texts are shown. `reply_text` is what the mail shows as its content
(`reply_text.visible_text`): when a mail starts with a quote or a forward
(nothing typed above it, and no reply below an "On … wrote:" quote), it
keeps that material, so a person can see what the mail says.
`new_text` is what decisions, "likely" and fields are read from
(`reply_text.new_text`): never quoted or forwarded material, so an
"APPROVED" that is only quoted is shown in `reply_text` and read as nothing.

The returned dict is stable; `mailflow explain --json` prints it, one object
per line, with a "file" key added (explain_text.py words it for a person). Its keys:

    error            null, or why the bytes could not be read as mail at all
    message_id       the Message-ID as "<local@domain>", or ""
    subject          the decoded subject
    cr               the CR id from a "[CR-…]" subject token, or null
    cr_known         true / false when the caller could look the CR up, else null
    thread           {"in_reply_to": id or null, "references": [ids]}: how a reply
                     without a token would be tied to its CR
    route            "reply" (a CR token), "unknown_cr" (a token naming no CR),
                     "thread" (no token, but thread headers), or "new" (neither:
                     a new request)
    sender           the bare, lower-case From address ("" when there is none)
    sender_name      the display name
    automated        null, or "auto-reply", "bounce", "list" or "own": never answered
    automated_reason the header or rule that made it automated, or null
    reply_text       what the mail shows as its content: the text typed above any
                     history, or the reply below an "On … wrote:" quote; else the
                     quoted / forwarded material the mail starts with (attribution,
                     separator and header lines, signature cut)
    new_text         the text decisions are read from: only what was typed above
                     quoted or forwarded history, or below an "On … wrote:" quote,
                     without a signature learned for the sender ("" when there is none)
    decision         the verb read, such as "APPROVED", or null
    decision_text    the reason / status text that goes with the verb ("" if none)
    decision_line    the line the verb was read from ("" if none)
    unclear          true when mailflow would answer with a question
    unclear_reason   the sentence that question would carry, or null
    likely           the verb the reply probably means in other words ("go ahead"
                     → "APPROVED") when no decision word was found, else null
    fields           {"key": "value"} lines found in new_text
    attachments      the attachment file names
    read_line        the decision line normalised as a reader sees it (entities
                     decoded, Unicode folded, invisible characters and emphasis
                     markers removed); "" when there is none
    rule             what decided: "closed grammar" (a yes made of its verb and
                     harmless words only), "verb" (a negative or text verb), or
                     why it is a question ("more than the decision", "a negation",
                     "mixed alphabets", "taken back below", …)
    html_reads       for a mail with both a text and an HTML part, what the HTML
                     part reads as (a verb or "unclear"); null otherwise. When it
                     differs from the text part, the reply is asked back.
    learned_signatures  the signature blocks learned from the sender's earlier mails
                     (each a string of lines); new_text is shown without one that
                     ends it. [] when nothing is on record or no database was asked
    confirmed_remarks   the remarks the sender confirmed beside a decision, as they
                     wrote them: beside a decision of theirs, each is taken as
                     written. [] when none (or `remember_confirmed_remarks` is off)

What is on record about the sender comes from the database only when the caller
passes `on_record` (`sender_lookup` builds it for an existing database); without it,
the message is read as from someone with nothing on record.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailflow.chain.explain_text import describe
from mailflow.chain.route import token_in
from mailflow.errors import MailflowError, ParseError
from mailflow.mail.automated import classify
from mailflow.mail.parse import Inbound, parse
from mailflow.mail.reply_text import new_text, visible_text
from mailflow.mail.signature_blocks import strip_learned
from mailflow.reading import decide
from mailflow.reading.likely import likely
from mailflow.reading.lines import fields_of

if TYPE_CHECKING:
    from mailflow.app import App

KEYS = (
    "error", "message_id", "subject", "cr", "cr_known", "thread", "route", "sender",
    "sender_name", "automated", "automated_reason", "reply_text", "decision",
    "decision_text", "decision_line", "unclear", "unclear_reason", "likely", "fields",
    "attachments", "new_text", "read_line", "rule", "html_reads", "learned_signatures",
    "confirmed_remarks",
)  # fmt: skip


@dataclass(frozen=True)
class OnRecord:
    """What is on record about a sender: what reading relies on, and the remarks as written."""

    known: decide.Known = decide.NOTHING_KNOWN
    remarks: tuple[str, ...] = ()


SenderLookup = Callable[[str], OnRecord]


def sender_lookup(app: App) -> SenderLookup | None:
    """What the database holds about a sender; None when there is no database to ask.

    An explanation never creates a database: a SQLite file that is not there, or a
    database that cannot be opened as it is, means nothing is on record.
    """
    url = app.settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None
    from mailflow.store import known

    def lookup(address: str) -> OnRecord:
        try:
            with app.db.session() as session:
                found = known.known_for(session, address, app.settings.security)
                remarks = known.remarks_as_written(session, address) if found.remarks else []
        except MailflowError:
            return OnRecord()
        return OnRecord(found, tuple(remarks))

    return lookup


def empty_result() -> dict[str, Any]:
    """Every key, with the value that means "nothing found"."""
    result: dict[str, Any] = dict.fromkeys(KEYS)
    result.update(
        thread={"in_reply_to": None, "references": []},
        sender="",
        sender_name="",
        reply_text="",
        new_text="",
        decision_text="",
        decision_line="",
        read_line="",
        rule="",
        unclear=False,
        fields={},
        attachments=[],
        message_id="",
        subject="",
        learned_signatures=[],
        confirmed_remarks=[],
    )
    return result


def explain_message(
    raw: bytes,
    *,
    vocabulary: decide.Vocabulary,
    own_addresses: Collection[str],
    known_cr: Callable[[str], bool] | None = None,
    on_record: SenderLookup | None = None,
) -> dict[str, Any]:
    """Read raw mail the way the pipeline does and say what was found, and why.

    Never raises: bytes that are not mail give a dict whose "error" says so,
    and an unexpected failure is reported there too (prefixed "internal
    error"), because an operator investigating odd mail needs an answer, not
    a traceback.
    """
    result = empty_result()
    try:
        msg = parse(raw)
    except ParseError as exc:
        result["error"] = f"unreadable: {exc}"
        return result
    except Exception as exc:  # noqa: BLE001 - parse promises ParseError only; report, not raise
        result["error"] = f"internal error while parsing: {type(exc).__name__}: {exc}"
        return result
    try:
        _fill(result, msg, vocabulary, own_addresses, known_cr, on_record)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        result["error"] = f"internal error while reading: {type(exc).__name__}: {exc}"
    return result


def _fill(
    result: dict[str, Any],
    msg: Inbound,
    vocabulary: decide.Vocabulary,
    own_addresses: Collection[str],
    known_cr: Callable[[str], bool] | None,
    on_record: SenderLookup | None,
) -> None:
    cr = token_in(msg.subject)
    result.update(
        message_id=msg.message_id,
        subject=msg.subject,
        cr=cr,
        cr_known=known_cr(cr) if cr and known_cr is not None else None,
        thread={"in_reply_to": msg.in_reply_to, "references": list(msg.references)},
        sender=msg.from_addr,
        sender_name=msg.from_name,
        attachments=[a.filename for a in msg.attachments],
    )
    if cr:
        result["route"] = "unknown_cr" if result["cr_known"] is False else "reply"
    else:
        result["route"] = "thread" if msg.in_reply_to or msg.references else "new"
    record = on_record(msg.from_addr) if on_record is not None and msg.from_addr else OnRecord()
    known = record.known
    result["learned_signatures"] = list(known.signatures)
    result["confirmed_remarks"] = list(record.remarks)
    text = strip_learned(new_text(msg.text), known.signatures)
    result["reply_text"] = visible_text(msg.text)
    result["new_text"] = text
    kind = classify(msg, own_addresses)
    if kind is not None:
        # Recorded and never answered: no decision, no question back.
        result["automated"], result["automated_reason"] = kind.kind, kind.reason
        return
    read = decide.read(text, vocabulary, known)
    result["read_line"] = read.normalized
    if msg.html_text is not None:
        other = decide.read(
            strip_learned(new_text(msg.html_text), known.signatures), vocabulary, known
        )
        result["html_reads"] = other.verb if isinstance(other, decide.Decision) else "unclear"
    if isinstance(read, decide.Decision):
        result.update(
            decision=read.verb,
            decision_text=read.text,
            decision_line=read.line,
            rule=read.rule,
            fields=dict(read.fields),
        )
        return
    result.update(
        unclear=True,
        unclear_reason=read.reason,
        decision_line=read.line,
        rule=read.kind.value,
        likely=likely(text, vocabulary, known),
        fields=fields_of(text.split("\n")),
    )


def explain_files(
    paths: list[str],
    vocabulary: decide.Vocabulary,
    own_addresses: Collection[str],
    *,
    as_json: bool = False,
    on_record: SenderLookup | None = None,
) -> int:
    """Print how each file reads; 1 when any could not be read or explained, else 0.

    Every file is attempted even after a failure, so one bad file in a batch
    does not hide the answers for the others.
    """
    import json

    failed = False
    for index, path in enumerate(paths):
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            result = {**empty_result(), "error": f"cannot read the file: {exc.strerror or exc}"}
        else:
            result = explain_message(
                raw, vocabulary=vocabulary, own_addresses=own_addresses, on_record=on_record
            )
        failed = failed or bool(result.get("error"))
        if as_json:
            print(json.dumps({"file": path, **result}, ensure_ascii=False, sort_keys=False))
        else:
            if index:
                print()
            print(f"== {path}")
            print(describe(result))
    return 1 if failed else 0

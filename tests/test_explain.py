"""`mailflow explain`: how one message reads, without a database, as text or stable JSON."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailflow.chain.explain import KEYS, OnRecord, explain_message
from mailflow.chain.explain_text import describe
from mailflow.cli.main import main
from mailflow.reading.decide import Known, remark_key
from mailflow.workflow.definition import load_workflow
from tests.helpers import EXAMPLE_CONFIG, ROOT

CR = f"CR-{datetime.now(UTC).year}-0042"  # a CR id of this year, as a reply names it

MESSAGES = ROOT / "tests" / "messages"
VOCAB = load_workflow(
    ROOT / "mailflow" / "workflow" / "change_request.toml", lambda _: True
).vocabulary
OWN = ("approvals@ft.example",)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    text = EXAMPLE_CONFIG.read_text().replace(
        'data_dir = "mailflow-data"', f'data_dir = "{tmp_path / "data"}"'
    )
    path = tmp_path / "mailflow.toml"
    path.write_text(text)
    return path


def mail(body: str, subject: str = f"Re: [{CR}] Approval", **headers: str) -> bytes:
    head = {"From": "Priya <Priya@Acme.example>", "Subject": subject, **headers}
    lines = [f"{k.replace('_', '-')}: {v}" for k, v in head.items()]
    return ("\n".join(lines) + "\n\n" + body).encode()


def explain(raw: bytes, **kwargs) -> dict:
    return explain_message(raw, vocabulary=VOCAB, own_addresses=OWN, **kwargs)


def test_a_clear_approval_with_history() -> None:
    result = explain(
        mail("Approved, thanks.\nEffort: 12\n\nOn Mon, Bot wrote:\n> Reply REJECTED or ...")
    )
    assert set(KEYS) <= set(result)
    assert result["cr"] == CR and result["route"] == "reply"
    assert result["sender"] == "priya@acme.example" and result["sender_name"] == "Priya"
    assert result["automated"] is None and result["error"] is None
    assert result["reply_text"] == result["new_text"] == "Approved, thanks.\nEffort: 12"
    assert result["decision"] == "APPROVED" and result["unclear"] is False
    assert result["fields"] == {"effort": "12"}


def test_unclear_and_likely() -> None:
    result = explain(mail("Looks good, go ahead.\n\nThanks"))
    assert result["decision"] is None
    assert result["unclear"] is True and "No decision word" in result["unclear_reason"]
    assert result["likely"] == "APPROVED"
    assert explain(mail("Not approved yet."))["likely"] is None


def test_automated_mail_is_never_a_question() -> None:
    result = explain(mail("APPROVED", Auto_Submitted="auto-replied"))
    assert result["automated"] == "auto-reply"
    assert "Auto-Submitted" in result["automated_reason"]
    assert result["decision"] is None and result["unclear"] is False
    own = explain(mail("APPROVED", From="approvals@ft.example"))
    assert own["automated"] == "own"


def test_routes_and_known_cr() -> None:
    assert explain(mail("hi", subject="New export"))["route"] == "new"
    threaded = explain(mail("hi", subject="Re: export", In_Reply_To="<a@b>"))
    assert threaded["route"] == "thread" and threaded["thread"]["in_reply_to"] == "<a@b>"
    unknown = explain(mail("APPROVED"), known_cr=lambda cr: False)
    assert unknown["cr_known"] is False and unknown["route"] == "unknown_cr"
    assert explain(mail("APPROVED"), known_cr=lambda cr: True)["cr_known"] is True


def test_not_mail_is_an_error_not_an_exception() -> None:
    result = explain(b"\x00\x01 not a mail")
    assert result["error"].startswith("unreadable") and set(KEYS) <= set(result)


def test_cli_json_many_files_and_an_error(config: Path, tmp_path: Path, capsys) -> None:
    files = sorted(str(p) for p in MESSAGES.glob("*.eml"))
    missing = str(tmp_path / "missing.eml")
    code = main(["explain", "--config", str(config), "--json", *files, missing])
    lines = capsys.readouterr().out.strip().split("\n")
    objects = [json.loads(line) for line in lines]
    assert [o["file"] for o in objects] == [*files, missing]
    assert all(set(KEYS) <= set(o) for o in objects)
    assert objects[-1]["error"].startswith("cannot read the file")
    assert all(o["error"] is None for o in objects[:-1])
    assert code == 1
    assert not (tmp_path / "data").exists(), "explain must not create the database"


def test_cli_text_output_and_success_code(config: Path, capsys) -> None:
    path = MESSAGES / "outlook-approved-with-quote.eml"
    assert main(["explain", "--config", str(config), str(path)]) == 0
    out = capsys.readouterr().out
    named = re.search(r"CR-\d{4}-\d{4}", path.read_text())  # the stored file's own id
    assert named is not None
    assert "decision:  APPROVED" in out and named.group(0) in out


def test_cli_non_mail_file_fails_at_the_end(config: Path, tmp_path: Path, capsys) -> None:
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"   ")
    good = str(MESSAGES / "outlook-approved-with-quote.eml")
    assert main(["explain", "--config", str(config), "--json", str(junk), good]) == 1
    objects = [json.loads(line) for line in capsys.readouterr().out.strip().split("\n")]
    assert objects[0]["error"] and objects[1]["decision"] == "APPROVED"


@pytest.mark.parametrize(
    ("body", "reply", "shown"),
    [
        ("On Mon, 2 Mar, Bot <a@b.c> wrote:\n> APPROVED?\n\nREJECTED: cost", "REJECTED: cost",
         "REJECTED: cost"),
        ("On 04/02/2026 06:26 PM, Bot wrote:\n> Hi\nHello", "Hello", "Hello"),
        # history without ">" marks
        ("On Mon, Bot wrote:\n\nPlease reply APPROVED.", "", "Please reply APPROVED."),
        ("-------- Forwarded message --------\nFrom: a@b\nDate: x\nTo: c@d\n\nAPPROVED", "",
         "APPROVED"),
        # interleaved: never guessed
        ("> Reply APPROVED\nHello\n> more history\nAPPROVED", "",
         "> Reply APPROVED\nHello\n> more history\nAPPROVED"),
        ("> APPROVED", "", "> APPROVED"),
        ("Fine\n\nᐧ\n", "Fine", "Fine"),
    ],
)  # fmt: skip
def test_bottom_posted_replies_never_take_text_from_the_quote(
    body: str, reply: str, shown: str
) -> None:
    result = explain(mail(body))
    assert result["new_text"] == reply
    assert result["reply_text"] == shown
    if not reply:
        assert result["decision"] is None and result["likely"] is None
        assert result["unclear"] is True and result["fields"] == {}


def test_text_output_says_what_decisions_are_read_from() -> None:
    result = explain(mail("> APPROVED\n> Lena"))
    out = describe(result)
    assert "  | > APPROVED" in out and "read from:" in out and "(nothing)" in out
    assert "read from:" not in describe(explain(mail("APPROVED\n\n> Please reply")))


def test_explain_shows_the_normalised_line_and_the_rule_that_decided() -> None:
    plain = explain(mail("Approved, thanks"))
    assert (plain["decision"], plain["rule"]) == ("APPROVED", "closed grammar")
    hidden = explain(mail("n\u200bot approved"))
    assert hidden["decision"] is None and hidden["read_line"] == "not approved"
    assert hidden["rule"] == "a negation"
    text = describe(explain(mail("Approved, but only for phase 1")))
    assert "rule:      more than the decision" in text


def test_explain_reports_a_text_and_html_disagreement() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dana@acme.example", "approvals@ft.example", "RE: x"
    msg.set_content("Approved")
    msg.add_alternative("<p>Approved, but only for phase 1</p>", subtype="html")
    result = explain(msg.as_bytes())
    assert result["decision"] == "APPROVED" and result["html_reads"] == "unclear"
    assert "the two versions disagree" in describe(result)


def test_workflow_words_lists_the_closed_lists_and_the_peoples_names(capsys, tmp_path) -> None:
    config = tmp_path / "mailflow.toml"
    config.write_text(EXAMPLE_CONFIG.read_text())
    assert main(["workflow", "words", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "APPROVED (yes, closed rule)" in out and '"go ahead"' in out
    assert "[harmless]" in out and '"hereby"' in out and "[requests]" in out
    assert '"priya"' in out.split("names of configured people")[1]


def test_what_is_on_record_about_the_sender_is_read_with_the_message() -> None:
    block = "Priya Raman\nDirector, Loyalty Programmes\nAcme Corporation, 42 Harbour Road"
    raw = mail(f"Approved\nAfter the freeze.\n\n{block}")
    asked = explain(raw)
    assert asked["decision"] is None and asked["rule"] == "a sentence beside the decision"
    assert asked["learned_signatures"] == [] and asked["confirmed_remarks"] == []
    seen: list[str] = []

    def on_record(address: str) -> OnRecord:
        seen.append(address)
        known = Known(frozenset({remark_key("After the freeze.")}), (block,))
        return OnRecord(known, ("After the freeze.",))

    result = explain(raw, on_record=on_record)
    assert seen == ["priya@acme.example"]
    assert result["decision"] == "APPROVED" and result["new_text"] == "Approved\nAfter the freeze."
    assert result["learned_signatures"] == [block]
    assert result["confirmed_remarks"] == ["After the freeze."]
    text = describe(result)
    assert "signature: this sender ended two earlier mails with these lines" in text
    assert "  | Acme Corporation, 42 Harbour Road" in text
    assert "  - 'After the freeze.'" in text
    assert "without the learned signature" in text
    assert "signature:" not in describe(asked) and "remarks:" not in describe(asked)


def test_explain_asks_no_database_that_is_not_there(config: Path) -> None:
    from mailflow.app import app_from_settings
    from mailflow.chain.explain import sender_lookup
    from mailflow.config.settings import load_settings

    assert sender_lookup(app_from_settings(load_settings(config))) is None
    assert not (config.parent / "data").exists()


def test_rules_on_a_handled_mail_show_the_recorded_trail_beside_the_walk_now(tmp_path, capsys):
    """The IS CR that moved the CR was ruled on by the engine; asked again now that the
    CR has moved on, the same bytes would be caught as an answer to an earlier request.
    Both are shown, rule by rule, and nothing is recorded."""
    from mailflow.chain.dry_run import print_rules
    from mailflow.chain.recorded_trail import read_trail
    from tests.helpers import Desk

    desk = Desk(tmp_path / "desk")
    try:
        cr_id = desk.open_cr()
        raw = desk.reply("integration@ft.example", cr_id, "IS CR").as_bytes()
        desk.send(raw)
        path = tmp_path / "is-cr.eml"
        path.write_bytes(raw)
        before = len(desk.ledger())
        assert print_rules(desk.app, [str(path)], desk.clock()) == 0
        assert len(desk.ledger()) == before, "explaining records nothing"
        [entry] = [e for e in desk.ledger() if e.rules.startswith("hit: engine")]
    finally:
        desk.close()
    out = capsys.readouterr().out.split("== ", 1)[1]  # after the table of rules
    assert f"(entry {entry.id}): applied: " in out
    assert read_trail(entry.rules)[0] == "engine"
    rows = _rule_rows(out)
    assert rows["duplicate"].split()[2:] == ["passed", "this", "very", "mail:", "passed", "over"]
    assert rows["engine"].split()[2:] == ["HIT", "not", "reached"], "the engine decided then"
    assert rows["earlier_request"].split()[2:4] == ["passed", "HIT"], "an earlier request now"
    assert "now: earlier_request would decide, where engine decided then" in out


def _rule_rows(out: str) -> dict[str, str]:
    """{"engine": " 23. engine  HIT  not reached"} from the numbered lines of the output."""
    numbered = [line for line in out.splitlines() if line.split(". ", 1)[0].strip().isdigit()]
    return {line.split(". ", 1)[1].split()[0].rstrip(":"): line for line in numbered}


def test_rules_on_a_mail_never_handled_show_the_walk_only(tmp_path, capsys):
    from mailflow.chain.dry_run import print_rules
    from tests.helpers import Desk

    desk = Desk(tmp_path / "desk")
    try:
        cr_id = desk.open_cr()
        path = tmp_path / "new.eml"
        path.write_bytes(desk.reply("integration@ft.example", cr_id, "IS CR").as_bytes())
        assert print_rules(desk.app, [str(path)], desk.clock()) == 0
    finally:
        desk.close()
    out = capsys.readouterr().out.split("== ", 1)[1]
    assert "handled " not in out and "then" not in out
    assert " 1. duplicate: passed" in out and re.search(r"\d+\. engine: HIT → applied", out)


def test_a_rule_trail_is_read_whole_or_not_at_all():
    from mailflow.chain.recorded_trail import read_trail

    assert read_trail("hit: engine; passed: duplicate, route") == ("engine", ("duplicate", "route"))
    assert read_trail("hit: duplicate; passed: (none)") == ("duplicate", ())
    assert read_trail("") == ("", ())
    assert read_trail("something else") == ("", ())

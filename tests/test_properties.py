"""Properties over generated input: the reader never crashes and never invents an approval.

Hypothesis builds arbitrary bytes, header values and MIME trees, and replies
with and without quoted history. Each property keeps to a couple of hundred
examples so the suite stays fast.
"""

from __future__ import annotations

import contextlib
import re
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mailflow.chain.explain import explain_message
from mailflow.errors import ParseError
from mailflow.mail.parse import parse
from mailflow.mail.reply_text import new_text
from mailflow.reading.decide import Decision, read
from mailflow.reading.likely import likely
from mailflow.workflow.definition import load_workflow
from tests.helpers import ROOT

VOCAB = load_workflow(
    ROOT / "mailflow" / "workflow" / "change_request.toml", lambda _: True
).vocabulary
OWN = ("approvals@ft.example",)
AFFIRMATIVE = [p for v in VOCAB.verbs if v.affirmative for p in (*v.phrases, *v.likely)]
AFFIRMATIVE_VERBS = {v.verb for v in VOCAB.verbs if v.affirmative}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def parse_or_parse_error(raw: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse(raw)


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_parse_error(raw: bytes) -> None:
    parse_or_parse_error(raw)
    assert not str(explain(raw)["error"] or "").startswith("internal")


def explain(raw: bytes) -> dict:
    return explain_message(raw, vocabulary=VOCAB, own_addresses=OWN)


HEADER_NAMES = st.sampled_from(
    ["From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
     "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted",
     "Return-Path", "Precedence", "X-Autoreply", "List-Id", "MIME-Version"]
)  # fmt: skip
HEADER_VALUES = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        ['multipart/mixed; boundary="', "text/plain; charset=x-unknown", "=?utf-8?b?////?=",
         "=?bogus?q?=ZZ?=", "<>", "base64", "quoted-printable", "a@", "<<a@b>", "\u202e"]
    ),
)  # fmt: skip


@FAST
@given(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8), st.binary(max_size=300))
def test_arbitrary_header_values(headers: list[tuple[str, str]], body: bytes) -> None:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    raw = head.encode("utf-8", "surrogateescape") + b"\r\n" + body
    parse_or_parse_error(raw)
    assert not str(explain(raw)["error"] or "").startswith("internal")


CHARSETS = st.sampled_from(["utf-8", "latin-1", "koi8-r", "shift_jis", "us-ascii", "utf-16"])
TEXTS = st.text(max_size=120)


def leaf() -> st.SearchStrategy[Message]:
    def text_part(body: str, subtype: str, charset: str) -> Message:
        try:
            return MIMEText(body, subtype, charset)
        except (UnicodeError, LookupError):
            return MIMEText(body, subtype, "utf-8")

    def app_part(data: bytes, name: str) -> Message:
        part = MIMEApplication(data)
        part.add_header("Content-Disposition", "attachment", filename=name)
        return part

    return st.one_of(
        st.builds(text_part, TEXTS, st.sampled_from(["plain", "html", "weird"]), CHARSETS),
        st.builds(app_part, st.binary(max_size=200), st.text(max_size=30)),
    )


def container(children: st.SearchStrategy[Message]) -> st.SearchStrategy[Message]:
    def multipart(subtype: str, parts: list[Message]) -> Message:
        outer = MIMEMultipart(subtype)
        for part in parts:
            outer.attach(part)
        return outer

    return st.one_of(
        st.builds(
            multipart,
            st.sampled_from(["mixed", "alternative", "related", "report"]),
            st.lists(children, max_size=4),
        ),
        st.builds(MIMEMessage, children),
    )


MIME_TREES = st.recursive(leaf(), container, max_leaves=8)


@FAST
@given(MIME_TREES, st.text(max_size=60), st.booleans())
def test_mime_trees_never_crash(tree: Message, subject: str, truncate: bool) -> None:
    message = tree
    message["From"] = "Someone <someone@example.org>"
    message["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    try:
        raw = message.as_bytes()
    except Exception:  # noqa: BLE001 - the stdlib could not serialise it: nothing to read
        assume(False)
        return
    if truncate:
        raw = raw[: len(raw) // 2]
    parse_or_parse_error(raw)
    result = explain(raw)
    assert not str(result["error"] or "").startswith("internal")


WORDS = st.sampled_from(
    ["not", "no", "yes?", "reject", "rejected", "because", "cost", "hold", "status", "update",
     "but", "if", "fine?", "we", "the", "CR", "Hi", "thanks", "--", ">", "On", "wrote:",
     "maybe", "later", "approve?", "can't", "failed", "cancel", "\n", "\n\n", "Re:", "ok?"]
)  # fmt: skip
FREE_TEXT = st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=30).map(" ".join)


def has_affirmative_phrase(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for phrase in AFFIRMATIVE for word in phrase.split())


@FAST
@given(FREE_TEXT)
def test_no_affirmative_phrase_no_affirmative_decision(text: str) -> None:
    assume(not has_affirmative_phrase(text))
    for candidate in (text, new_text(text)):
        result = read(candidate, VOCAB)
        if isinstance(result, Decision):
            assert result.verb not in AFFIRMATIVE_VERBS
        probable = likely(candidate, VOCAB)
        assert probable is None or probable == "REJECTED"


# Random text with decisions in it, and the same text as a reader sees it: letters in their
# fullwidth forms (Ａ for A) and characters that show as nothing between ASCII characters
# (where they cannot join with a neighbour under Unicode normalisation).
DECIDING_TEXT = st.lists(
    st.one_of(WORDS, st.sampled_from(["APPROVED", "Approved.", "DONE", "Rejected", "thanks"]),
              st.text(max_size=12)),
    max_size=12,
).map(" ".join)  # fmt: skip
HIDDEN = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u180e"])


def summary(text: str) -> tuple[str, str]:
    result = read(text, VOCAB)
    return (result.verb, "") if isinstance(result, Decision) else ("", result.kind.name)


@FAST
@given(
    DECIDING_TEXT,
    st.lists(st.integers(0, 200), max_size=6),
    st.lists(st.tuples(st.integers(0, 200), HIDDEN), max_size=4),
)
def test_random_text_reads_as_the_reader_sees_it(
    text: str, wide: list[int], hidden: list[tuple[int, str]]
) -> None:
    """Without NFKC or without removing invisible characters, "ＡＰＰＲＯＶＥＤ" or
    "Appro\\u200bved" would read differently from what the reader sees."""
    chars = list(text)
    entities = {i for m in re.finditer(r"&#?\w+;?", text) for i in range(m.start(), m.end() + 1)}
    letters = [i for i, ch in enumerate(chars) if ch.isascii() and ch.isalpha()]
    letters = [i for i in letters if i not in entities]
    for n in wide:
        if letters:
            i = letters[n % len(letters)]
            chars[i] = chr(ord(chars[i]) + 0xFEE0) if chars[i].isascii() else chars[i]
    for spot, mark in sorted(((at % (len(text) + 1), mark) for at, mark in hidden), reverse=True):
        around = chars[max(spot - 1, 0) : spot + 1]
        if spot not in entities and all(ch.isascii() and ch not in "\r\n" for ch in around):
            chars.insert(spot, mark)
    assert summary("".join(chars)) == summary(text)


REPLY_LINES = st.lists(
    st.one_of(
        st.sampled_from(["APPROVED", "Approved, thanks", "REJECTED too costly", "DONE",
                         "Hi Priya,", "Looks good", "", "Not approved", "Effort: 3"]),
        st.text(st.characters(blacklist_characters=">\r\n"), max_size=40),
    ),
    min_size=1, max_size=5,
)  # fmt: skip
HISTORY_LINES = st.lists(
    st.text(st.characters(blacklist_characters="\r\n"), max_size=60), max_size=8
)
ATTRIBUTIONS = st.sampled_from(
    ["On Mon, 2 Mar 2026 at 10:00, CR Bot <approvals@ft.example> wrote:",
     "Am 02.03.2026 um 10:00 schrieb CR Bot <approvals@ft.example>:",
     "-----Original Message-----", ""]
)  # fmt: skip


@FAST
@given(REPLY_LINES, ATTRIBUTIONS, HISTORY_LINES, st.lists(st.integers(0, 20), max_size=3))
def test_quoted_approvals_never_change_the_decision(
    reply: list[str], attribution: str, history: list[str], positions: list[int]
) -> None:
    assume(any(line.strip() for line in reply))
    quoted = [f"> {line}" for line in history] or ["> Please reply APPROVED or REJECTED."]
    before = "\n".join([*reply, "", attribution, *quoted])
    tampered = list(quoted)
    for position in positions:
        tampered.insert(min(position, len(tampered)), "> APPROVED")
    after = "\n".join([*reply, "", attribution, *tampered])
    assert read(new_text(after), VOCAB) == read(new_text(before), VOCAB)
    assert likely(new_text(after), VOCAB) == likely(new_text(before), VOCAB)

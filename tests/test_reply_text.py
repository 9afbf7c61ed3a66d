"""Only the new text of a reply survives: quotes, forwards and signatures are cut.

Decisions are read from `new_text`. `visible_text` is what the mail shows,
which keeps quoted or forwarded material when nothing was typed above it; it
is never read for a decision.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.mail.reply_text import new_text, visible_text
from mailflow.reading.decide import Decision, read
from tests.test_decide import VOCAB

CR = f"CR-{datetime.now(UTC).year}-0042"  # a CR id as people quote it, of this year

QUOTE_MARKERS = {
    "gt-quote": "Approved\n\n> Please reply APPROVED or REJECTED.\n> Thanks",
    "on-wrote": "Approved\n\nOn Tue, 3 Mar 2026 at 10:00, CR Desk <cr@ft.example> wrote:\n"
    "Please reply",
    "on-wrote-wrapped": "Approved\n\nOn Tue, 3 Mar 2026 at 10:00, CR Desk\n<cr@ft.example> wrote:\n"
    "> Please reply",
    "german": "Approved\n\nAm 03.03.2026 um 10:00 schrieb CR Desk <cr@ft.example>:\n> Bitte",
    "german-gmail": "Approved\n\nCR Desk <cr@ft.example> schrieb am Di., 3. März 2026 um\n"
    "10:00 Uhr:\n> Bitte",
    "french": "Approved\n\nLe mar. 3 mars 2026 à 10:00, CR Desk <cr@ft.example> a écrit :\n> Merci",
    "spanish": "Approved\n\nEl mar, 3 mar 2026 a las 10:00, CR Desk (<cr@ft.example>) "
    "escribió:\n> Hola",
    "italian": "Approved\n\nIl giorno mar 3 mar 2026 alle ore 10:00 CR Desk ha scritto:\n> Ciao",
    "dutch": "Approved\n\nOp di 3 mrt. 2026 om 10:00 schreef CR Desk <cr@ft.example>:\n> Hoi",
    "portuguese": "Approved\n\nEm ter., 3 de mar. de 2026 às 10:00, CR Desk escreveu:\n> Olá",
    "swedish": "Approved\n\nDen 3 mars 2026 kl. 10:00 skrev CR Desk <cr@ft.example>:\n> Hej",
    "polish": "Approved\n\nW dniu 3.03.2026 o 10:00, CR Desk pisze... napisał:\n> Cześć",
    "russian": "Approved\n\n3 марта 2026 г., в 10:00, CR Desk <cr@ft.example> написал:\n> Привет",
    "outlook": "Approved\n\nFrom: CR Desk <cr@ft.example>\nSent: Monday, March 2, 2026 5:40 PM\n"
    f"To: Priya Okafor\nSubject: [{CR}] Approval\n\nPlease reply",
    "outlook-bold": "Approved\n\n*From:* CR Desk\n*Sent:* Monday\n*To:* Priya\n*Subject:* CR\n\nx",
    "outlook-german": "Approved\n\nVon: CR Desk <cr@ft.example>\nGesendet: Montag, 2. März 2026\n"
    "An: Jörg Weiß\nBetreff: CR\n\nBitte",
    "outlook-french": "Approved\n\nDe : CR Desk\nEnvoyé : lundi 2 mars 2026 17:40\nÀ : Hélène\n"
    "Objet : CR\n\nMerci",
    "underscores": "Approved\n\n________________________________\nFrom: CR Desk\nSent: Monday\n"
    "To: Priya\nSubject: CR",
    "original-message": "Approved\n\n-----Original Message-----\nFrom: CR Desk\nPlease reply",
    "forwarded": "Approved\n\n---------- Forwarded message ---------\nFrom: CR Desk\n\nPlease",
    "begin-forwarded": "Approved\n\nBegin forwarded message:\n\nFrom: CR Desk\nPlease",
    "sig-dashes": "Approved\n\n-- \nPriya Okafor\nHead of Finance, Acme",
    "iphone": "Approved\n\nSent from my iPhone",
    "android": "Approved\n\nSent from my Android phone",
    "outlook-ios": "Approved\n\nGet Outlook for iOS",
    "mail-windows": "Approved\n\nSent from Mail for Windows",
    "german-iphone": "Approved\n\nVon meinem iPhone gesendet",
}


@pytest.mark.parametrize("body", QUOTE_MARKERS.values(), ids=QUOTE_MARKERS.keys())
def test_new_text_stops_at_the_first_marker(body: str) -> None:
    assert new_text(body) == "Approved"


def test_crlf_and_trailing_whitespace_are_normalised() -> None:
    assert new_text("Approved   \r\nPriya\r\n\r\n> quoted\r\n") == "Approved\nPriya"


def test_text_without_markers_is_kept_whole() -> None:
    body = "DONE\nEffort: 5\nApproach: reuse the export job\n\nPriya"
    assert new_text(body) == body


def test_inline_replies_keep_only_the_top() -> None:
    body = "See my answers:\n\n> Effort?\n5 days\n> Cost?\nUSD 9,600"
    assert new_text(body) == "See my answers:"


def test_a_line_of_the_sender_above_a_quote_is_kept_unless_it_is_an_attribution() -> None:
    """A short line ending in ":" may be a condition that points at the quote below it."""
    assert new_text("Approved\nOnly if:\n> phase 1 is dropped") == "Approved\nOnly if:"
    assert new_text("Approved\n\nLena Park wrote:\n> APPROVED") == "Approved"
    assert new_text("Approved\n\nLena Park <lena@acme.example>:\n> APPROVED") == "Approved"
    assert new_text("Approved\n\n3 Mar 2026, Lena Park:\n> APPROVED") == "Approved"


def test_a_reply_that_is_only_a_quote_has_no_new_text() -> None:
    assert new_text("> APPROVED\n> Priya") == ""
    assert new_text("On Tue, 3 Mar 2026, Priya wrote:\n> APPROVED") == ""


def test_ordinary_sentences_are_not_markers() -> None:
    body = "Approved. On Monday we start the build.\nThe team wrote the doc already."
    assert new_text(body) == body


# -- visible_text: what the mail shows ---------------------------------------


@pytest.mark.parametrize("body", QUOTE_MARKERS.values(), ids=QUOTE_MARKERS.keys())
def test_visible_text_is_the_new_text_when_something_was_typed_above(body: str) -> None:
    assert visible_text(body) == new_text(body) == "Approved"


def test_visible_text_keeps_text_typed_above_an_interleaved_quote_only() -> None:
    body = "Answers below.\nOn Mon, 2 Mar 2026, Lena Park wrote:\n> Effort?\n\n5 days"
    assert visible_text(body) == new_text(body) == "Answers below."


VISIBLE = {
    "quote-only": (
        f"> Can you sign off {CR} by Friday?\n> Mateo\n",
        f"> Can you sign off {CR} by Friday?\n> Mateo",
    ),
    "quote-then-text": (
        "> Is the rollback plan attached?\n\nYes, page 3 of the plan.\n",
        "> Is the rollback plan attached?\n\nYes, page 3 of the plan.",
    ),
    "nested-quote-then-text-and-signature": (
        '> From: "Lena Park" <lena@acme.example>\n>\n> > The window is Sunday.\n>\n'
        "> Does that suit ops?\n\nWorks for me.\n\n--\nOmar Haddad\nOps, Acme\n",
        '> From: "Lena Park" <lena@acme.example>\n>\n> > The window is Sunday.\n>\n'
        "> Does that suit ops?\n\nWorks for me.",
    ),
    "attribution-then-unmarked-text": (
        'On 3 Mar 2026 10:00, "Lena Park" <lena@acme.example> wrote:\n\n'
        "The window moved to Sunday.\n\n"
        'On 2 Mar 2026 09:12, "Omar Haddad" <omar@acme.example> wrote:\n\n'
        "> Which window?\nThe usual one.\n",
        "The window moved to Sunday.\n\n\n> Which window?\nThe usual one.",
    ),
    "wrapped-attribution": (
        "On Tue, 3 Mar 2026 at 10:00, Lena Park\n<lena@acme.example> wrote:\n\n"
        "    make deploy ENV=staging\n\nThat is the command.",
        "    make deploy ENV=staging\n\nThat is the command.",
    ),
    "german-attribution": (
        "Am 03.03.2026 um 10:00 schrieb Jörg Weiß <joerg@acme.example>:\n\nDer Termin steht.",
        "Der Termin steht.",
    ),
    "attribution-quote-and-reply-below": (
        "On Mon, 2 Mar 2026, Lena Park <lena@acme.example> wrote:\n> Please confirm.\n\n"
        "Confirmed, see you Sunday.\n\nSent from my iPhone",
        "Confirmed, see you Sunday.",
    ),
    "only-quoted-attributions": (
        "> On Mon, 2 Mar 2026, Lena Park <lena@acme.example> wrote:\n>\n"
        ">> On Sun, 1 Mar 2026, Omar Haddad <omar@acme.example> wrote:\n>>\n",
        "",
    ),
    "quote-text-and-phone-footer": (
        "> Is it approved?\n\nNot yet.\n\nSent from my Android phone",
        "> Is it approved?\n\nNot yet.",
    ),
    "gmail-forward-wrapped-subject": (
        "---------- Forwarded message ---------\nFrom: Lena Park <lena@acme.example>\n"
        "Date: Tue, 3 Mar 2026 at 10:00\nSubject: Change window for the\nexport job\n"
        "To: ops@acme.example\nCc: Omar Haddad <omar@acme.example>\n\n\n"
        "The export job moves to Sunday.\n",
        "The export job moves to Sunday.",
    ),
    "apple-forward": (
        "Begin forwarded message:\n\nFrom: Lena Park <lena@acme.example>\n"
        "Subject: Export job\nDate: 3 March 2026 at 10:00:00 CET\nTo: ops@acme.example\n"
        "Reply-To: lena@acme.example\n\nThe export job moves to Sunday.",
        "The export job moves to Sunday.",
    ),
    "outlook-original-message": (
        "-----Original Message-----\nFrom: Lena Park\nSent: Tuesday, March 3, 2026 10:00 AM\n"
        "To: Ops\nSubject: Export job\n\nThe export job moves to Sunday.",
        "The export job moves to Sunday.",
    ),
    "outlook-rule-and-header-block": (
        "________________________________\nFrom: Lena Park <lena@acme.example>\n"
        "Sent: Tuesday, March 3, 2026 10:00 AM\nTo: Ops\nSubject: Export job\n\n"
        "The export job moves to Sunday.",
        "The export job moves to Sunday.",
    ),
}


@pytest.mark.parametrize(("body", "shown"), VISIBLE.values(), ids=VISIBLE.keys())
def test_visible_text_keeps_the_material_a_mail_starts_with(body: str, shown: str) -> None:
    assert visible_text(body) == shown
    assert visible_text(body.replace("\n", "\r\n")) == shown


def test_a_quoted_approval_is_shown_but_never_read() -> None:
    body = "> APPROVED\n> Lena"
    assert visible_text(body) == "> APPROVED\n> Lena"
    assert new_text(body) == ""
    assert not isinstance(read(new_text(body), VOCAB), Decision)
    forwarded = "---------- Forwarded message ---------\nFrom: Lena\nDate: x\nTo: y\n\nAPPROVED"
    assert visible_text(forwarded) == "APPROVED"
    assert not isinstance(read(new_text(forwarded), VOCAB), Decision)


# -- the property: what visible_text keeps from history is never a decision ---

_TYPED = ["Thanks, Mateo.", "See the rollback plan, page 3.", "Effort: 5", "Sunday works.",
          "APPROVED", "Rejected: the window is too short", "DONE", "I sign off."]  # fmt: skip
_HISTORY = ["APPROVED", "Approved, go ahead.", "REJECTED: too risky", "DONE", "I approve",
            "Signed off.", "Please reply APPROVED or REJECTED.", "Thanks, Lena"]  # fmt: skip
_ATTRIBUTION = "On Mon, 2 Mar 2026 at 09:12, Lena Park <lena@acme.example> wrote:"
_UNMARKED_OPENERS = [
    _ATTRIBUTION + "\n",
    "---------- Forwarded message ---------\nFrom: Lena Park <lena@acme.example>\n"
    f"Date: Mon, 2 Mar 2026\nSubject: {CR}\nTo: ops@acme.example\n",
    "From: Lena Park <lena@acme.example>\nSent: Monday, March 2, 2026 9:12 AM\n"
    f"To: Ops\nSubject: {CR}\n",
    "-----Original Message-----\nFrom: Lena Park\nSent: Monday\nTo: Ops\nSubject: CR\n",
]
_typed = st.lists(st.sampled_from(_TYPED), min_size=1, max_size=3).map(lambda ls: ("typed", ls))
_quote = st.tuples(st.booleans(), st.lists(st.sampled_from(_HISTORY), min_size=1, max_size=3)).map(
    lambda q: ("quote", ([_ATTRIBUTION] if q[0] else []) + ["> " + line for line in q[1]])
)
_unmarked = st.tuples(
    st.sampled_from(_UNMARKED_OPENERS), st.lists(st.sampled_from(_HISTORY), min_size=1, max_size=3)
).map(lambda u: ("history", [u[0], *u[1]]))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.one_of(_typed, _quote), max_size=4),
    st.one_of(st.none(), _unmarked),
    st.sampled_from(["\n", "\n\n"]),
)
def test_no_decision_comes_from_what_visible_text_keeps_of_history(
    segments: list[tuple[str, list[str]]], tail: tuple[str, list[str]] | None, gap: str
) -> None:
    """Decision words in quoted, attributed or forwarded lines are shown, never decided.

    The mail is built from typed lines, "> " quotes (with or without an
    attribution) and, last, history without ">" marks (a forward, an Outlook
    header block, an attribution); everything after such history is history.
    Whatever the shape, a decision is only ever read from a typed line.
    """
    parts = [*segments, *([tail] if tail else [])]
    body = gap.join("\n".join(lines) for _, lines in parts)
    typed = {line for kind, lines in parts if kind == "typed" for line in lines}
    result = read(new_text(body), VOCAB)
    if isinstance(result, Decision):
        assert result.line.strip() in typed, body
    shown = visible_text(body)
    if parts and parts[0][0] == "quote" and not parts[0][1][0].startswith("On "):
        # A mail that opens with a bare quote shows that quote, and decides nothing from it.
        assert shown.startswith(parts[0][1][0]), body


def test_a_dash_sign_off_is_shown_as_the_end_but_read_as_a_line() -> None:
    """ "-Priya" and "-Not yet" have one shape: the decision path keeps the line."""
    body = "Approved\n-Not yet"
    assert new_text(body) == body
    assert not isinstance(read(new_text(body), VOCAB), Decision)
    assert visible_text("Approved\n-Priya\n\nPriya Nair, Acme") == "Approved"

"""Only the new text of a reply survives: quotes, forwards and signatures are cut."""

from __future__ import annotations

import pytest

from mailflow.mail.reply_text import new_text

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
    "To: Priya Okafor\nSubject: [CR-2026-0042] Approval\n\nPlease reply",
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
    assert new_text(body) == ""


def test_a_reply_that_is_only_a_quote_has_no_new_text() -> None:
    assert new_text("> APPROVED\n> Priya") == ""
    assert new_text("On Tue, 3 Mar 2026, Priya wrote:\n> APPROVED") == ""


def test_ordinary_sentences_are_not_markers() -> None:
    body = "Approved. On Monday we start the build.\nThe team wrote the doc already."
    assert new_text(body) == body

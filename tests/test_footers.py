"""Client footers and legal notices are cut from the end of a reply, exactly.

A footer ("Sent from my iPhone") is cut when it is a whole line, or when it ends
the last line ("Approved Sent from my iPhone"), from a closed list; a notice is
cut when it is a closing paragraph that reads as one by its shape. Neither is
ever a guess: the same words in the middle of a reply, a footer with something
after it, or a "notice" carrying a condition stay, and the closed rule asks.
"""

from __future__ import annotations

import re
import time
import warnings

import pytest

from mailflow.mail import footers, notices, quote_markers
from mailflow.mail.reply_text import new_text, visible_text
from mailflow.reading.decide import Decision, read
from tests.phrase_suite import vocabulary

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # regexploit imports sre_parse
    from regexploit.ast.sre import SreOpParser
    from regexploit.redos import find

WORDS = vocabulary()

FOOTERS = [
    "Sent from my iPhone",
    "Sent from my iPad",
    "Sent from my Android",
    "Sent from my Android phone",
    "Sent from my Galaxy",
    "Sent from my Samsung Galaxy smartphone.",
    "Sent from my Samsung Galaxy S23 Ultra",
    "Sent from my Verizon, Samsung Galaxy smartphone",
    "Sent from my BlackBerry 10 smartphone.",
    "Sent from my mobile device",
    "Sent from Mail for Windows",
    "Sent from Mail for Windows 10",
    "Sent from Outlook for iOS",
    "Get Outlook for iOS",
    "Get Outlook for Android",
    "Sent from Yahoo Mail",
    "Sent from Yahoo Mail for iPhone",
    "Sent from Yahoo Mail on Android",
    "Sent with ProtonMail Secure Email.",
    "Sent with Proton Mail secure email.",
    "Von meinem iPhone gesendet",
    "Von meinem Samsung Galaxy Smartphone gesendet.",
    "Gesendet von Outlook für iOS",
    "Outlook für Android herunterladen",
    "Envoyé de mon iPhone",
    "Envoyé depuis mon smartphone Samsung Galaxy.",
    "Obtenir Outlook pour Android",
    "Enviado desde mi iPhone",
    "Obtener Outlook para iOS",
    "Enviado do meu iPhone",
    "Inviato da iPhone",
    "Inviato dal mio iPad",
    "Scarica Outlook per Android",
    "Verstuurd vanaf mijn iPhone",
    "Verzonden vanaf mijn Samsung Galaxy-smartphone",
    "Skickat från min iPhone",
    "Hämta Outlook för iOS",
    "Sendt fra min iPhone",
    "Hent Outlook til Android",
    "Wysłane z iPhone'a",
    "Wysłane z mojego iPhone’a",
    "Lähetetty iPhonesta",
    "Отправлено с iPhone",
    "Отправлено с моего iPhone",
    "iPhone'umdan gönderildi",
    "iPhoneから送信",
    "发自我的iPhone",
    "我的iPhone发送",
    "從我的 iPhone 傳送",
    "iPhone에서 보냄",
    "Enviat des del meu iPhone",
]


@pytest.mark.parametrize("footer", FOOTERS)
def test_a_footer_line_is_cut(footer: str) -> None:
    assert new_text(f"Approved\n\n{footer}") == "Approved"
    assert new_text(f"Approved\n{footer}\n") == "Approved"


@pytest.mark.parametrize("footer", FOOTERS)
def test_a_footer_ending_the_decision_line_is_cut(footer: str) -> None:
    assert new_text(f"Approved {footer}") == "Approved"
    assert new_text(f"Thanks, approved. {footer}") == "Thanks, approved."


@pytest.mark.parametrize("footer", FOOTERS)
def test_a_footer_is_matched_whatever_its_case(footer: str) -> None:
    assert new_text(f"Approved\n\n{footer.upper()}") == "Approved"


@pytest.mark.parametrize(
    "body",
    [
        "Approved\n\nGet Outlook for iOS<https://aka.ms/o0ukef>",
        "Approved\n\nGet Outlook for iOS <https://aka.ms/o0ukef>",
        "Approved\n\nGet Outlook for Android\n<https://aka.ms/ghei36>",
        "Approved\n\nGet Outlook for iOShttps://aka.ms/o0ukef",
        "Approved\n\nGet [Outlook for Android](https://aka.ms/ghei36)",
        "Approved\n\nSent from Mail<https://go.microsoft.com/fwlink/?LinkId=550986> for Windows",
        "Approved\n\nSent from Yahoo Mail for iPhone <https://overview.mail.yahoo.com/?.src=iOS>",
        "Approved Get Outlook for iOS<https://aka.ms/o0ukef>",
    ],
)
def test_a_footer_with_its_link_is_cut(body: str) -> None:
    assert new_text(body) == "Approved"


def test_footers_before_the_quoted_history_are_cut() -> None:
    body = (
        "Approved\n\nLähetetty iPhonesta\n\n"
        "3.3.2026 kello 10.00 FT Change Requests <cr@ft.example> kirjoitti:\n\n"
        "> Please reply APPROVED or REJECTED."
    )
    assert new_text(body) == "Approved"


def test_a_footer_is_cut_only_where_the_phrase_ends_the_line() -> None:
    for body in (
        "Approved Sent from my iPhone only for phase 1",
        "Approved\nSent from my iPhone only for phase 1",
        "Approved\n\nSent from my Galaxy until Friday",
        "Approved\nSent from my phone, phase 1 only",
    ):
        assert new_text(body) == body
        assert not isinstance(read(new_text(body), WORDS), Decision)


def test_text_typed_below_a_footer_keeps_the_footer_in_the_reply() -> None:
    """A footer with the sender's own words below it is not the end of the reply."""
    body = "Approved\n\nSent from my iPhone\n\nOnly phase 1 please."
    assert new_text(body) == body
    assert not isinstance(read(new_text(body), WORDS), Decision)


def test_visible_text_ends_at_the_first_footer_line_as_trimmers_show_it() -> None:
    body = "Approved\n\nSent from my iPhone\n\nSent from the laptop of Dana"
    assert visible_text(body) == "Approved"
    assert new_text(body) == body


def test_a_footer_in_the_middle_of_a_line_stays() -> None:
    body = "The phrase Sent from my iPhone is added by the phone, approved."
    assert new_text(body) == body


# -- notices -----------------------------------------------------------------

NOTICES = {
    "english": "CONFIDENTIALITY NOTICE: This e-mail message, including any attachments, is for "
    "the sole use of the intended recipient(s) and may contain confidential and privileged "
    "information. Any unauthorized review, use, disclosure or distribution is prohibited. If "
    "you are not the intended recipient, please contact the sender by reply e-mail and "
    "destroy all copies of the original message.",
    "english-short": "This email and any attachments are confidential and intended solely for "
    "the addressee. If you have received this email in error, please notify the sender "
    "immediately and delete it.",
    "german": "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der "
    "beabsichtigte Empfänger sind oder diese E-Mail irrtümlich erhalten haben, informieren "
    "Sie bitte sofort den Absender und vernichten Sie diese E-Mail.",
    "french": "Ce message et ses pièces jointes sont confidentiels et destinés exclusivement "
    "au destinataire. Si vous avez reçu ce message par erreur, merci de le détruire et d'en "
    "avertir l'expéditeur.",
    "spanish": "Este mensaje y sus archivos adjuntos son confidenciales y están dirigidos "
    "exclusivamente a su destinatario. Si ha recibido este mensaje por error, le rogamos que "
    "lo notifique al remitente y proceda a su eliminación.",
    "italian": "Questo messaggio e i suoi allegati sono riservati e destinati esclusivamente "
    "al destinatario. Se avete ricevuto questo messaggio per errore, vi preghiamo di "
    "informarci immediatamente e di distruggerlo.",
    "dutch": "Dit bericht en eventuele bijlagen zijn vertrouwelijk en uitsluitend bestemd "
    "voor de geadresseerde. Indien u dit bericht ten onrechte heeft ontvangen, wordt u "
    "verzocht de afzender te informeren en het bericht te verwijderen.",
    "portuguese": "Esta mensagem e os seus anexos são confidenciais e destinam-se "
    "exclusivamente ao destinatário. Se recebeu esta mensagem por engano, por favor informe "
    "o remetente e elimine-a.",
    "swedish": "Detta e-postmeddelande och eventuella bilagor är konfidentiella och endast "
    "avsedda för mottagaren. Om du har fått detta meddelande av misstag, vänligen meddela "
    "avsändaren och radera meddelandet.",
    "polish": "Ta wiadomość oraz wszelkie załączniki są poufne i przeznaczone wyłącznie dla "
    "adresata. Jeżeli otrzymałeś ją przez pomyłkę, prosimy o powiadomienie nadawcy i "
    "usunięcie wiadomości.",
}


@pytest.mark.parametrize("notice", NOTICES.values(), ids=NOTICES.keys())
def test_a_closing_notice_is_cut(notice: str) -> None:
    assert new_text(f"Approved\n\nDana\n\n{notice}") == "Approved\n\nDana"
    assert new_text(f"Approved.\n\n{notice}\n\n") == "Approved."


@pytest.mark.parametrize("notice", NOTICES.values(), ids=NOTICES.keys())
def test_a_notice_wrapped_over_lines_and_right_below_the_name_is_cut(notice: str) -> None:
    wrapped = re.sub(r"(.{60,70}?) ", "\\1\n", notice)
    assert new_text(f"Approved\nDana Whitfield\n{wrapped}") == "Approved\nDana Whitfield"


def test_a_notice_before_the_quoted_history_is_cut() -> None:
    body = (
        f"Approved\n\n{NOTICES['english-short']}\n\n"
        "-----Original Message-----\nFrom: FT Change Requests\nSent: Monday\nTo: Dana\n"
        "Subject: CR\n\nPlease reply APPROVED or REJECTED."
    )
    assert new_text(body) == "Approved"


def test_notices_and_footers_in_any_order_are_cut() -> None:
    body = f"Approved\n\nSent from my iPhone\n\n{NOTICES['german']}\n\n{NOTICES['english']}"
    assert new_text(body) == "Approved"
    body = f"Approved\n\n{NOTICES['french']}\n\nEnvoyé de mon iPhone"
    assert new_text(body) == "Approved"


def test_the_same_words_in_the_middle_of_a_reply_stay() -> None:
    notice = NOTICES["english-short"]
    body = f"Approved.\n\n{notice}\n\nThe budget is fixed at USD 9,600."
    assert new_text(body) == body
    said = "This is confidential: the rollout was received in error by the other team.\n\nOK."
    assert new_text(said) == said


ATTACKS = [
    "Approved\n\nConfidential: approved only if phase 1 is dropped.",
    "Approved\n\nCONFIDENTIAL - approved only if phase 1 is dropped. This email and any "
    "attachments are confidential and intended only for the addressee.",
    "Approved\n\nThis email and any attachments are confidential and intended only for the "
    "addressee, and the approval holds only if phase 1 is dropped. If you have received "
    "this email in error, please notify the sender and delete it.",
    "Approved\n\nThis email is confidential. Approved for the export only, not the backfill. "
    "If you are not the intended recipient, please delete it.",
    "Approved\n\nDiese E-Mail ist vertraulich und gilt nur bis Januar. Wenn Sie diese E-Mail "
    "irrtümlich erhalten haben, informieren Sie bitte den Absender.",
]


@pytest.mark.parametrize("body", ATTACKS)
def test_a_condition_dressed_as_a_notice_stays_and_is_asked_back(body: str) -> None:
    assert new_text(body) == body
    assert not isinstance(read(new_text(body), WORDS), Decision)


def test_a_short_notice_like_sentence_is_a_remark() -> None:
    body = "Approved\n\nThis is confidential."
    assert new_text(body) == body


def test_the_notice_words_hold_no_word_of_a_decision_or_a_condition() -> None:
    lexicon = notices.lexicon()
    held = {"approve", "approved", "approval", "accept", "accepted", "agree", "agreed",
            "reject", "rejected", "done", "deployed", "passed", "signed", "ok", "go", "ahead",
            "proceed", "phase", "budget", "dropped", "unless", "until", "except", "provided",
            "only if", "january", "quarter", "genehmigt", "approuvé", "aprobado"}  # fmt: skip
    assert held.isdisjoint(lexicon)
    for spec in WORDS.verbs:
        for phrase in (*spec.phrases, *spec.likely):
            found = notices.words(phrase)
            if spec.affirmative and len(found) == 1:
                assert found[0] not in lexicon, phrase


# -- bounded and linear --------------------------------------------------------


def _patterns() -> list[re.Pattern[str]]:
    found = []
    for module in (footers, notices, quote_markers):
        for value in vars(module).values():
            if isinstance(value, re.Pattern):
                found.append(value)
    return found


@pytest.mark.parametrize("pattern", _patterns(), ids=lambda p: p.pattern[:40])
def test_no_pattern_can_backtrack_badly(pattern: re.Pattern[str]) -> None:
    parsed = SreOpParser().parse_sre(pattern.pattern, pattern.flags)
    assert list(find(parsed)) == []


def test_hostile_lines_are_read_in_linear_time() -> None:
    hostile = [
        "Sent from my " + "Galaxy " * 20_000,
        "Approved " + "Sent from my " * 10_000 + "x",
        "-" * 50_000 + "x",
        "ti 3. " + " " * 50_000 + "x",
        ("confidential " * 10_000 + "\n") * 3,
        "wt., 3 mar 2026 " + "<a@b.c> " * 10_000,
        "Foo <" + "a" * 50_000 + "@b>",
    ]
    for line in hostile:
        start = time.perf_counter()
        new_text(f"Approved\n\n{line}")
        visible_text(line)
        assert time.perf_counter() - start < 2, line[:40]

"""Quoted history is cut in the languages customers write in, as their clients write it.

One reply per language, shaped as the client sends it: the new text, then Gmail's
attribution ("<date> <name> <address> wrote:" in that language, on one line and
wrapped over two as Gmail wraps a long one) and the "> " quote; or the new text,
then Outlook's localized From/Sent/To/Subject block and the history below it,
unquoted. In every case exactly the new text is left, and the old "APPROVED" in
the history never is.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailflow.mail.reply_text import new_text, visible_text

# the CR a quoted subject names is of this year, whatever year the test runs in
CR = f"CR-{datetime.now(UTC).year}-0042"

ADDRESS = "<cr@ft.example>"
HISTORY = "Please reply APPROVED or REJECTED.\nAPPROVED\nFT Change Requests"


# language: (new text, Gmail attribution, Outlook header block)
LANGUAGES: dict[str, tuple[str, str, str]] = {
    "finnish": (
        "Hyväksytty.\n\nTerveisin\nAnna Virtanen",
        f"ti 3.3.2026 klo 10.00 FT Change Requests {ADDRESS} kirjoitti:",
        "Lähettäjä: FT Change Requests <cr@ft.example>\n"
        "Lähetetty: tiistai 3. maaliskuuta 2026 10.00\n"
        f"Vastaanottaja: Anna Virtanen <anna@acme.example>\nAihe: [{CR}] Hyväksyntä",
    ),
    "russian": (
        "Согласовано.\n\nС уважением,\nИван Петров",
        f"вт, 3 мар. 2026 г. в 10:00, FT Change Requests {ADDRESS}:",
        "От: FT Change Requests <cr@ft.example>\nОтправлено: 3 марта 2026 г. 10:00\n"
        f"Кому: Иван Петров <ivan@acme.example>\nТема: [{CR}] Согласование",
    ),
    "norwegian": (
        "Godkjent.\n\nHilsen\nOla Nordmann",
        f"tir. 3. mar. 2026 kl. 10:00 skrev FT Change Requests {ADDRESS}:",
        "Fra: FT Change Requests <cr@ft.example>\nSendt: tirsdag 3. mars 2026 10:00\n"
        f"Til: Ola Nordmann <ola@acme.example>\nEmne: [{CR}] Godkjenning",
    ),
    "danish": (
        "Godkendt.\n\nVenlig hilsen\nMette Hansen",
        f"Den tirs. 3. mar. 2026 kl. 10.00 skrev FT Change Requests {ADDRESS}:",
        "Fra: FT Change Requests <cr@ft.example>\nSendt: 3. marts 2026 10:00\n"
        f"Til: Mette Hansen <mette@acme.example>\nEmne: [{CR}] Godkendelse",
    ),
    "swedish": (
        "Godkänt.\n\nMed vänliga hälsningar\nAstrid Lind",
        f"Den tis 3 mars 2026 kl 10:00 skrev FT Change Requests {ADDRESS}:",
        "Från: FT Change Requests <cr@ft.example>\nSkickat: den 3 mars 2026 10:00\n"
        f"Till: Astrid Lind <astrid@acme.example>\nÄmne: [{CR}] Godkännande",
    ),
    "catalan": (
        "Aprovat.\n\nSalutacions,\nJordi Puig",
        f"El dt., 3 de març 2026 a les 10:00, FT Change Requests ({ADDRESS}) va escriure:",
        "De: FT Change Requests <cr@ft.example>\nEnviat: dimarts, 3 de març de 2026 10:00\n"
        f"Per a: Jordi Puig <jordi@acme.example>\nAssumpte: [{CR}] Aprovació",
    ),
    "spanish": (
        "Aprobado.\n\nSaludos,\nLucía García",
        f"El mar, 3 mar 2026 a las 10:00, FT Change Requests ({ADDRESS}) escribió:",
        "De: FT Change Requests <cr@ft.example>\n"
        "Enviado el: martes, 3 de marzo de 2026 10:00\n"
        f"Para: Lucía García <lucia@acme.example>\nAsunto: [{CR}] Aprobación",
    ),
    "portuguese": (
        "Aprovado.\n\nCumprimentos,\nJoão Silva",
        f"Em ter., 3 de mar. de 2026 às 10:00, FT Change Requests {ADDRESS} escreveu:",
        "De: FT Change Requests <cr@ft.example>\n"
        "Enviado: terça-feira, 3 de março de 2026 10:00\n"
        f"Para: João Silva <joao@acme.example>\nAssunto: [{CR}] Aprovação",
    ),
    "italian": (
        "Approvato.\n\nCordiali saluti,\nGiulia Rossi",
        f"Il giorno mar 3 mar 2026 alle ore 10:00 FT Change Requests {ADDRESS} ha scritto:",
        "Da: FT Change Requests <cr@ft.example>\nInviato: martedì 3 marzo 2026 10:00\n"
        f"A: Giulia Rossi <giulia@acme.example>\nOggetto: [{CR}] Approvazione",
    ),
    "dutch": (
        "Goedgekeurd.\n\nMet vriendelijke groet,\nSanne de Vries",
        f"Op di 3 mrt 2026 om 10:00 schreef FT Change Requests {ADDRESS}:",
        "Van: FT Change Requests <cr@ft.example>\nVerzonden: dinsdag 3 maart 2026 10:00\n"
        f"Aan: Sanne de Vries <sanne@acme.example>\nOnderwerp: [{CR}] Goedkeuring",
    ),
    "polish": (
        "Zatwierdzone.\n\nPozdrawiam,\nKasia Nowak",
        f"wt., 3 mar 2026 o 10:00 FT Change Requests {ADDRESS} napisał(a):",
        "Od: FT Change Requests <cr@ft.example>\nWysłano: wtorek, 3 marca 2026 10:00\n"
        f"Do: Kasia Nowak <kasia@acme.example>\nTemat: [{CR}] Zatwierdzenie",
    ),
    "turkish": (
        "Onaylandı.\n\nSaygılarımla,\nAyşe Yılmaz",
        f"3 Mar 2026 Sal, 10:00 tarihinde FT Change Requests {ADDRESS} şunu yazdı:",
        "Kimden: FT Change Requests <cr@ft.example>\nGönderildi: 3 Mart 2026 Salı 10:00\n"
        f"Kime: Ayşe Yılmaz <ayse@acme.example>\nKonu: [{CR}] Onay",
    ),
    "chinese": (
        "同意。\n\n王伟",
        f"FT Change Requests {ADDRESS} 于2026年3月3日周二 10:00写道：",
        "发件人: FT Change Requests <cr@ft.example>\n发送时间: 2026年3月3日 10:00\n"
        f"收件人: 王伟 <wang@acme.example>\n主题: [{CR}] 审批",
    ),
    "korean": (
        "승인합니다.\n\n김민수 드림",
        f"2026년 3월 3일 (화) 오전 10:00, FT Change Requests {ADDRESS}님이 작성:",
        "보낸 사람: FT Change Requests <cr@ft.example>\n"
        "보낸 날짜: 2026년 3월 3일 화요일 오전 10:00\n"
        f"받는 사람: 김민수 <minsu@acme.example>\n제목: [{CR}] 승인",
    ),
    "japanese": (
        "承認します。\n\n佐藤",
        f"2026年3月3日(火) 10:00 FT Change Requests {ADDRESS}:",
        "差出人: FT Change Requests <cr@ft.example>\n送信日時: 2026年3月3日 10:00\n"
        f"宛先: 佐藤 <sato@acme.example>\n件名: [{CR}] 承認",
    ),
    "french": (
        "Approuvé.\n\nCordialement,\nHélène Martin",
        f"Le mar. 3 mars 2026 à 10:00, FT Change Requests {ADDRESS} a écrit :",
        "De : FT Change Requests <cr@ft.example>\nEnvoyé : mardi 3 mars 2026 10:00\n"
        f"À : Hélène Martin <helene@acme.example>\nObjet : [{CR}] Approbation",
    ),
    "german": (
        "Genehmigt.\n\nViele Grüße\nJörg Weiß",
        f"Am Di., 3. März 2026 um 10:00 Uhr schrieb FT Change Requests {ADDRESS}:",
        "Von: FT Change Requests <cr@ft.example>\nGesendet: Dienstag, 3. März 2026 10:00\n"
        f"An: Jörg Weiß <joerg@acme.example>\nBetreff: [{CR}] Genehmigung",
    ),
}
IDS = list(LANGUAGES)


def _wrapped(attribution: str) -> str:
    """The attribution as Gmail wraps a long one: at the space nearest its middle."""
    spaces = [i for i, char in enumerate(attribution) if char == " "]
    at = min(spaces, key=lambda i: abs(i - len(attribution) // 2))
    return attribution[:at] + "\n" + attribution[at + 1 :]


def _quoted() -> str:
    return "\n".join(f"> {line}" for line in HISTORY.splitlines())


@pytest.mark.parametrize("language", IDS)
def test_gmail_attribution_and_quote_are_cut(language: str) -> None:
    reply, attribution, _ = LANGUAGES[language]
    body = f"{reply}\n\n{attribution}\n\n{_quoted()}\n"
    assert new_text(body) == reply
    assert visible_text(body) == reply


@pytest.mark.parametrize("language", IDS)
def test_a_wrapped_gmail_attribution_is_cut_whole(language: str) -> None:
    reply, attribution, _ = LANGUAGES[language]
    wrapped = _wrapped(attribution)
    assert "\n" in wrapped
    body = f"{reply}\n\n{wrapped}\n\n{_quoted()}\n"
    assert new_text(body) == reply


@pytest.mark.parametrize("language", IDS)
def test_an_attribution_above_unquoted_history_is_cut(language: str) -> None:
    """Some clients (and HTML turned into text) leave the history without "> " marks."""
    reply, attribution, _ = LANGUAGES[language]
    body = f"{reply}\n\n{attribution}\n\n{HISTORY}\n"
    assert new_text(body) == reply


@pytest.mark.parametrize("language", IDS)
def test_outlook_header_block_and_history_are_cut(language: str) -> None:
    reply, _, block = LANGUAGES[language]
    body = f"{reply}\n\n{block}\n\n{HISTORY}\n"
    assert new_text(body) == reply
    ruled = f"{reply}\n\n________________________________\n{block}\n\n{HISTORY}\n"
    assert new_text(ruled) == reply


@pytest.mark.parametrize("language", ["chinese", "japanese", "korean"])
def test_outlook_block_with_full_width_colons(language: str) -> None:
    """Chinese, Japanese and Korean clients may write "：" after the header names."""
    reply, _, block = LANGUAGES[language]
    wide = "\n".join(line.replace(": ", "：", 1) for line in block.splitlines())
    assert new_text(f"{reply}\n\n{wide}\n\n{HISTORY}") == reply


@pytest.mark.parametrize(
    "separator",
    [
        "-----Ursprüngliche Nachricht-----",
        "-------- Original-Nachricht --------",
        "-----Message d'origine-----",
        "-----Mensaje original-----",
        "-----Messaggio originale-----",
        "-----Oorspronkelijk bericht-----",
        "-----Alkuperäinen viesti-----",
        "-----Исходное сообщение-----",
        "-----Wiadomość oryginalna-----",
        "-----原始邮件-----",
        "---------- Weitergeleitete Nachricht ---------",
        "---------- Forwarded message ---------",
    ],
)
def test_localized_original_message_separators_are_cut(separator: str) -> None:
    body = f"Approved\n\n{separator}\nFrom: FT Change Requests\n\n{HISTORY}"
    assert new_text(body) == "Approved"


def test_a_sentence_starting_with_a_date_is_not_an_attribution() -> None:
    body = "Approved.\n\n3 March 2026 works for the deploy.\nThanks, Anna"
    assert new_text(body) == body
    dated = "ti 3.3.2026 is the day.\nThe window closes at 10:00, please be ready."
    assert new_text(dated) == dated


def test_a_dated_attribution_needs_its_lines_together() -> None:
    """A dated line, a blank line, then an address and a colon: the dated line is text."""
    body = "Approved\n\nwt., 3 mar 2026 only\n\nFT Change Requests <cr@ft.example>:\n> APPROVED"
    assert new_text(body) == "Approved\n\nwt., 3 mar 2026 only"


def test_a_dated_line_ending_with_an_address_and_colon_needs_a_time() -> None:
    body = "Approved\nPer 3 March, only with a sign-off from <cfo@acme.example>:\n- the export"
    assert new_text(body) == body


def test_a_line_opening_with_a_date_and_time_is_an_attribution_only_with_its_colon() -> None:
    condition = "Approved\n\n2026-03-10 09:00 is the window, phase 1 only.\nThanks"
    assert new_text(condition) == condition
    attributed = "Approved\n\n2026-03-03 10:00 GMT+01:00 FT Change Requests <cr@ft.example>:\n"
    assert new_text(attributed + "> APPROVED") == "Approved"
    assert new_text(attributed + "APPROVED") == "Approved"
    russian = "Approved\n\n3 марта 2026 г. 10:00 пользователь FT Change Requests написал:\n"
    assert new_text(russian + "APPROVED") == "Approved"

"""The legal and confidentiality notices companies append to every mail.

"This email and any attachments are confidential…" closes many replies; it says
nothing about the change request, and the closed rule would ask about each of
its sentences. But a notice is also a place to hide a condition ("Confidential:
approved only if phase 1 is dropped"), and what is cut here is never read. So a
paragraph counts as a notice only by its shape, and the shape is strict:

- it holds a listed notice phrase ("intended recipient", "confidential",
  "received this in error", "vertraulich", "par erreur", "riservat"…);
- it is at least `MIN_LENGTH` characters long: notices run to several hundred,
  while a one-line remark that happens to say "confidential" is a remark;
- every word of it is a word of the model notices below, in any of their
  languages (numbers, addresses and links aside). A condition needs words of
  its own — "phase", "dropped", "January", "budget", "approved" — and no model
  notice holds them, so a paragraph carrying one is not a notice and stays.

Only whole paragraphs at the end of the new text are judged (see
`reply_text.new_text`); the same words in the middle of a reply are what the
person wrote. A company notice with words of its own (its name, its registered
office) is not cut by this rule: the reply is asked back rather than guessed
at, and once the same block has closed two of the sender's mails it is learned
as their signature (`signature_blocks`).

To support a notice in another language, add a model notice in that language
and its opening phrases: the lexicon is the words of the models.
"""

from __future__ import annotations

import re

MIN_LENGTH = 80

_MODELS = (
    # English
    "Confidentiality notice. Disclaimer. Legal notice. Important notice. This e-mail "
    "message, including any attachments, is for the sole use of the intended recipient(s) "
    "and may contain confidential, proprietary and privileged information. Any unauthorized"
    " or unauthorised review, use, disclosure, copying, dissemination or distribution is "
    "strictly prohibited and may be unlawful. If you are not the intended recipient, please"
    " contact the sender by reply e-mail and destroy all copies of the original message and"
    " any attachments. This email and any files transmitted with it are confidential and "
    "intended solely for the use of the individual or entity to whom they are addressed. If"
    " you have received this email in error, please notify the system manager or the sender"
    " immediately and delete it from your system. This message contains confidential "
    "information and is intended only for the individual named. If you are not the named "
    "addressee you should not disseminate, distribute or copy this e-mail. Please notify "
    "the sender immediately by e-mail if you have received this e-mail by mistake. E-mail "
    "transmission cannot be guaranteed to be secure or error-free as information could be "
    "intercepted, corrupted, lost, destroyed, arrive late or incomplete, or contain "
    "viruses. The sender therefore takes no responsibility for any errors or omissions in "
    "the contents of this message which arise as a result of e-mail transmission. Any views"
    " or opinions presented in this email are solely those of the author and do not "
    "necessarily represent those of the company. The recipient should check this email and "
    "any attachments for the presence of viruses. The company takes no responsibility for "
    "damage caused by any virus transmitted by this email. The information contained in "
    "this communication is legally privileged and may be subject to legal professional "
    "privilege; it is intended exclusively for the addressee or addressees named above. If "
    "you received this message in error, or received this in error, please let us know by "
    "return email and then delete it; do not read, print, retain, forward or otherwise use "
    "it or its contents. It may not be used, copied or disclosed to any other person. "
    "Please consider the environment before printing this email. Thank you.",
    "The information in this email is confidential and may be legally privileged. Access to "
    "this email by anyone else is unauthorised. Any action taken or omitted to be taken in "
    "reliance on it is prohibited. Any unauthorised use of this message in whole or in part "
    "is strictly prohibited. You must not use, copy, distribute or disclose it to anyone "
    "else. This message (including any attachments) is confidential and may be privileged.",
    # German
    "Vertraulichkeitshinweis. Haftungsausschluss. Diese E-Mail enthält vertrauliche und/oder "
    "rechtlich geschützte Informationen. Wenn Sie nicht der richtige Adressat bzw. nicht der "
    "beabsichtigte Empfänger sind oder diese E-Mail irrtümlich erhalten haben, informieren Sie "
    "bitte sofort den Absender und vernichten Sie diese Mail. Das unerlaubte Kopieren sowie die "
    "unbefugte Weitergabe dieser Mail und der darin enthaltenen Informationen ist nicht "
    "gestattet. Diese Nachricht einschließlich aller Anhänge ist vertraulich und "
    "ausschließlich für den genannten Empfänger bestimmt. Sollten Sie diese Nachricht "
    "versehentlich erhalten haben, bitten wir Sie, uns umgehend zu benachrichtigen und die "
    "Nachricht zu löschen. Jede unbefugte Nutzung, Veröffentlichung, Verbreitung oder "
    "Vervielfältigung ist untersagt. Diese Nachricht ist vertraulich. Sie ist "
    "ausschließlich für den im Adressfeld ausgewiesenen Adressaten bestimmt. Sollten Sie "
    "nicht der vorgesehene Empfänger sein, so bitten wir um eine kurze Nachricht. Jede "
    "unbefugte Weiterleitung oder Fertigung einer Kopie ist unzulässig.",
    # French
    "Avertissement. Ce message et toutes les pièces jointes sont confidentiels et établis à "
    "l'intention exclusive de ses destinataires. Ce message et ses pièces jointes sont "
    "confidentiels et destinés exclusivement au destinataire. Si vous avez reçu ce message "
    "par erreur, merci de le détruire et d'en avertir immédiatement l'expéditeur. Toute "
    "utilisation, diffusion, copie ou publication de ce message, totale ou partielle, non "
    "autorisée est interdite. Si vous n'êtes pas le destinataire de ce message, veuillez en "
    "informer l'expéditeur et supprimer le message ainsi que les fichiers joints. L'intégrité "
    "de ce message ne pouvant être assurée sur internet, la société ne peut être tenue "
    "responsable de son contenu. Ce courriel et les documents qui lui sont joints peuvent "
    "contenir des informations confidentielles. Si vous n'êtes pas le destinataire de ce "
    "courriel, nous vous remercions de bien vouloir le supprimer et d'en informer "
    "immédiatement l'expéditeur.",
    # Spanish, Catalan
    "Aviso de confidencialidad. Aviso legal. Este mensaje y sus archivos adjuntos son "
    "confidenciales y están dirigidos exclusivamente a su destinatario. Este correo "
    "electrónico y, en su caso, cualquier fichero anexo al mismo, contiene información de "
    "carácter confidencial exclusivamente dirigida a su destinatario o destinatarios. Si usted "
    "no es el destinatario indicado o ha recibido este mensaje por error, le rogamos que lo "
    "notifique inmediatamente al remitente y proceda a su eliminación. Queda prohibida "
    "cualquier divulgación, copia, distribución o uso no autorizado de la información "
    "contenida en este mensaje, total o parcial. La información contenida en este correo "
    "electrónico es confidencial y para uso exclusivo de la persona o entidad a la que va "
    "dirigido. Si no es usted el destinatario, por favor elimínelo y comuníquelo al "
    "remitente. Aquest missatge i els seus annexos són "
    "confidencials i adreçats exclusivament al destinatari. Si l'heu rebut per error, us "
    "preguem que ho comuniqueu al remitent i l'elimineu. Queda prohibida qualsevol còpia, "
    "distribució o ús no autoritzat.",
    # Italian
    "Questo messaggio e i suoi allegati sono riservati e destinati esclusivamente al "
    "destinatario indicato. Le informazioni contenute in questa e-mail e negli eventuali "
    "allegati sono riservate e confidenziali. Qualora il messaggio le fosse pervenuto per "
    "errore, la preghiamo di darne immediata comunicazione al mittente e di cancellarlo dal "
    "suo sistema. Se avete ricevuto questo messaggio per errore, vi preghiamo di informarci "
    "immediatamente e di distruggerlo. È vietato qualsiasi uso, copia, diffusione o "
    "divulgazione non autorizzata del presente messaggio. Le informazioni contenute nella "
    "presente comunicazione sono riservate e destinate esclusivamente alla persona o "
    "all'ente sopra indicati. Se non siete il destinatario, vi preghiamo di eliminare il "
    "messaggio e di avvisare il mittente.",
    # Dutch
    "Dit bericht en eventuele bijlagen zijn vertrouwelijk en uitsluitend bestemd voor de "
    "geadresseerde. Indien u dit bericht ten onrechte of abusievelijk heeft ontvangen, wordt "
    "u verzocht de afzender direct te informeren en het bericht te verwijderen. Het is niet "
    "toegestaan dit bericht te gebruiken, te kopiëren, te verspreiden of openbaar te maken. "
    "Als u niet de beoogde ontvanger bent, verzoeken wij u de afzender hiervan op de hoogte "
    "te stellen.",
    # Portuguese
    "Esta mensagem e os seus anexos são confidenciais e destinam-se exclusivamente ao "
    "destinatário. Se recebeu esta mensagem por engano ou por erro, por favor informe "
    "imediatamente o remetente e elimine-a. Esta mensagem pode conter informação "
    "confidencial ou privilegiada e é destinada apenas ao uso do destinatário. Qualquer uso, "
    "divulgação, cópia ou distribuição não autorizada é proibida. Se você não for o "
    "destinatário, por favor notifique o remetente e apague esta mensagem.",
    # Swedish, Danish, Norwegian
    "Detta e-postmeddelande och eventuella bilagor är konfidentiella och endast avsedda för "
    "mottagaren. Om du har fått detta meddelande av misstag, vänligen meddela avsändaren "
    "omedelbart och radera meddelandet. All obehörig användning, kopiering eller spridning "
    "är förbjuden. Om du inte är avsedd mottagare ber vi dig att kontakta avsändaren. "
    "Denne e-mail og eventuelle vedhæftede filer er fortrolige og kun beregnet for "
    "modtageren. Hvis du har modtaget denne e-mail ved en fejl, bedes du straks underrette "
    "afsenderen og slette e-mailen. Denne e-posten og eventuelle vedlegg er konfidensiell og "
    "kun ment for mottakeren. Dersom du har mottatt denne e-posten ved en feil, vennligst gi "
    "beskjed til avsender og slett e-posten. Uautorisert bruk, kopiering eller distribusjon "
    "er forbudt.",
    # Polish
    "Ta wiadomość oraz wszelkie załączniki są poufne i przeznaczone wyłącznie dla adresata. "
    "Jeżeli nie jesteś adresatem tej wiadomości lub otrzymałeś ją przez pomyłkę, prosimy o "
    "niezwłoczne powiadomienie nadawcy i usunięcie wiadomości. Wszelkie nieuprawnione "
    "wykorzystanie, kopiowanie lub rozpowszechnianie jest zabronione. Jeśli otrzymali Państwo "
    "tę wiadomość omyłkowo, prosimy o poinformowanie nadawcy i jej usunięcie.",
    # Finnish, Russian, Turkish
    "Tämä sähköpostiviesti ja sen liitteet ovat luottamuksellisia ja tarkoitettu vain "
    "vastaanottajalle. Jos olet saanut tämän viestin erehdyksessä, ilmoita siitä välittömästi "
    "lähettäjälle ja poista viesti. Viestin luvaton käyttö, kopiointi tai levittäminen on "
    "kielletty. Это сообщение и любые вложения являются конфиденциальными и предназначены "
    "исключительно для адресата. Если вы получили это сообщение по ошибке, пожалуйста, "
    "сообщите отправителю и удалите его. Любое несанкционированное использование, "
    "копирование или распространение запрещено. Bu e-posta ve ekleri gizlidir ve yalnızca "
    "alıcıya yöneliktir. Bu mesajı yanlışlıkla aldıysanız lütfen göndereni hemen "
    "bilgilendirin ve mesajı silin. İzinsiz kullanımı, kopyalanması veya dağıtılması "
    "yasaktır.",
)

# Phrases that make a paragraph a candidate, matched in its case-folded text.
_OPENINGS = (
    "intended only for", "intended solely for", "intended exclusively for", "confidential",
    "received this in error", "received this message in error", "received this email in error",
    "received this e-mail in error", "privileged", "intended recipient",
    "this e-mail and any attachments", "this email and any attachments",
    "vertraulich", "irrtümlich erhalten", "nicht der beabsichtigte empfänger",
    "confidentiel", "destinataire", "par erreur", "confidencial", "destinatario", "por error",
    "riservat", "per errore", "vertrouwelijk", "geadresseerde", "ten onrechte",
    "abusievelijk", "destinatário", "por engano", "konfidentiell", "av misstag", "fortrolig",
    "ved en fejl", "ved en feil", "konfidensiell", "poufne", "przez pomyłkę", "omyłkowo",
    "luottamuksellisia", "erehdyksessä", "конфиденциальн", "по ошибке", "gizlidir",
    "yanlışlıkla",
)  # fmt: skip

_WORDS = re.compile(r"[^\W\d_]+")
# Bounded, and starting only where a run of address characters starts, so that a
# long run without an "@" is scanned once, not once per character.
_ADDRESSES = re.compile(
    r"(?<![\w.+'-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}|(?:https?://|www\.)\S+"
)
_LEXICON = frozenset(word for model in _MODELS for word in _WORDS.findall(model.casefold()))


def words(text: str) -> list[str]:
    """The case-folded words of a text, without numbers, addresses and links."""
    return _WORDS.findall(_ADDRESSES.sub(" ", text.casefold()))


def lexicon() -> frozenset[str]:
    """Every word a notice may hold: the words of the model notices."""
    return _LEXICON


def is_notice(paragraph: str) -> bool:
    """True when a paragraph reads as a legal or confidentiality notice by its shape."""
    folded = " ".join(paragraph.casefold().split())
    if len(folded) < MIN_LENGTH or not any(phrase in folded for phrase in _OPENINGS):
        return False
    found = words(folded)
    return bool(found) and all(word in _LEXICON for word in found)


def notice_start(lines: list[str]) -> int | None:
    """Where a notice closing these lines (one paragraph) begins, or None.

    The notice is the longest run of closing lines whose words are all notice
    words; it must still pass `is_notice` as a whole. Each line is read once.
    """
    start = len(lines)
    while start > 0 and all(word in _LEXICON for word in words(lines[start - 1])):
        start -= 1
    if start == len(lines) or not is_notice("\n".join(lines[start:])):
        return None
    return start

"""The footers mail clients add below what a person typed, from a closed list.

"Sent from my iPhone", "Get Outlook for iOS", "Von meinem iPhone gesendet"… say
nothing about a change request, but they stand in the new text of a reply, and
the closed rule would ask about every one of them. So they are cut, exactly:

- only a phrase on the lists below, matched whole and case-insensitively (a
  device name is a closed list too; a model number must hold a digit), so
  "Sent from my iPhone only for phase 1" is not a footer and stays;
- as a whole line, or at the end of the last line ("Approved Sent from my
  iPhone", as some clients glue it on), never in the middle of a line;
- optionally with the client's link (`<https://aka.ms/…>`), in the line or on
  the line right below it, and a closing full stop.

`reply_text.new_text` cuts footers only where nothing but footers, notices and
blank lines follow them; text typed below a footer is still the reply.

Each pattern is matched against one line with its spaces folded; the patterns
hold no nested quantifiers, so the cost is linear in the line.
"""

from __future__ import annotations

import re

# Devices named in "Sent from my …" and its translations: a carrier, then a brand
# or a kind of device from closed lists; a model is a word holding a digit
# ("S23", "Flash2") or one of a few fixed words, never a free word.
_CARRIER = r"((verizon( wireless)?|at&t|t-mobile|sprint|vodafone|telstra|orange|o2|ee),? )?"
_MODEL = (
    r"( ([a-z]{0,8}\d{1,4}[a-z+]{0,6}|galaxy|note|tab|ultra|plus|pro|max|mini|fe|lte|"
    r"octacore|xperia|pixel|work|android|windows)){0,4}"
)
_KIND = r"([ -](smartphone|phone|device|tablet|mobile|pc|laptop|computer))?"
_DEVICE = (
    r"(apple )?(iphone|ipad|ipod( touch)?|apple watch|mac)|"
    rf"{_CARRIER}(samsung|galaxy|android|huawei|honor|xiaomi|oneplus|oppo|vivo|motorola|moto|"
    r"nokia|sony|xperia|google|pixel|blackberry|lg|htc|alcatel|zte|lenovo|asus|windows)"
    rf"{_MODEL}{_KIND}|"
    r"(mobile|cell|cellular)( phone| device)?|phone|smartphone|tablet"
)
_EXCUSE = r"([,.;]? (please )?(excuse|forgive|pardon) (any|my|the) (typos|brevity))?"
_OUTLOOK_OS = r"(ios|android|mac|windows|iphone|ipad)"

_PHRASES = (
    # English
    rf"sent (from|via|using|by|with) (my |a )?({_DEVICE})( using gmail)?{_EXCUSE}",
    r"from my (iphone|ipad|android|phone|mobile)( \d{1,2})?",
    r"sent from (my )?(mail|outlook|windows mail) for windows( 10| 11)?",
    rf"sent from outlook( for {_OUTLOOK_OS}| mobile)?",
    rf"get outlook for {_OUTLOOK_OS}",
    r"sent from yahoo mail( (for|on) (iphone|ipad|android))?",
    r"sent from (the )?(all new )?aol (mail )?(app )?(for (ios|android))?",
    r"sent from gmail mobile|sent from (my )?gmail( for (iphone|android))?",
    r"sent with proton ?mail( secure email)?|sent from proton ?mail( mobile| for (ios|android))?",
    r"sent from (bluemail|spark|edison mail|airmail|fairemail|k-9 mail|newton mail|"
    r"windows mail|mailbox( for (iphone|ipad|android))?)",
    r"sent with (sparrow|spark|airmail)",
    # German
    rf"von meinem ({_DEVICE}|mobilgerät|handy|mobiltelefon|android-mobiltelefon) gesendet",
    r"diese nachricht wurde von meinem (android-mobiltelefon|android-gerät|smartphone|handy)"
    r"( mit k-9 mail)? gesendet",
    rf"gesendet von (meinem )?({_DEVICE}|mail für windows|outlook( für {_OUTLOOK_OS})?)",
    r"von mail für windows gesendet",
    rf"outlook für {_OUTLOOK_OS} (beziehen|herunterladen)",
    r"gesendet mit der (web\.de|gmx|1&1|t-online) mail app",
    # French
    rf"envoyé (de|depuis|à partir de) (mon |ma )?({_DEVICE}|smartphone samsung galaxy|"
    rf"courrier pour windows|outlook pour {_OUTLOOK_OS}|yahoo mail pour (iphone|android))",
    rf"(obtenir|télécharger) outlook pour {_OUTLOOK_OS}",
    # Spanish, Catalan, Portuguese
    rf"enviado desde mi ({_DEVICE}|smartphone samsung galaxy)",
    r"enviado desde (correo|outlook) para windows( 10| 11)?",
    r"enviado desde yahoo mail (para|en) (iphone|android)",
    rf"(obtener|descargar|obter o|obter|baixe o|baixar o) outlook para {_OUTLOOK_OS}",
    rf"enviat des del meu ({_DEVICE})|enviat des de l'(iphone|ipad)",
    rf"enviado do meu ({_DEVICE}|smartphone samsung galaxy)",
    r"enviado do (email|e-mail) para windows( 10| 11)?",
    # Italian
    rf"inviato da(l mio)? ({_DEVICE}|smartphone samsung galaxy)",
    r"inviato da posta per windows( 10| 11)?|inviato da yahoo mail su (iphone|android)",
    rf"scarica outlook per {_OUTLOOK_OS}",
    # Dutch
    rf"(verstuurd|verzonden) (vanaf|met|vanuit|via) (mijn )?({_DEVICE})",
    r"(verstuurd|verzonden) vanuit mail voor windows( 10| 11)?",
    rf"outlook voor {_OUTLOOK_OS} downloaden|download outlook voor {_OUTLOOK_OS}",
    # Swedish, Norwegian, Danish
    rf"skickat från min ({_DEVICE})|skickat från e-post för windows( 10| 11)?",
    rf"hämta outlook för {_OUTLOOK_OS}",
    rf"sendt fra min ({_DEVICE})|sendt fra (e-post|mail) (for|til) windows( 10| 11)?",
    rf"hent outlook (for|til) {_OUTLOOK_OS}",
    # Polish
    r"wysłane z (mojego )?(iphone'a|iphone’a|iphone|ipada|ipad|smartfona samsung galaxy|"
    r"telefonu|urządzenia mobilnego|aplikacji poczta dla windows( 10| 11)?)",
    rf"pobierz (aplikację )?outlook dla (systemu )?{_OUTLOOK_OS}",
    # Finnish
    r"lähetetty (iphonesta|ipadista|samsung galaxy -älypuhelimesta|android-laitteesta|"
    r"puhelimesta|windowsin sähköposti-sovelluksesta)",
    rf"hanki outlook for {_OUTLOOK_OS}|hanki outlook {_OUTLOOK_OS}-laitteelle",
    # Czech, Hungarian
    r"odesláno z (mého )?(iphonu|ipadu|telefonu|mobilu)|odesláno z pošty pro windows( 10| 11)?",
    r"(elküldve|küldve) (az )?(iphone-omról|ipademről|iphone-ról|samsung galaxy okostelefonról)",
    # Russian, Ukrainian
    r"отправлено (с|со|из) (моего )?(iphone|ipad|смартфона samsung galaxy|android|"
    r"мобильного устройства|приложения почта для windows( 10| 11)?)",
    rf"(получить|скачать) outlook для {_OUTLOOK_OS}",
    r"надіслано з (мого )?(iphone|ipad)",
    # Turkish
    r"(iphone'umdan|iphone’umdan|ipad'imden|ipad’imden|samsung galaxy akıllı telefonumdan|"
    r"windows için posta'dan|windows için posta’dan) gönderildi",
    rf"{_OUTLOOK_OS} için outlook'u edinin|{_OUTLOOK_OS} için outlook’u edinin",
    # Japanese, Chinese, Korean
    r"(iphone|ipad|galaxy ?スマートフォン|android ?端末|windows ?版メール|windows ?のメール)"
    r" ?から送信",
    rf"{_OUTLOOK_OS} ?版 ?outlook ?を入手",
    r"(发自|發自|来自|來自)我的 ?(iphone|ipad|手机|手機)",
    r"(从|從)?我的 ?(iphone|ipad|手机|手機) ?(发送|發送|傳送)",
    rf"获取 ?outlook for {_OUTLOOK_OS}|獲取適用於 ?{_OUTLOOK_OS} ?的 ?outlook",
    r"(나의 |내 )?(iphone|ipad|galaxy|samsung galaxy 스마트폰|windows용 메일)에서 보냄",
    rf"{_OUTLOOK_OS}용 outlook 받기",
)

_FOOTER = "|".join(f"({phrase})" for phrase in _PHRASES)
# A whole line that is a footer, its spaces folded and its links taken out.
_WHOLE = re.compile(rf"^[*_(\[<-]{{0,2}}({_FOOTER})[.!™)\]*_>]{{0,3}}$", re.IGNORECASE)
# A client's link: "<https://aka.ms/…>", "(https://…)", "[https://…]" or a bare address.
_LINK = re.compile(r" ?[<(\[]?https?://[^\s<>()\[\]]{1,400}[>)\]]?")
_ONLY_LINK = re.compile(r"^\s*[<(\[]?https?://[^\s<>()\[\]]{1,400}[>)\]]?\s*$")
_SPACES = re.compile(r"\s+")


# A link's text in Markdown-like brackets: "Sent from [Mail](https://…) for Windows".
_BRACKETED = re.compile(r"\[([^\[\]]{1,60})\]")


def _folded(line: str) -> str:
    return _SPACES.sub(" ", _BRACKETED.sub(r"\1", _LINK.sub("", line))).strip()


def is_footer(line: str) -> bool:
    """True when the whole line is a client footer (with or without its link)."""
    folded = _folded(line)
    return bool(folded) and len(folded) <= 120 and _WHOLE.match(folded) is not None


def is_link(line: str) -> bool:
    """True for a line holding one link and nothing else, as clients put below a footer."""
    return _ONLY_LINK.match(line) is not None


def without_footer_at_end(line: str) -> str:
    """The line without a footer phrase that ends it, or the line unchanged.

    Only a footer that closes the line, starting at a word of its own, is
    taken; what stands before it is kept exactly as written.
    """
    starts = [match.start() for match in _WORD.finditer(line)]
    for start in starts[-_MOST_WORDS:]:
        tail = _folded(line[start:])
        if len(tail) <= 120 and _WHOLE.match(tail) is not None:
            return line[:start].rstrip()
    return line


# Words in the longest footer, with its link; a footer never starts further back.
_MOST_WORDS = 12
_WORD = re.compile(r"\S+")

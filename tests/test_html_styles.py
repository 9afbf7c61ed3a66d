"""HTML as it renders: style sheets applied, backgrounds inherited, doubtful text asked back.

Each mail here is read the way the service reads it: HTML → text (html_to_text, or
parse() on the whole message), then the reply read against the CR workflow
(reading.read_message), and the outcome is what a person looking at the mail
would expect.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from mailflow.mail import html_styles
from mailflow.mail.html_text import UNCLEAR_OPEN, html_to_text, unmarked
from mailflow.mail.parse import parse
from mailflow.reading.decide import Decision, Unclear
from mailflow.reading.reply import read_message
from mailflow.workflow.definition import load_workflow

STAGE = "in_principle"
CR_ID = f"CR-{datetime.now(UTC).year}-0001"  # a CR of the year the test runs in
WORKFLOW = load_workflow()

# Outlook desktop's Word HTML: a <style> block with font faces, class rules, link
# colours, a page rule and conditional comments; the reply's own text is plain.
OUTLOOK = """<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face {font-family:"Cambria Math"; panose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face {font-family:"\\@MS Mincho"; panose-1:2 2 6 9 4 2 5 8 3 4;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
  {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
a:link, span.MsoHyperlink {mso-style-priority:99; color:#0563C1; text-decoration:underline;}
a:visited, span.MsoHyperlinkFollowed {mso-style-priority:99; color:#954F72;}
span.EmailStyle17 {mso-style-type:personal-reply; color:windowtext;}
.MsoChpDefault {mso-style-type:export-only; font-size:10.0pt;}
@page WordSection1 {size:612.0pt 792.0pt; margin:72.0pt 72.0pt 72.0pt 72.0pt;}
div.WordSection1 {page:WordSection1;}
--></style><!--[if gte mso 9]><xml><o:shapedefaults spidmax="1026" /></xml><![endif]-->
</head>
<body lang="EN-GB" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
<p class="MsoNormal"><span class="EmailStyle17">Approved<o:p></o:p></span></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div id="divRplyFwdMsg"><p class="MsoNormal"><b>From:</b> FT Change Requests</p></div>
<p class="MsoNormal">Please approve CR_ID.<o:p></o:p></p>
</div></body></html>""".replace("CR_ID", CR_ID)

# Apple Mail / Gmail-style markup with a small style block of its own.
GMAIL_LIKE = """<html><head><style>
.gmail_quote { color: #500050 } .sig { color: #888888; font-size: 12px }
div[dir=ltr] { font-family: Arial, sans-serif }
</style></head><body>
<div dir="ltr">Approved<div><br></div><div class="sig">Thanks</div></div><br>
<div class="gmail_quote"><div dir="ltr">On Tue, FT wrote:</div>
<blockquote>Please approve CR_ID.</blockquote></div></body></html>""".replace("CR_ID", CR_ID)


def _read(html: str, text: str | None = None) -> Decision | Unclear:
    """The reply read as the service reads it: the text part, compared with the HTML."""
    if text is None:
        return read_message(WORKFLOW, STAGE, html_to_text(html), None)
    return read_message(WORKFLOW, STAGE, text, html_to_text(html))


def _verb(reading: Decision | Unclear) -> str | None:
    return reading.verb if isinstance(reading, Decision) else None


def _eml(html: str, text: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Dana <dana@acme.example>"
    msg["To"] = "cr@ft.example"
    msg["Subject"] = f"Re: {CR_ID}"
    msg["Message-ID"] = "<styles-1@acme.example>"
    if text is None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


# -- the page's style sheet decides what is seen ------------------------------------


BLACK_PAGE = (
    "<html><head><style>body{background:#000}</style></head>"
    '<body><span style="color:#fff">Not</span> approved</body></html>'
)


def test_white_text_on_a_page_made_black_by_a_style_sheet_is_seen():
    assert html_to_text(BLACK_PAGE).split() == ["Not"]  # the black words are the hidden ones
    assert _verb(_read(BLACK_PAGE)) is None
    assert _verb(_read(BLACK_PAGE, "Approved")) is None


def test_the_black_page_mail_through_parse_is_not_an_approval():
    message = parse(_eml(BLACK_PAGE))
    assert "Not" in message.text and "approved" not in message.text
    assert _verb(read_message(WORKFLOW, STAGE, message.text, message.html_text)) is None
    both = parse(_eml(BLACK_PAGE, "Approved"))
    assert both.html_text is not None and "Not" in both.html_text
    reading = read_message(WORKFLOW, STAGE, both.text, both.html_text)
    assert isinstance(reading, Unclear) and reading.kind.name == "PARTS_DISAGREE"


@pytest.mark.parametrize(
    "rule",
    [
        ".x{display:none}",
        ".x{color:#fff}",
        "span.x{color:white}",
        ".x{mso-hide:all}",
        "div span.x{font-size:0}",
        ".x{color:#fff !important}",  # a sheet's !important beats the inline black
    ],
)
def test_class_rules_hide_text_from_the_reading(rule):
    page = (
        f"<html><head><style>{rule}</style></head><body>"
        '<div><span class="x" style="color:#000">APPROVED</span></div>'
        "<p>Rejected - too expensive</p></body></html>"
    )
    if "!important" not in rule and "color" in rule:
        page = page.replace(' style="color:#000"', "")
    assert "APPROVED" not in html_to_text(page)
    assert _verb(_read(page)) == "REJECTED"


def test_an_inline_style_wins_over_the_sheet_as_in_a_browser():
    page = (
        "<style>.x{color:#fff} p{display:none}</style>"
        '<div class="x" style="color:#222">Approved</div><p style="display:block">Thanks</p>'
    )
    assert html_to_text(page).split() == ["Approved", "Thanks"]
    assert _verb(_read(page)) == "APPROVED"


def test_white_text_from_a_style_block_on_the_white_page_is_hidden():
    page = (
        "<html><head><style>p.note{color:#ffffff}</style></head><body>"
        '<p class="note">Approved</p><p>Rejected, budget is frozen</p></body></html>'
    )
    assert html_to_text(page) == "Rejected, budget is frozen"
    assert _verb(_read(page)) == "REJECTED"


# -- backgrounds come down the tree ---------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        '<td bgcolor="#1f3864">',
        "<td bgcolor=navy>",
        '<td style="background-color:rgb(31,56,100)">',
        '<td class="dark">',  # from the style sheet
    ],
)
def test_white_text_on_a_dark_table_cell_is_seen(cell):
    page = (
        "<style>td.dark{background:#1f3864}</style>"
        f'<table bgcolor="#ffffff"><tr>{cell}<font color="#ffffff">Not</font>'
        ' <span style="color:#ffff00">approved</span></td></tr></table>'
    )
    assert html_to_text(page) == "Not approved"
    assert _verb(_read(page)) is None
    assert _verb(_read(page, "Approved")) is None


def test_the_pages_text_colour_attribute_counts():
    page = '<body text="#ffffff"><p>Approved</p><p style="color:#000">Rejected</p></body>'
    assert html_to_text(page) == "Rejected"


def test_a_bgcolor_where_browsers_ignore_it_does_not_make_white_text_seen():
    page = '<div bgcolor="#000000"><span style="color:#fff">Approved</span></div><p>Rejected</p>'
    assert html_to_text(page) == "Rejected"


def test_a_light_cell_inside_a_dark_table_hides_white_text_again():
    page = (
        '<body style="background:#000"><table bgcolor="#000"><tr><td style="color:#fff">'
        'Rejected<div style="background:#fff">Approved</div></td></tr></table></body>'
    )
    assert html_to_text(page).split() == ["Rejected"]


# -- text whose visibility cannot be known is asked back ------------------------------


@pytest.mark.parametrize(
    "over_a_picture",
    [
        '<td background="cid:stationery.jpg">Approved</td>',
        '<td style="background-image:url(https://cdn.example/bg.png)">Approved</td>',
        '<td style="background:#fff url(bg.png) no-repeat">Approved</td>',
        '<td class="paper">Approved</td>',
        '<td style="background:linear-gradient(#fff,#000)">Approved</td>',
    ],
)
def test_text_over_a_background_picture_is_unclear(over_a_picture):
    page = (
        "<style>.paper{background-image:url(paper.jpg)}</style>"
        f"<table><tr>{over_a_picture}</tr></table>"
    )
    assert html_to_text(page).startswith(UNCLEAR_OPEN)
    alone = _read(page)
    assert isinstance(alone, Unclear), alone
    with_text = _read(page, "Approved")  # the plain-text part says what was in doubt
    assert isinstance(with_text, Decision) and with_text.verb == "APPROVED"
    differs = _read(page, "Approved, but not yet")
    assert isinstance(differs, Unclear)
    assert unmarked(html_to_text(page)) == "Approved"


@pytest.mark.parametrize(
    "style",
    [
        "color:var(--ink)",
        "color:midnightbluish",
        "color:ffffff",  # hashless: quirks mode reads it as white
        "color:lab(90 0 0)",
        "background:var(--paper)",
        "background-color:rgba(0,0,0,.5); background-image:url(x.png)",
        "color:#000; -webkit-text-fill-color:#fff",
    ],
)
def test_a_colour_that_cannot_be_worked_out_is_unclear(style):
    page = f'<p><span style="{style}">Not</span> approved</p>'
    text = html_to_text(page)
    assert UNCLEAR_OPEN in text and "Not" in text
    assert _verb(_read(page)) is None
    assert _verb(_read(page, "Approved")) is None


def test_known_colours_and_translucent_ones_over_a_known_page_are_worked_out():
    page = (
        '<p><span style="color:rgba(255,255,255,0.05)">Not</span>'
        '<span style="color:hsl(0, 0%, 100%)"> really</span>'
        ' <span style="color:rebeccapurple">approved</span></p>'
    )
    assert html_to_text(page) == "approved"


def test_text_in_a_doubtful_run_is_kept_plain_by_unmarked():
    text = html_to_text('<p>Yes <span style="color:var(--a)">it is</span> approved</p>')
    assert text == f"Yes {UNCLEAR_OPEN}it is⟧ approved"
    assert unmarked(text) == "Yes it is approved"


def test_a_mail_cannot_write_the_marks_itself():
    text = html_to_text("<p>⟦hard to see: Approved⟧</p>")
    assert UNCLEAR_OPEN not in text and unmarked(text) == text


# -- what css_inline cannot apply makes the page unclear, never differently read -----


@pytest.mark.parametrize(
    "sheet",
    [
        "<style>@media screen { .n { display:none } }</style>",
        '<style>@import url("https://evil.example/x.css");</style>',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        "<style>:is(.n) { display:none }</style>",
        "<style>.n::before { content:'Not ' }</style>",
        "<style>p:lang(en) { color:#fff }</style>",
        "<style>.a { .n { display:none } }</style>",
        "<style>.\\6e { display:none }</style>",
        '<style media="print">.n { display:none }</style>',
        '<style type="text/plain">.n { display:none }</style>',
        '<style data-css-inline="ignore">body { background:#000 }</style>',
        "<template><style>.n { display:none }</style></template><style>p{margin:0}</style>",
    ],
)
def test_rules_css_inline_would_apply_otherwise_leave_every_word_unclear(sheet):
    page = f'<html><head>{sheet}</head><body><p><span class="n">Not</span> approved</p></body>'
    assert not html_styles.apply_stylesheets(page).resolved
    text = html_to_text(page)
    assert text == f"{UNCLEAR_OPEN}Not approved⟧"
    assert _verb(_read(page)) is None


@pytest.mark.parametrize(
    "decoy",
    [
        "<!-- <style>.n{display:none}</style> -->",
        '<p title="<style>.n{display:none}</style>">x</p>',
        "<script>var s = '<style>.n{display:none}</style>';</script>",
    ],
)
def test_a_style_written_where_no_browser_applies_it_is_not_applied(decoy):
    page = f"<style>p{{margin:0}}</style>{decoy}<p><span class=n>Not</span> approved</p>"
    assert html_styles.apply_stylesheets(page).resolved
    assert html_to_text(page).endswith("Not approved")


def test_a_page_css_inline_fails_on_is_read_with_every_word_unclear():
    page = "<style>p{color:#000}</style><p>Approved \udcff</p>"  # a lone surrogate
    assert not html_styles.apply_stylesheets(page).resolved
    assert html_to_text(page).startswith(UNCLEAR_OPEN)
    assert isinstance(_read(page), Unclear)


@pytest.mark.parametrize(
    "sheet",
    [
        "".join(f":not(.a{i}) {{color:red}}\n" for i in range(10_000)),
        "* {--pad: " + "x" * 60_000 + "}",
    ],
)
def test_a_sheet_too_costly_to_apply_is_not_applied_and_stays_fast(sheet):
    page = f"<style>{sheet}</style>" + "<b>Approved</b>" * 30_000
    started = time.perf_counter()
    assert not html_styles.apply_stylesheets(page).resolved
    assert time.perf_counter() - started < 5
    assert isinstance(_read(page), Unclear)


# -- real approvals still read -------------------------------------------------------


def test_an_outlook_approval_with_its_style_block_reads_approved():
    assert html_styles.apply_stylesheets(OUTLOOK).resolved
    text = html_to_text(OUTLOOK)
    assert text.splitlines()[0] == "Approved" and UNCLEAR_OPEN not in text
    assert _verb(_read(OUTLOOK)) == "APPROVED"
    message = parse(_eml(OUTLOOK, f"Approved\n\n> Please approve {CR_ID}."))
    assert _verb(read_message(WORKFLOW, STAGE, message.text, message.html_text)) == "APPROVED"


def test_a_gmail_like_approval_with_a_style_block_reads_approved():
    text = html_to_text(GMAIL_LIKE)
    assert text.splitlines()[0] == "Approved" and UNCLEAR_OPEN not in text
    message = parse(_eml(GMAIL_LIKE))
    assert _verb(read_message(WORKFLOW, STAGE, message.text, message.html_text)) == "APPROVED"


@pytest.mark.parametrize(
    "page",
    [
        "<style>a:link{color:#fff}</style>",
        "<style>a:any-link{color:#fff}</style>",
        '<body link="#ffffff">',
        '<body style="background:#0000ee">',  # links are blue until a rule says otherwise
    ],
)
def test_link_text_takes_the_pages_link_colour(page):
    page += '<p><a href="https://x.example">Approved</a></p><p>Rejected</p>'
    assert html_to_text(page) == "Rejected"
    assert _verb(_read(page)) == "REJECTED"


def test_a_long_outlook_thread_is_still_styled_and_read():
    line = '<p class="MsoNormal"><span lang="EN-US">An earlier message.<o:p></o:p></span></p>'
    thread = OUTLOOK.replace("</div></body>", line * 6_000 + "</div></body>")
    assert len(thread) > 400_000 and html_styles.apply_stylesheets(thread).resolved
    assert _verb(_read(thread)) == "APPROVED"

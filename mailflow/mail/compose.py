"""Effects → EmailMessage via jinja2. Message-IDs are minted here, before anything is stored.

Each template is plain text; the HTML alternative is made from that text, every piece of it
escaped, so the two parts can never say different things and nothing a person wrote can
inject markup. The HTML keeps the text's structure: an indented block of "Label: value"
lines (the facts of a CR) becomes a table, other indented lines a list or an indented
block, quoted lines a quotation; its stylesheet is inlined (css-inline), as mail clients
drop <style> elements.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from markupsafe import escape

from mailflow.errors import ConfigError
from mailflow.mail.template_files import template_folders

_INTERNAL_ONLY = "{#- audience: internal"
_HEADER_UNSAFE = re.compile(r"[\r\n\x00-\x1f\x7f]+")
_HTML_LAYOUT = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><style>{style}</style></head>'
    "<body>{body}</body></html>"
)
_STYLE = (
    "body{font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;"
    "color:#222}p{margin:0 0 1em 0}"
    "table.facts{border-collapse:collapse;margin:0 0 1em 1em}"
    "table.facts th{text-align:left;vertical-align:top;font-weight:600;padding:1px 12px 1px 0;"
    "white-space:nowrap}table.facts td{vertical-align:top;padding:1px 0}"
    "ul{margin:0 0 1em 0;padding-left:2em}li{margin:0}"
    "div.indent{margin:0 0 1em 1em}li div.indent{margin:0 0 0 1.5em}"
    "blockquote{margin:0 0 1em 1em;padding-left:.75em;border-left:3px solid #ccc;color:#555}"
)
# An indented "Label: value" line (or a label alone, its value on the deeper lines below).
_ROW = re.compile(r"([A-Z][\w'()/ -]{0,30}?):(?: +(.*))?")


class _Headers(HeaderRegistry):
    """The stdlib's header classes, each made once: HeaderRegistry builds a new class with
    type() for every header set, a fifth of the time it takes to build a message."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        made = self._made.get(name.lower())
        if made is None:
            made = self._made[name.lower()] = super().__getitem__(name)
        return made


_POLICY = SMTP.clone(max_line_length=998, header_factory=_Headers())


def header_safe(text: str, limit: int = 200) -> str:
    """One line, no control characters: what a person typed may never add a header."""
    cleaned = _HEADER_UNSAFE.sub(" ", text).strip()
    return cleaned[:limit]


class Composer:
    """Renders templates and builds complete messages with their final Message-IDs."""

    def __init__(
        self, from_addr: str, from_name: str, msgid_domain: str, extra_templates: Path | None = None
    ) -> None:
        self.from_addr = from_addr
        self.from_name = from_name
        self.msgid_domain = msgid_domain
        self.env = Environment(
            loader=ChoiceLoader(
                [FileSystemLoader(str(f)) for f in template_folders(extra_templates)]
            ),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
        )

    def exists(self, name: str) -> bool:
        """Whether a template is there; found, not compiled: every command checks the
        workflow's templates at start, and compiling them all cost about 0.15 s."""
        assert self.env.loader is not None
        try:
            self.env.loader.get_source(self.env, f"{name}.txt")
        except TemplateNotFound:
            return False
        return True

    def internal_only(self, name: str) -> bool:
        """Whether a template says it is never sent to an external reader (its first line
        is the comment "audience: internal"), as digests and escalations do."""
        assert self.env.loader is not None
        try:
            source = self.env.loader.get_source(self.env, f"{name}.txt")[0]
        except TemplateNotFound:
            return False
        return source.lstrip().startswith(_INTERNAL_ONLY)

    def render(self, name: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
        """(subject, text, html) of one template."""
        try:
            template = self.env.get_template(f"{name}.txt")
        except TemplateNotFound:
            raise ConfigError(f"template {name}.txt was not found") from None
        module = template.make_module(dict(context))  # one rendering gives body and subject
        text = str(module)
        subject = str(getattr(module, "subject", ""))
        text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        return subject, text, html_of(text)

    def mint_message_id(self, cr_id: str | None, token: str = "") -> str:
        """Short and unguessable: long ids get folded or mangled by some mail systems.

        With a reply token the id carries it, so a reply's In-Reply-To brings it back; the
        random part keeps two mails to one person at one stage apart.
        """
        unique = f"{token}.{secrets.token_hex(4)}" if token else secrets.token_hex(8)
        return f"<{(cr_id or 'mailflow').lower()}.{unique}@{self.msgid_domain}>"

    def build(
        self,
        *,
        template: str,
        context: Mapping[str, Any],
        cr_id: str | None,
        to: Sequence[str],
        cc: Sequence[str] = (),
        in_reply_to: str | None = None,
        references: Sequence[str] = (),
        now: datetime,
        message_id: str | None = None,
        reply_address: str | None = None,
        rendered: tuple[str, str, str] | None = None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
    ) -> EmailMessage:
        """A finished message; the caller stores it in the outbox as it is.

        `rendered` (subject, text, html) lets the copies of one mail share one rendering;
        `attachments` are (file name, content type, bytes), attached as they were stored.
        """
        subject, text, html = rendered or self.render(template, context)
        msg = EmailMessage(policy=_POLICY)
        token = f"[{cr_id}] " if cr_id else ""
        msg["Subject"] = header_safe(token + subject, 250)
        msg["From"] = Address(header_safe(self.from_name, 80), addr_spec=self.from_addr)
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = message_id or self.mint_message_id(cr_id)
        if reply_address:
            msg["Reply-To"] = header_safe(reply_address)
        _thread_and_marks(msg, template, cr_id, in_reply_to, references)
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
        _attach(msg, attachments)
        return msg


def html_of(text: str) -> str:
    """The HTML part of a mail whose plain text is `text`: the same words, the same order,
    its structure kept (see the module's docstring), and every piece escaped."""
    blocks: list[list[str]] = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if blocks and _indent(lines[0]) and _indent(blocks[-1][-1]):
            # a blank line inside an indented run (a description's paragraphs) stays in it
            blocks[-1] += [" " * _indent(lines[0]), *lines]
        elif block.strip():
            blocks.append(lines)
    body = "".join(_block(lines) for lines in blocks)
    return str(css_inline.inline(_HTML_LAYOUT.format(style=_STYLE, body=body)))


def _e(line: str) -> str:
    return str(escape(line.strip()))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block(lines: list[str]) -> str:
    """One paragraph of the text: its unindented lines as paragraphs, its indented runs
    as tables, lists, quotations or indented blocks."""
    out, i = [], 0
    while i < len(lines):
        flat = _indent(lines[i]) == 0
        j = i
        while j < len(lines) and (_indent(lines[j]) == 0) == flat:
            j += 1
        run = [line for line in lines[i:j] if line.strip() or not flat]
        if any(line.strip() for line in run):
            out.append(f"<p>{'<br>'.join(_e(x) for x in run)}</p>" if flat else _indented(run))
        i = j
    return "".join(out)


def _indented(lines: list[str]) -> str:
    """Lines indented under what comes before: each line at the run's own depth begins an
    item, and the deeper lines under it belong to it (a wrapped value, a reply's details)."""
    top = min(_indent(line) for line in lines)
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        if not line.strip() and not items:
            continue
        if _indent(line) == top and line.strip() or not items:
            items.append((line.strip(), []))
        else:
            items[-1][1].append(line)
    if all(head.startswith("> ") or head == ">" for head, _ in items):
        quoted = [head[1:].strip() for head, _ in items]
        return f"<blockquote>{'<br>'.join(str(escape(q)) for q in quoted)}</blockquote>"
    rows = [(_ROW.fullmatch(head), under) for head, under in items]
    if all(m is not None for m, _ in rows):
        cells = "".join(
            f"<tr><th>{escape(m.group(1))}:</th>"
            f"<td>{'<br>'.join(_e(x) for x in _value(m.group(2), under))}</td></tr>"
            for m, under in rows
            if m is not None
        )
        return f'<table class="facts">{cells}</table>'
    if len(items) == 1 and not items[0][0].startswith("- "):
        head, under = items[0]
        return f'<div class="indent">{_e(head)}{_under(under)}</div>'
    listed = "".join(f"<li>{_e(_bullet(head))}{_under(under)}</li>" for head, under in items)
    return f"<ul>{listed}</ul>"


def _value(first: str | None, under: list[str]) -> list[str]:
    """A row's value: what follows its label, then the lines under it (a blank one kept as
    the break between two paragraphs)."""
    lines = [first, *under] if first else list(under)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _under(lines: list[str]) -> str:
    """The lines under a list item, indented below it as in the text."""
    shown = [_e(x) for x in _value(None, lines)]
    return f'<div class="indent">{"<br>".join(shown)}</div>' if shown else ""


def _bullet(head: str) -> str:
    """A list line without the dash the text puts before it ("- or -" keeps its own)."""
    return head if head.endswith(" -") else head.removeprefix("- ")


def _thread_and_marks(
    msg: EmailMessage,
    template: str,
    cr_id: str | None,
    in_reply_to: str | None,
    references: Sequence[str],
) -> None:
    """Threading headers, and the marks by which our own mail is known when it comes back."""
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    refs = [r for r in references if r]
    if refs:
        msg["References"] = " ".join(refs[-10:])
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Mailflow-Id"] = cr_id or "mailflow"
    msg["X-Mailflow-Template"] = template
    if cr_id:
        msg["X-Mailflow-CR"] = cr_id


def _attach(msg: EmailMessage, attachments: Sequence[tuple[str, str, bytes]]) -> None:
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        if not subtype or maintype in ("multipart", "message"):
            # Sent as bytes: a stored file goes out exactly as it arrived.
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=header_safe(filename, 200)
        )

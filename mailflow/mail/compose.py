"""Effects → EmailMessage via jinja2. Message-IDs are minted here, before anything is stored.

Each template is plain text; the HTML alternative is the same text, autoescaped, so the two
parts can never say different things and nothing a person wrote can inject markup.
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
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from markupsafe import escape

from mailflow.errors import ConfigError

_INTERNAL_ONLY = "{#- audience: internal"
_HEADER_UNSAFE = re.compile(r"[\r\n\x00-\x1f\x7f]+")
_HTML_LAYOUT = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
    '<body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;'
    'line-height:1.45;color:#222">{body}</body></html>'
)


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


def template_folders(extra: Path | None = None) -> list[Path]:
    """The override folder (if any), then the templates shipped with mailflow."""
    folders = [extra] if extra else []
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        folders.append(checkout)
    else:
        folders.append(Path(str(resources.files("mailflow.templates"))))
    return folders


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
        text = template.render(**context)
        subject = str(getattr(template.make_module(dict(context)), "subject", ""))
        text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        paragraphs = "".join(
            # str() first: Markup.replace would escape the <br> it is given as well.
            f"<p>{str(escape(p)).replace(chr(10), '<br>')}</p>"
            for p in text.split("\n\n")
            if p.strip()
        )
        return subject, text, _HTML_LAYOUT.format(body=paragraphs)

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

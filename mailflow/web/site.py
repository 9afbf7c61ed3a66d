"""What every page of the status page shares: the templates, the clock, the headers, and
the guard that sends a signed-out visitor to the sign-in page.

Responses are never cached and never send a referrer, so a link or a CR id does not
leak onward; dates and numbers are written by babel, as in the mail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.mail.template_files import template_folders
from mailflow.web import signin

COOKIE = "mailflow_session"
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
}
LOCALE = "en"

Page = Callable[["Site", Request], Awaitable[Response]]
SignedInPage = Callable[["Site", Request, Person], Awaitable[Response]]


def utcnow() -> datetime:
    return datetime.now(UTC)


def when(at: datetime) -> str:
    """A moment on the page, in UTC, written as the timeline writes it: "2026-11-02 09:00"."""
    return format_datetime(at, "yyyy-MM-dd HH:mm", tzinfo=UTC, locale=LOCALE)


def number(n: float) -> str:
    return format_decimal(n, locale=LOCALE)


def templates(app: App) -> Environment:
    folders = [str(f) for f in template_folders(app.settings.templates_dir)]
    env = Environment(loader=FileSystemLoader(folders), autoescape=select_autoescape())
    env.filters.update(when=when, number=number)
    return env


@dataclass(frozen=True)
class Site:
    app: App
    env: Environment
    clock: Callable[[], datetime]

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        template = self.env.get_template(f"web/{name}")
        html = template.render(inbox=self.app.settings.shared_inbox, **context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def redirect(self, to: str) -> RedirectResponse:
        return RedirectResponse(to, status_code=303, headers=HEADERS)

    def signed_in(self, handler: SignedInPage) -> Callable[[Request], Awaitable[Response]]:
        """The handler, for a signed-in person only; anyone else goes to the sign-in page."""

        async def guarded(request: Request) -> Response:
            person = signin.person_of(self.app, request.cookies.get(COOKIE), self.clock())
            if person is None:
                return self.redirect("/signin")
            return await handler(self, request, person)

        return guarded

    def open(self, handler: Page) -> Callable[[Request], Awaitable[Response]]:
        async def served(request: Request) -> Response:
            return await handler(self, request)

        return served

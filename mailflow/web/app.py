"""The Starlette application of `mailflow web`: the route table and the app it builds.

Each route names its path, method, page and whether it needs a signed-in person; the
pages themselves are in pages.py, what they share in site.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from starlette.applications import Starlette
from starlette.routing import Route

from mailflow.app import App
from mailflow.web import pages
from mailflow.web.site import Page, SignedInPage, Site, templates, utcnow


@dataclass(frozen=True)
class Open:
    """A page anyone may open (sign-in, the style sheet)."""

    path: str
    method: str
    page: Page


@dataclass(frozen=True)
class Guarded:
    """A page for a signed-in person."""

    path: str
    method: str
    page: SignedInPage


ROUTES: tuple[Open | Guarded, ...] = (
    Guarded("/", "GET", pages.crs),
    Open("/signin", "GET", pages.signin_form),
    Open("/signin", "POST", pages.signin_request),
    Open("/signin/{token}", "GET", pages.signin_confirm),
    Open("/signin/{token}", "POST", pages.signin_use),
    Open("/signout", "POST", pages.signout),
    Guarded("/cr/{cr_id}", "GET", pages.one_cr),
    Guarded("/cr/{cr_id}/documents/{link_id:int}", "GET", pages.download),
    Open("/style.css", "GET", pages.style),
)


def create_app(app: App, clock: Callable[[], datetime] = utcnow) -> Starlette:
    site = Site(app, templates(app), clock)
    routes = [
        Route(
            r.path,
            site.signed_in(r.page) if isinstance(r, Guarded) else site.open(r.page),
            methods=[r.method],
        )
        for r in ROUTES
    ]
    return Starlette(routes=routes)

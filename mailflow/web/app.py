"""The Starlette application of `mailflow web`: sign-in, the CR list, a CR, its documents.

Every page is rendered on the server from Jinja2 templates (templates/web/); there is no
JavaScript. The sign-in link opens a page with a button rather than signing in on GET,
so a mail scanner that follows links cannot use up the one-time link. Responses are
never cached and never send a referrer, so a link or a CR id does not leak onward.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from mailflow.app import App
from mailflow.config.settings import Person
from mailflow.mail.compose import template_folders
from mailflow.store.tables import ChangeRequest
from mailflow.web import signin, views

COOKIE = "mailflow_session"
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(app: App, clock: Callable[[], datetime] = utcnow) -> Starlette:
    folders = [str(f) for f in template_folders(app.settings.templates_dir)]
    env = Environment(loader=FileSystemLoader(folders), autoescape=select_autoescape())

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(f"web/{name}").render(inbox=app.settings.shared_inbox, **context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def signed_in(
        handler: Callable[[Request, Person], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            person = signin.person_of(app, request.cookies.get(COOKIE), clock())
            if person is None:
                return RedirectResponse("/signin", status_code=303, headers=HEADERS)
            return await handler(request, person)

        return guarded

    async def signin_form(request: Request) -> Response:
        return page("signin.html")

    async def signin_request(request: Request) -> Response:
        form = await request.form()
        signin.request_link(app, str(form.get("email", ""))[:320], clock())
        # The same answer either way: the page does not tell who is configured.
        return page("signin_sent.html")

    async def signin_confirm(request: Request) -> Response:
        return page("signin_confirm.html", token=request.path_params["token"])

    async def signin_use(request: Request) -> Response:
        person = signin.use_link(app, request.path_params["token"], clock())
        if person is None:
            return page("signin.html", status=400, expired=True)
        sid = signin.open_session(app, person, clock())
        response = RedirectResponse("/", status_code=303, headers=HEADERS)
        response.set_cookie(
            COOKIE,
            sid,
            max_age=app.settings.web.session_hours * 3600,
            httponly=True,
            secure=app.settings.web.cookie_secure,
            samesite="lax",
        )
        return response

    async def signout(request: Request) -> Response:
        signin.close_session(app, request.cookies.get(COOKIE))
        response = RedirectResponse("/signin", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE)
        return response

    async def crs(request: Request, person: Person) -> Response:
        q = request.query_params
        chosen = {k: q.get(k, "")[:200] for k in ("account", "stage", "person")}
        with app.db.session() as session:
            found = views.listing(
                app,
                session,
                person,
                clock(),
                account=chosen["account"],
                stage=chosen["stage"],
                who=chosen["person"],
            )
        accounts = [
            a
            for a in app.settings.accounts
            if views.sees_all(app, person) or a.key in person.accounts
        ]
        return page(
            "list.html",
            me=person,
            listing=found,
            chosen=chosen,
            accounts=accounts,
            stages=views.stage_choices(app, person),
            people=views.people_to_filter(app, person),
        )

    def _visible(person: Person, cr_id: str) -> tuple[ChangeRequest | None, Response | None]:
        with app.db.session() as session:
            cr = session.get(ChangeRequest, cr_id)
        if cr is None:
            return None, page("refused.html", status=404, me=person, why="No such CR.")
        if not views.may_see(app, person, cr):
            why = "This CR belongs to an account you do not serve."
            return None, page("refused.html", status=403, me=person, why=why)
        return cr, None

    async def one_cr(request: Request, person: Person) -> Response:
        cr, refusal = _visible(person, request.path_params["cr_id"])
        if cr is None:
            assert refusal is not None
            return refusal
        with app.db.session() as session:
            context = views.detail(app, session, cr, clock(), views.reader(app, person))
        return page("cr.html", me=person, **context)

    async def download(request: Request, person: Person) -> Response:
        cr, refusal = _visible(person, request.path_params["cr_id"])
        if cr is None:
            assert refusal is not None
            return refusal
        with app.db.session() as session:
            found = views.document(session, cr.id, request.path_params["link_id"])
        if found is None:
            return page("refused.html", status=404, me=person, why="No such document.")
        link, data = found
        name = re.sub(r"[^A-Za-z0-9._ -]", "_", link.filename)[:150] or "document"
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type=link.content_type, headers=headers)

    async def style(request: Request) -> Response:
        css = env.loader.get_source(env, "web/style.css")[0]  # type: ignore[union-attr]
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    routes = [
        Route("/", signed_in(crs)),
        Route("/signin", signin_form, methods=["GET"]),
        Route("/signin", signin_request, methods=["POST"]),
        Route("/signin/{token}", signin_confirm, methods=["GET"]),
        Route("/signin/{token}", signin_use, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/cr/{cr_id}", signed_in(one_cr)),
        Route("/cr/{cr_id}/documents/{link_id:int}", signed_in(download)),
        Route("/style.css", style),
    ]
    return Starlette(routes=routes)

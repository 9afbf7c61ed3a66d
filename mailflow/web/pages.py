"""The pages of the status page: sign-in, the CR list, a CR, its documents, the style.

Every page is rendered on the server from Jinja2 templates (templates/web/); there is no
JavaScript. The sign-in link opens a page with a button rather than signing in on GET,
so a mail scanner that follows links cannot use up the one-time link.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from mailflow.config.settings import Person
from mailflow.store.tables import ChangeRequest
from mailflow.views.stage_times import stage_times
from mailflow.web import detail, listing, signin, views
from mailflow.web.site import COOKIE, HEADERS, Site

FILTERS = ("account", "stage", "person")


async def signin_form(site: Site, request: Request) -> Response:
    return site.page("signin.html")


async def signin_request(site: Site, request: Request) -> Response:
    form = await request.form()
    signin.request_link(site.app, str(form.get("email", ""))[:320], site.clock())
    # The same answer either way: the page does not tell who is configured.
    return site.page("signin_sent.html")


async def signin_confirm(site: Site, request: Request) -> Response:
    return site.page("signin_confirm.html", token=request.path_params["token"])


async def signin_use(site: Site, request: Request) -> Response:
    app = site.app
    person = signin.use_link(app, request.path_params["token"], site.clock())
    if person is None:
        return site.page("signin.html", status=400, expired=True)
    sid = signin.open_session(app, person, site.clock())
    response = site.redirect("/")
    response.set_cookie(
        COOKIE,
        sid,
        max_age=app.settings.web.session_hours * 3600,
        httponly=True,
        secure=app.settings.web.cookie_secure,
        samesite="lax",
    )
    return response


async def signout(site: Site, request: Request) -> Response:
    signin.close_session(site.app, request.cookies.get(COOKIE))
    response = site.redirect("/signin")
    response.delete_cookie(COOKIE)
    return response


async def crs(site: Site, request: Request, person: Person) -> Response:
    app, now = site.app, site.clock()
    chosen = {k: request.query_params.get(k, "")[:200] for k in FILTERS}
    inside = not views.outside(app, person)
    scope = views.visible(app, person)
    if chosen["account"]:
        scope.append(ChangeRequest.account == chosen["account"])
    with app.db.session() as session:
        found = listing.listing(app, session, person, now, chosen["account"], chosen["stage"],
                                chosen["person"])  # fmt: skip
        # how long FT takes over its own stages is FT's to know
        times = stage_times(app.workflow, session, now, scope) if inside else []
    return site.page(
        "list.html",
        me=person,
        listing=found,
        times=times,
        figures=[app.workflow.fields[n].label for n in listing.money_fields(app.workflow)],
        chosen=chosen,
        accounts=views.accounts_of(app, person),
        stages=views.stage_choices(app, person),
        people=views.people_to_filter(app, person),
    )


def _visible(site: Site, person: Person, cr_id: str) -> ChangeRequest | Response:
    """The CR, or the page refusing it."""
    with site.app.db.session() as session:
        cr = session.get(ChangeRequest, cr_id)
    if cr is None:
        return site.page("refused.html", status=404, me=person, why="No such CR.")
    if not views.may_see(site.app, person, cr):
        why = "This CR belongs to an account you do not serve."
        return site.page("refused.html", status=403, me=person, why=why)
    return cr


async def one_cr(site: Site, request: Request, person: Person) -> Response:
    cr = _visible(site, person, request.path_params["cr_id"])
    if isinstance(cr, Response):
        return cr
    audience = views.reader(site.app, person)
    with site.app.db.session() as session:
        context = detail.detail(site.app, session, cr, site.clock(), audience)
    return site.page("cr.html", me=person, **context)


async def download(site: Site, request: Request, person: Person) -> Response:
    cr = _visible(site, person, request.path_params["cr_id"])
    if isinstance(cr, Response):
        return cr
    with site.app.db.session() as session:
        found = views.document(session, cr.id, request.path_params["link_id"])
    if found is None:
        return site.page("refused.html", status=404, me=person, why="No such document.")
    link, data = found
    name = re.sub(r"[^A-Za-z0-9._ -]", "_", link.filename)[:150] or "document"
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type=link.content_type, headers=headers)


async def style(site: Site, request: Request) -> Response:
    css = site.env.loader.get_source(site.env, "web/style.css")[0]  # type: ignore[union-attr]
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

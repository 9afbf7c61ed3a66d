"""The status page on a real port with real CRs behind it, for the browser and HTTP tests.

CRs are made the way production makes them: the demo's cast mails the daemon, which
handles each message through the whole pipeline. Only the CR of the second account is
written straight into the store, because no one in the example cast serves it.

The helpers at the end drive a signed-in browser: the sign-in link read from the mail
delivered over real SMTP, a click that waits for the next page, screenshots.
"""

from __future__ import annotations

import dataclasses
import email
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import uvicorn
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from mailflow.app import App
from mailflow.cli.demo import SCRIPT, _latest_cr, cast_message
from mailflow.cli.reply import latest_to
from mailflow.config.settings import Account, Settings
from mailflow.service.daemon import Daemon
from mailflow.store.tables import ChangeRequest
from mailflow.transport.maildir import MaildirSink, MaildirSource, deliver
from mailflow.transport.smtp import SmtpSettings, SmtpSink
from mailflow.web.app import create_app
from tests.dovecot_server import free_port
from tests.helpers import Clock, Desk, make_app

# the year the daemon gives the other CRs: it reads the real clock, as this does
OTHER_CR = f"CR-{datetime.now(UTC).year}-9001"


def with_second_account(settings: Settings, port: int) -> Settings:
    globex = Account("globex", "Globex", ("globex.example",), Decimal(100), "USD")
    web = settings.web.model_copy(
        update={"cookie_secure": False, "base_url": f"http://127.0.0.1:{port}"}
    )
    return dataclasses.replace(settings, accounts=(*settings.accounts, globex), web=web)


def play(app: App, steps: int, clock: Clock, daemon: Daemon | None = None) -> str:
    """A new CR taken through the first `steps` of the demo's script, each mail answered
    some hours after the one before; its id. A test that watches a daemon of its own
    (its metrics, its logs) hands it in; that daemon keeps its own clock."""
    root = app.settings.maildir_root
    source, sink = MaildirSource(root), MaildirSink(root)
    daemon, cr_id = daemon or Daemon(app, source, sink, clock=clock), ""
    try:
        for n, (sender, body, attachment, kind) in enumerate(SCRIPT[:steps]):
            parent = latest_to(app, sender, cr_id, fallback=True) if cr_id else None
            deliver(root, cast_message(app, sender, body, attachment, kind, parent).as_bytes())
            daemon.run(once=True)
            cr_id = cr_id or _latest_cr(app)
            clock.advance(hours=PACE[n % len(PACE)])
    finally:
        source.close()
        sink.close()
    return cr_id


# Hours between one mail and the next: people answer within hours or days, so each
# stage's stays differ and the CRs left waiting are past their reminder time.
PACE = (5, 30, 9, 52, 3, 26, 70, 12)


def started_weeks_ago(weeks: int = 5) -> Clock:
    """A clock the seed moves by hand, starting some weeks before today (the page itself
    reads the real clock), so the seeded stays fall within the page's 90 days."""
    clock = Clock()
    clock.now = datetime.now(UTC).replace(microsecond=0) - timedelta(weeks=weeks)
    return clock


def seeded_app(folder: Path, port: int) -> tuple[App, list[str]]:
    app = make_app(folder, adjust=lambda s: with_second_account(s, port))
    clock = started_weeks_ago()
    crs = [play(app, steps, clock) for steps in (7, 4, 1)]  # the demo script, step by step
    with app.db.transaction() as session:
        session.add(
            ChangeRequest(
                id=OTHER_CR,
                account="globex",
                title="Globex warehouse feed",
                stage=app.workflow.start,
                opened_by="someone@globex.example",
            )
        )
    return app, crs


# Written into everything that stays inside FT on the CR `seeded_inside` plays.
MARKER = "QX7INTERNAL"

# One CR through costing (the executive rejecting once, with FT's negotiating
# position), the customer's approval, and into development: an internal refusal, the
# CSM's note on the thread and the engineer's progress carry the marker too.
INSIDE_PLAY = [
    ("integration@ft.example", "IS CR", ""),
    ("dana@acme.example", "APPROVED", ""),
    ("amardeep@ft.example", "APPROVED", ""),
    ("priya@ft.example", "DONE", "cr.docx"),
    ("integration@ft.example", "DONE\nApproach: new column\nEffort: 12\nTimeline: 3 weeks", ""),
    ("priya@ft.example", "DONE\nCost: 9600", ""),
    ("amardeep@ft.example", f"REJECTED {MARKER} margin too thin, offer 11 days", ""),
    ("priya@ft.example", "DONE\nCost: 8800", ""),
    ("amardeep@ft.example", "APPROVED", ""),
    ("qa@ft.example", "APPROVED", ""),  # an internal refusal: not QA's to give
    ("priya@ft.example", f"Chasing their finance team, {MARKER}", ""),  # the CSM's note
    ("dana@acme.example", "STATUS?", ""),
    ("dana@acme.example", "APPROVED", ""),
    ("priya@ft.example", "DONE\nJira: ACME-482\nEngineer: kiran@ft.example", ""),
    ("kiran@ft.example", "DONE\nDue: {due}", ""),
    ("kiran@ft.example", "DONE", "api.pdf"),
    ("dana@acme.example", "APPROVED", ""),
    ("kiran@ft.example", f"STATUS {MARKER} the backfill query is slow", ""),
]


# How far INSIDE_PLAY takes a CR to leave it at the executive's approval, its cost given
# but not approved: a figure the customer must not see yet.
TO_COST_APPROVAL = 6


def seeded_inside(folder: Path, port: int) -> tuple[App, str, str]:
    """An app whose one CR, played by mail through the pipeline, carries MARKER on its
    internal side only; a second CR of the same account waits for the executive to
    approve its cost; the second account's CR beside them. The app and the two CR ids."""
    desk = Desk(folder, adjust=lambda s: with_second_account(s, port))
    desk.clock.now = started_weeks_ago().now
    due = (desk.clock().date() + timedelta(days=90)).isoformat()
    crs = []
    for play in (INSIDE_PLAY, INSIDE_PLAY[:TO_COST_APPROVAL]):
        cr_id = desk.open_cr()
        for n, (who, body, attachment) in enumerate(play):
            desk.clock.advance(hours=PACE[n % len(PACE)])
            desk.say(who, cr_id, body.format(due=due), attachment=attachment)
        crs.append(cr_id)
    desk.source.close()
    desk.sink.close()
    with desk.app.db.transaction() as session:
        session.add(
            ChangeRequest(
                id=OTHER_CR,
                account="globex",
                title="Globex warehouse feed",
                stage=desk.app.workflow.start,
                opened_by="someone@globex.example",
            )
        )
    return desk.app, crs[0], crs[1]


@contextmanager
def serving(app: App) -> Iterator[str]:
    """The status page on a free loopback port in a thread; yields its base URL."""
    base = app.settings.web.base_url
    port = int(base.rsplit(":", 1)[1])
    config = uvicorn.Config(
        create_app(app), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the status page did not start"
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def mailed_link(app: App, smtp_server: Any, address: str) -> str:
    """Deliver the outbox over real SMTP, as the daemon does, and read the link in the
    newest mail to `address`."""
    sink = SmtpSink(SmtpSettings(host=smtp_server.host, port=smtp_server.port, security="plain"))
    Daemon(app, source=None, sink=sink).deliver_outbox()  # type: ignore[arg-type]
    sink.close()
    mails = [r for r in smtp_server.received if address in r.rcpt_tos]
    assert mails, "no sign-in mail was sent"
    msg = email.message_from_bytes(mails[-1].data, policy=default_policy)
    body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"http://127\.0\.0\.1:\d+/signin/\S+", body)
    assert found, body
    return found.group(0)


def follow(drv: WebDriver, element: WebElement) -> None:
    """Click what leads to another page, and wait until that page has replaced this one:
    reading the page (or its cookie) at once can still see the old one."""
    page = drv.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_: WebDriver) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # stale, or Chromium: "does not belong to the document"
            return True
        return False

    WebDriverWait(drv, 30).until(replaced)


def sign_in(drv: WebDriver, base: str, app: App, smtp_server: Any, address: str) -> None:
    """Sign in as `address` the way a person does: ask for the link, open the mail's link,
    press continue."""
    drv.delete_all_cookies()
    drv.get(base + "/signin")
    drv.find_element(By.ID, "email").send_keys(address)
    follow(drv, drv.find_element(By.ID, "send-link"))
    drv.get(mailed_link(app, smtp_server, address))
    follow(drv, drv.find_element(By.ID, "continue"))


PHONE = 390  # CSS pixels: a common phone's width


def at_width(drv: WebDriver, width: int, height: int = 900) -> None:
    """Lay the page out at this many CSS pixels, as a device of that width would."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)  # type: ignore[attr-defined]


def desk_width(drv: WebDriver) -> None:
    drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})  # type: ignore[attr-defined]


def sideways(drv: WebDriver) -> int:
    """How many CSS pixels the page is wider than the screen (0: no sideways scrolling)."""
    return int(
        drv.execute_script(
            "const d = document.documentElement; return d.scrollWidth - d.clientWidth"
        )
    )


def shot(drv: WebDriver, name: str, width: int = 1280) -> None:
    """A screenshot of the whole page at this width into MAILFLOW_SCREENSHOTS, when set."""
    folder = os.environ.get("MAILFLOW_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    at_width(drv, width)
    height = drv.execute_script("return document.documentElement.scrollHeight")
    at_width(drv, width, max(700, min(int(height), 4000)))
    drv.save_screenshot(str(Path(folder) / f"{name}.png"))
    desk_width(drv)


__all__ = [
    "MARKER",
    "PHONE",
    "at_width",
    "desk_width",
    "sideways",
    "OTHER_CR",
    "follow",
    "free_port",
    "mailed_link",
    "play",
    "seeded_app",
    "seeded_inside",
    "serving",
    "shot",
    "sign_in",
]

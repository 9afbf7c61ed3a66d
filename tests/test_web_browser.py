"""The status page as a person uses it, in a real headless Chromium: sign in through the
mailed link, list and filter CRs, open one, download its document, be refused a CR of
another account. Set MAILFLOW_SCREENSHOTS=DIR to keep screenshots of the pages."""

from __future__ import annotations

import email
import os
import re
import time
from email.policy import default as default_policy
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlmodel import select

from mailflow.daemon import Daemon
from mailflow.store.tables import ChangeRequest, OutboxRow
from mailflow.transport.smtp import SmtpSettings, SmtpSink
from tests.browser import browser  # noqa: F401
from tests.web_site import OTHER_CR, free_port, seeded_app, serving


def _shot(drv, name: str) -> None:
    folder = os.environ.get("MAILFLOW_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        height = drv.execute_script("return document.body.scrollHeight")
        drv.set_window_size(1280, max(700, min(int(height) + 40, 2400)))
        drv.save_screenshot(str(Path(folder) / f"{name}.png"))
        drv.set_window_size(1280, 900)


def _mailed_link(app, smtp_server, address: str) -> str:
    """Deliver the outbox over real SMTP, as the daemon does, and read the link in the mail."""
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


def _wait_for_file(folder: Path, name: str, timeout: float = 15) -> Path:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done = folder / name
        if done.exists() and not list(folder.glob("*.crdownload")):
            return done
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded; folder has {list(folder.iterdir())}")


def test_a_csm_signs_in_by_mail_lists_filters_opens_downloads_and_is_refused(
    tmp_path,
    smtp_server,
    browser,  # noqa: F811
):
    port = free_port()
    app, (documented, approved, fresh) = seeded_app(tmp_path, port)
    drv = browser
    with serving(app) as base:
        drv.get(base + "/")
        assert drv.current_url.endswith("/signin"), "signed out, the list is not shown"
        drv.find_element(By.ID, "email").send_keys("priya@ft.example")
        _follow(drv, drv.find_element(By.ID, "send-link"))
        assert drv.find_element(By.ID, "sent").text == "Check your mail"
        with app.db.session() as s:
            row = s.exec(select(OutboxRow).where(OutboxRow.template == "web/signin")).one()
        assert row.recipients == ["priya@ft.example"]

        link = _mailed_link(app, smtp_server, "priya@ft.example")
        drv.get(link)
        _follow(drv, drv.find_element(By.ID, "continue"))
        cookie = drv.get_cookie("mailflow_session")
        assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

        table = drv.find_element(By.ID, "crs").text
        assert all(cr in table for cr in (documented, approved, fresh))
        assert OTHER_CR not in table, "another account's CR is not listed"
        _shot(drv, "status-list")

        with app.db.session() as s:
            stages = {cr: s.get(ChangeRequest, cr).stage for cr in (documented, approved, fresh)}
        assert len(set(stages.values())) == 3, "the seeded CRs stand at three stages"
        Select(drv.find_element(By.ID, "filter-stage")).select_by_value(stages[fresh])
        _follow(drv, drv.find_element(By.ID, "apply"))
        table = drv.find_element(By.ID, "crs").text
        assert fresh in table and documented not in table and approved not in table

        drv.get(base + "/")
        _follow(drv, drv.find_element(By.LINK_TEXT, documented))
        assert documented in drv.title
        assert "applied" in drv.find_element(By.ID, "evidence").text
        assert "CR-loyalty-export.docx" in drv.find_element(By.ID, "documents").text
        assert "transition" in drv.find_element(By.ID, "timeline").text
        _shot(drv, "status-cr")
        drv.find_element(By.LINK_TEXT, "CR-loyalty-export.docx").click()
        got = _wait_for_file(drv.downloads, "CR-loyalty-export.docx")
        assert got.read_bytes() == b"CR-loyalty-export.docx: demo content\n"

        drv.get(f"{base}/cr/{OTHER_CR}")
        assert drv.find_element(By.ID, "refused").text == "Not available"
        assert "Globex" not in drv.page_source

        drv.get(link)
        _follow(drv, drv.find_element(By.ID, "continue"))
        assert drv.find_element(By.ID, "expired"), "a used link does not sign in again"
    app.close()


def _follow(drv: WebDriver, element: WebElement) -> None:
    """Click what leads to another page, and wait until that page has replaced this one:
    reading the page (or its cookie) at once can still see the old one."""
    page = drv.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(drv, 30).until(expected_conditions.staleness_of(page))

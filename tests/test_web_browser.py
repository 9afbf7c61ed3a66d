"""The status page as a person uses it, in a real headless Chromium: sign in through the
mailed link, list and filter CRs, open one, download its document, be refused a CR of
another account. Set MAILFLOW_SCREENSHOTS=DIR to keep screenshots of the pages."""

from __future__ import annotations

import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlmodel import select

from mailflow.store.tables import ChangeRequest, OutboxRow
from tests.browser import browser  # noqa: F401
from tests.web_site import (
    OTHER_CR,
    follow,
    free_port,
    mailed_link,
    seeded_app,
    serving,
    shot,
)


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
        follow(drv, drv.find_element(By.ID, "send-link"))
        assert drv.find_element(By.ID, "sent").text == "Check your mail"
        with app.db.session() as s:
            row = s.exec(select(OutboxRow).where(OutboxRow.template == "web/signin")).one()
        assert row.recipients == ["priya@ft.example"]

        link = mailed_link(app, smtp_server, "priya@ft.example")
        drv.get(link)
        follow(drv, drv.find_element(By.ID, "continue"))
        cookie = drv.get_cookie("mailflow_session")
        assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

        table = drv.find_element(By.ID, "crs").text
        assert all(cr in table for cr in (documented, approved, fresh))
        assert OTHER_CR not in table, "another account's CR is not listed"
        shot(drv, "status-list")

        with app.db.session() as s:
            stages = {cr: s.get(ChangeRequest, cr).stage for cr in (documented, approved, fresh)}
        assert len(set(stages.values())) == 3, "the seeded CRs stand at three stages"
        Select(drv.find_element(By.ID, "filter-stage")).select_by_value(stages[fresh])
        follow(drv, drv.find_element(By.ID, "apply"))
        table = drv.find_element(By.ID, "crs").text
        assert fresh in table and documented not in table and approved not in table

        drv.get(base + "/")
        follow(drv, drv.find_element(By.LINK_TEXT, documented))
        assert documented in drv.title
        assert "applied" in drv.find_element(By.ID, "evidence").text
        assert "CR-loyalty-export.docx" in drv.find_element(By.ID, "documents").text
        assert "transition" in drv.find_element(By.ID, "timeline").text
        shot(drv, "status-cr")
        drv.find_element(By.LINK_TEXT, "CR-loyalty-export.docx").click()
        got = _wait_for_file(drv.downloads, "CR-loyalty-export.docx")
        assert got.read_bytes() == b"CR-loyalty-export.docx: demo content\n"

        drv.get(f"{base}/cr/{OTHER_CR}")
        assert drv.find_element(By.ID, "refused").text == "Not available"
        assert "Globex" not in drv.page_source

        drv.get(link)
        follow(drv, drv.find_element(By.ID, "continue"))
        assert drv.find_element(By.ID, "expired"), "a used link does not sign in again"
    app.close()

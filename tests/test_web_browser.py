"""The status page as a person uses it, in a real headless Chromium: sign in through the
mailed link, read the pipeline and the time per stage, list and filter CRs, open one,
read how each decision's sender was proven, download its document, be refused a CR of
another account; and both pages on a 390 px phone, with no sideways scrolling.

MAILFLOW_SCREENSHOTS=docs/screenshots regenerates the README's screenshots."""

from __future__ import annotations

import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlmodel import select

from mailflow.store.message_tables import OutboxRow
from mailflow.store.tables import ChangeRequest
from tests.browser import browser  # noqa: F401
from tests.web_site import (
    OTHER_CR,
    PHONE,
    at_width,
    desk_width,
    follow,
    free_port,
    mailed_link,
    seeded_app,
    serving,
    shot,
    sideways,
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
        link = _signs_in_by_mail(app, drv, base, smtp_server)
        table = drv.find_element(By.ID, "crs").text
        assert all(cr in table for cr in (documented, approved, fresh))
        assert OTHER_CR not in table, "another account's CR is not listed"
        _reads_at_a_glance(app, drv, (documented, approved, fresh))
        shot(drv, "status-list")
        shot(drv, "status-list-phone", PHONE)

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
        _proof_in_plain_words(app, drv)
        assert "CR-loyalty-export.docx" in drv.find_element(By.ID, "documents").text
        assert "transition" in drv.find_element(By.ID, "timeline").text
        shot(drv, "status-cr")
        shot(drv, "status-cr-phone", PHONE)
        _fits_a_phone(drv, f"{base}/", f"{base}/cr/{documented}")
        drv.get(f"{base}/cr/{documented}")
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


def _signs_in_by_mail(app, drv, base: str, smtp_server) -> str:
    """Signed out, the list sends her to sign in; the mailed link signs her in. The link."""
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
    return link


def _visible_text(drv) -> str:
    return drv.find_element(By.TAG_NAME, "body").text


def _no_stage_keys(app, text: str, page: str) -> None:
    keys = [s.name for s in app.workflow.stages] + list(app.workflow.ends)
    shown = [k for k in keys if "_" in k and k in text]
    assert not shown, f"stage keys {shown} on the {page}"


def _reads_at_a_glance(app, drv, crs) -> None:
    """The pipeline picture counts the listed CRs by stage title, with the overdue ones;
    the time per stage, the overdue and cost columns are there, and no stage key."""
    picture = drv.find_element(By.CSS_SELECTOR, "#pipeline svg")
    bars = picture.find_elements(By.CSS_SELECTOR, "g.stage")
    assert len(bars) == len(app.workflow.stages), "every stage of the process, in its order"
    names = [b.find_element(By.CSS_SELECTOR, "text.name").text for b in bars]
    assert names == [s.title for s in app.workflow.stages]
    counts = [b.find_element(By.CSS_SELECTOR, "text.count").text for b in bars]
    assert sum(int(c.split(" ")[0]) for c in counts) == len(crs)
    late = drv.find_elements(By.CSS_SELECTOR, "#crs tr.overdue")
    assert late, "CRs seeded weeks ago wait past their reminder time"
    assert all("by " in r.find_element(By.CSS_SELECTOR, "td.overdue-cell").text for r in late)
    drawn = picture.find_elements(By.CSS_SELECTOR, "rect.late")
    assert len(drawn) == sum(1 for c in counts if "overdue" in c) > 0
    caption = drv.find_element(By.CSS_SELECTOR, "#pipeline figcaption").text
    assert caption.startswith(f"{len(crs)} open, {len(late)} overdue"), caption
    assert drv.find_elements(By.CSS_SELECTOR, "script") == [], "no JavaScript"
    times = drv.find_element(By.ID, "stage-times").text
    assert "Median" in times and any(s.title in times for s in app.workflow.stages)
    header = drv.find_element(By.CSS_SELECTOR, "#crs thead").text
    assert "Overdue" in header and "Cost" in header
    _no_stage_keys(app, _visible_text(drv), "list")


def _proof_in_plain_words(app, drv) -> None:
    """Each decision row says in plain words how its sender was proven, under the stage's
    title; the technical record is one click away."""
    table = drv.find_element(By.ID, "evidence")
    assert "accepted" in table.text
    assert "Replied to their own request mail" in table.text
    assert "token" not in table.text.lower(), "no jargon until the details are opened"
    _no_stage_keys(app, _visible_text(drv), "CR page")
    first = table.find_element(By.CSS_SELECTOR, "details")
    first.find_element(By.TAG_NAME, "summary").click()
    assert "valid token" in first.text, "the technical detail, one click away"


def _fits_a_phone(drv, *pages: str) -> None:
    """At 390 CSS pixels nothing makes the page scroll sideways; at a desk neither."""
    for width in (PHONE, 1280):
        at_width(drv, width, 844)
        for page in pages:
            drv.get(page)
            assert sideways(drv) == 0, f"{page} scrolls sideways at {width} px"
    desk_width(drv)

"""The status page as the customer sees it, in a real headless Chromium: she signs in
through the mailed link, lists her CRs and opens one, and nothing of FT's internal side
is on either page: not in the pipeline picture (her words, FT's two stages she knows by
one name drawn as one bar), not as time per stage, not as a figure before FT approved it.
Her CSM, signed in to the same CR, sees that side, so the marker the test looks for is
really there. Set MAILFLOW_SCREENSHOTS=DIR to keep screenshots."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from mailflow.store.tables import ChangeRequest
from tests.browser import browser  # noqa: F401
from tests.web_site import (
    MARKER,
    OTHER_CR,
    PHONE,
    at_width,
    desk_width,
    follow,
    free_port,
    seeded_inside,
    serving,
    shot,
    sideways,
    sign_in,
)

CUSTOMER, CSM = "dana@acme.example", "priya@ft.example"
# FT's people other than her CSM, by name and by address
INTERNAL_PEOPLE = ("Amardeep", "amardeep@", "Kiran", "kiran@", "Sumesh", "sumesh@", "Mohit",
                   "mohit@", "qa@", "FT QA", "devops@", "DevOps", "integration@",
                   "Integration Team")  # fmt: skip


def _inside(app) -> list[str]:
    """What must never reach the customer's page: the marker, internal people, the
    evidence table, and the workflow's stage keys (those that are not plain words)."""
    keys = [s.name for s in app.workflow.stages] + list(app.workflow.ends)
    internal = [MARKER, *INTERNAL_PEOPLE, 'id="evidence"', "evidence", "Executive approval"]
    return internal + [k for k in keys if "_" in k]


def _shown_to_her(app, source: str, page: str) -> None:
    for text in _inside(app):
        assert text not in source, f"{text!r} is on the customer's {page}"


def test_the_customer_sees_her_side_and_never_ft_s(tmp_path, smtp_server, browser):  # noqa: F811
    app, cr_id, pending = seeded_inside(tmp_path, free_port())
    stage = app.workflow.visibility.stage_words
    drv = browser
    with serving(app) as base:
        sign_in(drv, base, app, smtp_server, CUSTOMER)
        assert drv.find_element(By.ID, "crs"), "signed in, the list is shown"
        table = drv.find_element(By.ID, "crs").text
        assert cr_id in table and OTHER_CR not in table
        with app.db.session() as session:
            at = session.get(ChangeRequest, cr_id).stage
        words = stage(at, app.workflow.title_of(at))
        assert words.startswith("With FT: "), words
        assert words in table, "the stage in her words"
        assert "FT" in table, "FT's people are FT to her"
        assert drv.find_elements(By.CSS_SELECTOR, "#crs tr.overdue") == [], (
            "how long FT gives itself is not hers to see"
        )
        _her_overview(app, drv, words, cr_id, pending)
        _shown_to_her(app, drv.page_source, "list")
        _fits_her_phone(drv)
        offered = Select(drv.find_element(By.ID, "filter-person")).options
        assert [o.text for o in offered] == ["anyone", "Dana Whitfield"], "her own side only"
        titles = [o.text for o in Select(drv.find_element(By.ID, "filter-stage")).options]
        assert all(t == "open" or t in _her_stage_words(app) for t in titles), titles
        assert len(titles) == len(set(titles)), "each of her stages once"
        shot(drv, "customer-list")

        Select(drv.find_element(By.ID, "filter-stage")).select_by_visible_text(words)
        follow(drv, drv.find_element(By.ID, "apply"))
        assert cr_id in drv.find_element(By.ID, "crs").text, "her words filter her CRs"
        _shown_to_her(app, drv.page_source, "filtered list")

        follow(drv, drv.find_element(By.LINK_TEXT, cr_id))
        assert cr_id in drv.title
        assert drv.find_element(By.ID, "stage").text.startswith(words)
        assert drv.find_elements(By.ID, "evidence") == []
        assert "Priya Nair" in drv.find_element(By.ID, "contact").text, "her CSM is her contact"
        _shown_to_her(app, drv.page_source, "CR page")
        _fits_her_phone(drv)
        shot(drv, "customer-cr")

        drv.get(f"{base}/?person=kiran@ft.example")
        assert cr_id not in drv.find_element(By.ID, "crs").text, "no asking who FT waits on"
        _shown_to_her(app, drv.page_source, "list filtered by an internal person")

        sign_in(drv, base, app, smtp_server, CSM)
        assert drv.find_element(By.ID, "stage-times"), "FT sees its own time per stage"
        assert _cost_of(drv, pending) == "USD 9,600.00", "FT sees the figure it has not approved"
        drv.get(f"{base}/cr/{cr_id}")
        assert MARKER in drv.page_source, "the internal side is on the record"
        assert drv.find_element(By.ID, "evidence")
        assert "executive_approval" in drv.page_source or "Executive approval" in drv.page_source
        shot(drv, "csm-cr")
    app.close()


def _her_stage_words(app) -> set[str]:
    wf = app.workflow
    names = [s.name for s in wf.stages] + list(wf.ends)
    return {wf.visibility.stage_words(n, wf.title_of(n)) for n in names}


def _cost_of(drv, cr_id: str) -> str:
    row = drv.find_element(By.XPATH, f"//table[@id='crs']//tr[.//a[text()='{cr_id}']]")
    return row.find_element(By.CSS_SELECTOR, "td[data-label='Cost']").text


def _her_overview(app, drv, words: str, cr_id: str, pending: str) -> None:
    """Her pipeline counts her CRs by her words, each once; FT's time per stage is not
    shown; a cost once FT approved it, not before."""
    bars = drv.find_elements(By.CSS_SELECTOR, "#pipeline g.stage")
    titles = [b.find_element(By.CSS_SELECTOR, "text.name").text for b in bars]
    assert titles and set(titles) <= _her_stage_words(app), titles
    assert len(titles) == len(set(titles)), "two of FT's stages of one name are one bar"
    counts = [b.find_element(By.CSS_SELECTOR, "text.count").text for b in bars]
    assert sum(int(c.split(" ")[0]) for c in counts) == 2, counts
    assert not any("overdue" in c for c in counts)
    assert words in titles
    assert drv.find_elements(By.ID, "stage-times") == [], "FT's own pace stays FT's"
    assert _cost_of(drv, cr_id) == "USD 8,800.00", "the cost FT approved"
    assert _cost_of(drv, pending) == "—", "a cost FT has not approved yet"
    assert "9,600" not in drv.page_source


def _fits_her_phone(drv) -> None:
    at_width(drv, PHONE, 844)
    drv.refresh()
    assert sideways(drv) == 0, f"{drv.current_url} scrolls sideways on her phone"
    desk_width(drv)
    drv.refresh()

"""The status page's plain words: how a decision's sender was proven, said from the real
evidence rows that attack mails leave, and how long CRs stay at each stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailflow.store.tables import AuditEvent, ChangeRequest
from mailflow.views.cr import view_of
from mailflow.views.durations import duration_words
from mailflow.views.stage_times import stage_times
from mailflow.web.proof import proof_words
from tests.helpers import Desk, make_app
from tests.security.kit import adjust, attack, walk_to

STRICT = {
    "role_policies": {"executive": "authenticated"},
    "trusted_authserv_ids": ("mx.ft.example",),
}
JARGON = ("token", "in-reply-to", "policy", "_")


def _said(desk: Desk, mail: str) -> tuple[str, str]:
    cr = walk_to(desk, "in_principle")
    [row] = attack(desk, cr, mail).evidence
    return row.outcome, proof_words(row, outside=False)


@pytest.mark.parametrize(
    ("mail", "outcome", "words"),
    [
        ("token-of-other-recipient.eml", "refused", "answered a request mail sent to someone else"),
        ("forged-from-no-token.eml", "refused", "Not a reply to any mail we sent them"),
    ],
)
def test_a_refused_reply_says_what_was_wrong_in_plain_words(tmp_path, mail, outcome, words):
    desk = Desk(tmp_path)
    try:
        got, said = _said(desk, mail)
    finally:
        desk.close()
    assert got == outcome and words.lower() in said.lower(), said
    assert not any(j in said.lower() for j in JARGON), said


@pytest.mark.parametrize(
    ("mail", "words"),
    [
        ("dmarc-pass-authenticated-policy.eml",
         "Replied to their own request mail; signed by their company's domain (DMARC)"),
        ("dmarc-fail-authenticated-policy.eml",
         "not signed by their company's domain (no DMARC or DKIM pass)"),
    ],
)  # fmt: skip
def test_a_domain_signature_is_named_and_its_absence_too(tmp_path, mail, words):
    desk = Desk(tmp_path, adjust=adjust(security=STRICT))
    try:
        _, said = _said(desk, mail)
    finally:
        desk.close()
    assert words in said, said
    assert "(DMARC)" not in said or "not signed" not in said, "never both"


def test_the_customer_is_signed_by_the_customer_s_domain(tmp_path):
    desk = Desk(tmp_path, adjust=adjust(security=STRICT))
    try:
        cr = walk_to(desk, "in_principle")
        [row] = attack(desk, cr, "dmarc-pass-authenticated-policy.eml").evidence
    finally:
        desk.close()
    assert "signed by the customer's domain (DMARC)" in proof_words(row, outside=True)


def test_time_at_each_stage_counts_stays_that_ended_in_the_last_90_days(tmp_path):
    app = make_app(tmp_path)
    wf = app.workflow
    first, second = wf.stages[1].name, wf.stages[2].name
    now = datetime.now(UTC).replace(microsecond=0)
    opened = now - timedelta(days=200)
    hours = {first: [], second: []}
    with app.db.transaction() as session:
        for n, (stay_first, stay_second) in enumerate([(10, 30), (20, 60), (40, 90), (100, 5)]):
            start = now - timedelta(days=20 + n)
            cr = ChangeRequest(id=f"CR-T-{n}", account="acme", title="t", stage=second,
                               created_at=start, entered_at=start)  # fmt: skip
            session.add(cr)
            session.flush()
            at = start
            for stage, stay in ((wf.start, 0), (first, stay_first), (second, stay_second)):
                at += timedelta(hours=stay)
                session.add(AuditEvent(cr_id=cr.id, at=at, stage=stage, kind="transition",
                                       detail="moved"))  # fmt: skip
            hours[first].append(stay_first)
            hours[second].append(stay_second)
        # long ago: its stays ended before the window and do not count
        session.add(ChangeRequest(id="CR-T-old", account="acme", title="t", stage=second,
                                  created_at=opened, entered_at=opened))  # fmt: skip
        session.flush()
        session.add(AuditEvent(cr_id="CR-T-old", at=opened + timedelta(hours=500), stage=first,
                               kind="transition", detail="moved"))  # fmt: skip
    with app.db.session() as session:
        times = {t.stage: t for t in stage_times(wf, session, now)}
        others = stage_times(wf, session, now, [ChangeRequest.account == "globex"])
    app.close()
    assert wf.start not in times, "a stage passed at once is no stay"
    assert times[first].stays == 4, "the stay that ended 200 days ago is not counted"
    assert times[first].median == timedelta(hours=30)
    assert times[first].p90 == timedelta(hours=82)  # 40 + 0.7 × (100 − 40)
    assert times[second].median == timedelta(hours=45)
    assert times[first].median_words == "1 day and 6 hours"
    assert others == [], "only the CRs the reader may see"


def test_durations_are_said_as_exactly_as_matters():
    assert duration_words(timedelta(minutes=20)) == "20 minutes"
    assert duration_words(timedelta(hours=5, minutes=10)) == "5 hours"
    assert duration_words(timedelta(days=1, hours=4)) == "1 day and 4 hours"
    assert duration_words(timedelta(days=12, hours=13)) == "13 days"
    assert duration_words(timedelta(0)) == "0 minutes"


def test_the_timeline_names_roles_by_their_titles_never_their_keys(tmp_path):
    desk = Desk(tmp_path)
    try:
        cr_id = desk.open_cr()
        desk.say("integration@ft.example", cr_id, "IS CR")
        with desk.app.db.session() as s:
            cr = s.get(ChangeRequest, cr_id)
            assert cr is not None
            lines = [h.detail for h in view_of(desk.app, s, cr).history]
        stored = [e.detail for e in desk.events(cr_id, {"decision"})]
    finally:
        desk.close()
    assert any("(integration_team)" in d for d in stored), "the record keeps the key"
    said = "\n".join(lines)
    assert "(Integration team)" in said and "(Customer Success Manager)" in said, said
    assert not [k for k in ("integration_team", "(csm)") if k in said], said

"""The implementation phase with Jira as the second channel, by real mail end to end.

The engineer reports progress on the CR's Jira issue; Jira's notifications reach the CSM's
digest and the customer's STATUS? answer (in her words: FT, never the engineer's name or an
internal comment); at UAT the customer signs off on the Jira issue, is asked once by mail
to CONFIRM, and her CONFIRM moves the CR to the production deployment.
"""

from __future__ import annotations

import pytest

from mailflow.views.digests import DigestKind, build
from tests.helpers import Desk
from tests.jira_mail import listing_jira, raw
from tests.scenario.cast import CSM, ENGINEER, REP
from tests.test_jira_progress import DEVOPS, QA, at_development


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path, adjust=listing_jira())
    yield d
    d.close()


def plain(desk: Desk, address: str, cr_id: str) -> str:
    mail = desk.last_mail_to(address, cr_id)
    assert mail is not None
    return " ".join(mail.get_body(("plain",)).get_content().split())


def test_progress_on_jira_reaches_the_csm_and_the_customer_and_her_sign_off_moves_the_cr(desk):
    cr_id = at_development(desk)

    # development: the engineer comments on Jira, a restricted note stays inside
    desk.send(raw("cloud-comment-html-only.eml"))
    desk.send(raw("dc-restricted-comment.eml"))
    desk.send(raw("dc-status.eml"))
    desk.say(ENGINEER, cr_id, "DONE")
    for who, verb in ((DEVOPS, "DEPLOYED"), (QA, "PASSED"), (DEVOPS, "DEPLOYED")):
        desk.say(who, cr_id, verb)
    desk.send(raw("cloud-batched.eml"))
    assert desk.stage(cr_id) == "uat"

    with desk.app.db.session() as session:
        priya = desk.app.settings.person(CSM)
        assert priya is not None
        digest = build(desk.app, session, DigestKind.CSM, priya, desk.clock())
    (changes,) = [c for c in digest.changes if c.id == cr_id]
    week = "\n".join(changes.lines)
    assert "Kiran Rao: comment — Export file now carries loyalty_points" in week
    assert "Kiran Rao: status In Progress → In Review" in week
    assert "ready for your UAT" in week

    desk.say(REP, cr_id, "STATUS?")
    answer = plain(desk, REP, cr_id)
    assert "Jira ACME-482, FT: comment — Export file now carries loyalty_points" in answer
    assert "Jira ACME-482, FT: status In Progress → In Review" in answer
    assert "Jira ACME-482, FT: comment — Deployed to the integration environment" in answer
    assert "Kiran" not in answer and "staging data" not in answer

    # UAT: Dana signs off on the Jira issue; Jira's word is confirmed once, by her own mail
    desk.send(raw("cloud-signoff.eml"))
    assert desk.stage(cr_id) == "uat"
    asked = plain(desk, REP, cr_id)
    assert "> Signed off, thanks." in asked and "CONFIRM" in asked
    assert "ACME-482" in asked
    assert desk.templates_sent()[-1] == ("notice/jira_confirm", [REP, CSM])
    desk.say(REP, cr_id, "CONFIRM")
    assert desk.stage(cr_id) == "production_deploy"
    decisions = [e.detail for e in desk.events(cr_id, {"decision"})]
    assert decisions[-1] == f"{REP} (customer_rep): SIGNED OFF"

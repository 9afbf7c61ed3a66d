"""Reading Jira's notification mail: the issue, each change, who made it, what stays inside."""

from __future__ import annotations

import pytest

from mailflow.mail.jira_notice import EventKind, read
from mailflow.mail.parse import parse
from tests.jira_mail import DANA_CLOUD, KIRAN_CLOUD, raw


def notice(name: str, **swap: str):
    found = read(parse(raw(name, **swap)))
    assert found is not None, name
    return found


def test_data_center_comment_names_its_author_by_address_and_user_name():
    (event,) = notice("dc-comment.eml").events
    assert event.kind is EventKind.COMMENT and not event.internal
    assert event.text == "The loyalty_points mapping is in; the 90-day backfill runs on QA tonight."
    assert (event.author.name, event.author.address) == ("Kiran Rao", "kiran@ft.example")
    assert event.author.account_id == "kiran"


def test_data_center_status_change():
    (event,) = notice("dc-status.eml").events
    assert (event.kind, event.old, event.new) == (EventKind.STATUS, "In Progress", "In Review")


def test_a_restricted_comment_is_internal_and_its_marker_is_not_its_text():
    (event,) = notice("dc-restricted-comment.eml").events
    assert event.internal and event.text.startswith("Their staging data")


def test_data_center_batched_updates_each_change_with_its_author():
    found = notice("dc-batched.eml")
    assert found.batched
    kinds = [(e.kind, e.author.name) for e in found.events]
    assert kinds == [
        (EventKind.ASSIGNEE, "Priya Nair"),
        (EventKind.COMMENT, "Kiran Rao"),
        (EventKind.STATUS, "Kiran Rao"),
    ]
    assert found.events[0].new == "Kiran Rao" and found.events[0].old == "Omar Haddad"
    assert found.events[1].text.startswith("Backfill finished on QA")


def test_cloud_html_only_comment_carries_the_account_id():
    (event,) = notice("cloud-comment-html-only.eml").events
    assert event.kind is EventKind.COMMENT
    assert event.author.account_id == KIRAN_CLOUD and event.author.address == ""
    assert event.text == "Export file now carries loyalty_points for every order line."


def test_cloud_batched_updates():
    found = notice("cloud-batched.eml")
    assert found.batched and found.key == "ACME-482"
    status, comment = found.events
    assert (status.kind, status.old, status.new) == (EventKind.STATUS, "Ready for QA", "Done")
    assert comment.text == "Deployed to the integration environment; ready for your UAT."


def test_cloud_sign_off_comment():
    (event,) = notice("cloud-signoff.eml").events
    assert event.author.account_id == DANA_CLOUD and event.text == "Signed off, thanks."


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("[JIRA] (ACME-999) Loyalty points in export", ""),  # the body names another issue
        ("[JIRA] Weekly summary", ""),  # no key in the subject
        ("[JIRA] (ACME-482) and ACME-483", ""),  # two issues named in both
    ],
)
def test_no_notice_without_one_key_in_both_subject_and_body(subject, body):
    mail = raw("dc-comment.eml", **{"[JIRA] (ACME-482) Loyalty points in export": subject})
    if "ACME-483" in subject:
        mail = mail.replace(b"Key: ACME-482", b"Key: ACME-482 ACME-483")
    assert read(parse(mail)) is None


def test_a_comment_that_only_mentions_someone_updating_is_one_comment():
    mail = raw(
        "cloud-signoff.eml",
        **{"Signed off, thanks.": "Dana updated the sheet.\nKiran Rao changed his mind"},
    )
    (event,) = notice_of(mail).events
    assert event.kind is EventKind.COMMENT and "Kiran Rao changed his mind" in event.text


def notice_of(mail: bytes):
    found = read(parse(mail))
    assert found is not None
    return found

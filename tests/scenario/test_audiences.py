"""Two audiences: what the customer receives never carries FT's internal side.

One CR is played through every stage, rejections and a cancel-free loop included, with
a unique marker in everything that must stay inside FT: the executive's rejection
reason, the engineer's progress text, the CSM's note on the thread, an internal
refusal. Every copy mailed to the customer, and every template rendered for an
external reader of that CR, must be free of the marker, of internal people's names and
addresses, and of the rate behind the proposed cost.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from mailflow.chain.effects import queue_mail
from mailflow.config.settings import load_settings
from mailflow.errors import ConfigError
from mailflow.security.audience import Audience, audience_of
from mailflow.store.tables import ChangeRequest
from mailflow.views.cr import cr_context, view_of
from mailflow.workflow.engine_values import Mail
from tests.helpers import EXAMPLE_CONFIG, Desk
from tests.security.kit import walk_to
from tests.test_templates import _context
from tests.web_site import INSIDE_PLAY, MARKER

CUSTOMER = "dana@acme.example"
INTERNAL_NAMES = ("Amardeep", "amardeep@", "Kiran", "kiran@", "sumesh", "mohit", "qa@ft",
                  "devops@", "integration@", "Integration Team", "×", "person-days ×")  # fmt: skip
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# The whole process, with the executive rejecting once and UAT failing once: the
# status page's seed, then development, testing, UAT and go-live.
PLAY = [
    *INSIDE_PLAY,
    ("kiran@ft.example", "DONE", ""),
    ("devops@ft.example", "DEPLOYED", ""),
    ("qa@ft.example", "PASSED", ""),
    ("devops@ft.example", "DEPLOYED", ""),
    ("dana@acme.example", "FAILED totals are off by one cent", ""),
    ("kiran@ft.example", "DONE", ""),
    ("devops@ft.example", "DEPLOYED", ""),
    ("qa@ft.example", "PASSED", ""),
    ("devops@ft.example", "DEPLOYED", ""),
    ("dana@acme.example", "SIGNED OFF", ""),
    ("dana@acme.example", "STATUS?", ""),
    ("devops@ft.example", "DEPLOYED", ""),
    ("dana@acme.example", "SIGNED OFF", ""),
]


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    desk = Desk(tmp_path_factory.mktemp("audiences"))
    cr_id = desk.open_cr()
    due_text = (desk.clock().date() + timedelta(days=60)).isoformat()
    for who, body, attachment in PLAY:
        desk.say(who, cr_id, body.format(due=due_text), attachment=attachment)
    yield desk, cr_id
    desk.close()


def test_the_play_reached_the_end_through_every_stage(played):
    desk, cr_id = played
    assert desk.stage(cr_id) == "closed"
    kinds = {e.kind for e in desk.events(cr_id)}
    assert {"decision", "refusal", "note", "transition"} <= kinds
    assert any(MARKER in e.detail for e in desk.events(cr_id)), "the marker is on the record"


def _copies_to(desk, address):
    return [r for r in desk.outbox() if r.recipients == [address]]


def test_no_copy_mailed_to_the_customer_carries_the_internal_side(played):
    desk, _ = played
    copies = _copies_to(desk, CUSTOMER)
    assert len(copies) > 10
    for row in copies:
        text = row.data.decode("utf-8", "replace")
        assert MARKER not in text, row.template
        for name in INTERNAL_NAMES:
            assert name not in text, (row.template, name)


def test_internal_copies_still_carry_everything(played):
    desk, _ = played
    closing = [r for r in _copies_to(desk, "priya@ft.example") if r.template == "notice/closed"]
    assert closing and MARKER in closing[-1].data.decode("utf-8", "replace")


def test_the_customer_is_external_and_ft_is_internal(played):
    desk, _ = played
    settings, external = desk.app.settings, desk.app.workflow.external
    assert audience_of(settings, external, CUSTOMER) is Audience.EXTERNAL
    assert audience_of(settings, external, "kiran@ft.example") is Audience.INTERNAL
    assert audience_of(settings, external, "someone@elsewhere.example") is Audience.EXTERNAL


def _mail_templates() -> list[str]:
    return sorted(
        p.relative_to(TEMPLATES).with_suffix("").as_posix()
        for p in TEMPLATES.rglob("*.txt")
        if p.relative_to(TEMPLATES).parts[0] != "partials"
    )


@pytest.mark.parametrize("template", _mail_templates())
def test_every_template_rendered_for_an_external_reader_keeps_the_inside_in(played, template):
    desk, cr_id = played
    app = desk.app
    if app.composer.internal_only(template):
        return  # never sent to an external reader: see the test below
    with app.db.session() as session:
        cr = session.get(ChangeRequest, cr_id)
        ctx = cr_context(app, session, cr, ("customer_rep",), audience=Audience.EXTERNAL)
        view = view_of(app, session, cr, Audience.EXTERNAL)
    ctx.update({k: v for k, v in _context(full=True).items() if k not in ctx})
    subject, text, html = app.composer.render(template, ctx)
    assert view.facts is not None
    for part in (subject, text, html):
        assert MARKER not in part, template
        for name in INTERNAL_NAMES:
            assert name not in part, (template, name)


def test_an_internal_only_mail_is_never_sent_to_an_external_reader(played):
    desk, cr_id = played
    app = desk.app
    internal = [t for t in _mail_templates() if app.composer.internal_only(t)]
    assert {"notice/digest_csm", "notice/digest_executive", "notice/escalation"} <= set(internal)
    with app.db.session() as session:
        cr = session.get(ChangeRequest, cr_id)
        mail = Mail("notice/escalation", to_roles=("customer_rep",), cc_roles=("csm",))
        queue_mail(app, session, cr, mail, now=desk.clock(), context=_context(full=True))
        session.commit()
    last = desk.outbox(cr_id)[-1]
    assert last.template == "notice/escalation" and last.recipients == ["priya@ft.example"]
    assert any("not sent to dana@acme.example" in e.detail for e in desk.events(cr_id, {"mail"}))


def test_hold_and_cancel_go_to_who_takes_part_and_tell_the_customer_only_who(tmp_path):
    desk = Desk(tmp_path)
    try:
        cr_id = walk_to(desk, "costing")
        desk.say("priya@ft.example", cr_id, f"HOLD {MARKER} waiting on their budget")
        held = desk.templates_sent()[-1]
        assert held[0] == "notice/command"
        told = set(held[1])
        # the CSM and the executive; who was asked or decided; never QA, DevOps or the
        # engineer, whom a CR at costing has not reached
        assert {"priya@ft.example", "amardeep@ft.example", "dana@acme.example"} <= told
        assert "integration@ft.example" in told
        assert not told & {"qa@ft.example", "devops@ft.example", "kiran@ft.example",
                           "sumesh@ft.example", "mohit@ft.example"}  # fmt: skip
        desk.say("priya@ft.example", cr_id, "RESUME")
        desk.say("priya@ft.example", cr_id, f"CANCEL {MARKER} margin too thin")
        assert desk.stage(cr_id) == "cancelled"
        to_customer = [r for r in _copies_to(desk, CUSTOMER) if r.template.startswith("notice/c")]
        assert {r.template for r in to_customer} == {"notice/command", "notice/cancelled"}
        cancelled = next(r for r in to_customer if r.template == "notice/cancelled")
        text = cancelled.data.decode("utf-8", "replace")
        assert "Priya Nair (your Customer Success Manager): CANCEL" in text
        for row in to_customer:
            assert MARKER not in row.data.decode("utf-8", "replace")
        inside = [
            r for r in _copies_to(desk, "amardeep@ft.example") if r.template == "notice/cancelled"
        ]
        assert MARKER in inside[-1].data.decode("utf-8", "replace")
    finally:
        desk.close()


def test_the_internal_flag_and_internal_domains_decide_a_side(tmp_path):
    text = EXAMPLE_CONFIG.read_text()
    text = text.replace(
        'email = "dana@acme.example"', 'email = "dana@acme.example"\ninternal = true'
    )
    config = tmp_path / "mailflow.toml"
    config.write_text(text)
    settings = load_settings(config)
    external = ("customer_rep",)
    assert audience_of(settings, external, "dana@acme.example") is Audience.INTERNAL
    stranger_at_ft = "new.hire@ft.example"
    assert audience_of(settings, external, stranger_at_ft) is Audience.INTERNAL
    without = dataclasses.replace(settings, internal_domains=())
    assert audience_of(without, external, stranger_at_ft) is Audience.EXTERNAL
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('internal_domains = ["ft.example"]', 'internal_domains = ["a@b"]'))
    with pytest.raises(ConfigError, match=r"internal_domains\[0\].*expected a mail domain"):
        load_settings(bad)


def test_the_status_page_tells_her_the_closed_cr_in_her_words_with_approved_figures(played):
    """The status page's list and CR page, for her, on the CR played to the end: her words
    for where it ended, the cost FT approved, no overdue, no evidence, no internal side."""
    from mailflow.views.audience import stage_words
    from mailflow.web.detail import detail
    from mailflow.web.listing import listing

    desk, cr_id = played
    app = desk.app
    her = app.settings.person(CUSTOMER)
    ended = stage_words(app.workflow, desk.stage(cr_id))
    with app.db.session() as session:
        found = listing(app, session, her, desk.clock(), stage=ended)
        page = detail(app, session, session.get(ChangeRequest, cr_id), desk.clock(),
                      Audience.EXTERNAL)  # fmt: skip
    [row] = [r for r in found.rows if r.id == cr_id]
    assert row.stage_title == ended and not row.overdue
    assert row.figures == ["USD 8,800.00"], "the cost FT's executive approved"
    assert page["evidence"] == []
    shown = repr((found, page["cr"], page["row"], page["documents"], page["opened_by"]))
    assert MARKER not in shown
    for name in INTERNAL_NAMES:
        assert name not in shown, name

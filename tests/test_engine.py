"""The pure engine over the built-in workflow: every transition, loop back and refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailflow.workflow import engine
from mailflow.workflow.definition import load_workflow
from mailflow.workflow.engine_values import Actor, CRState, Mail, Said

WF = load_workflow()
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SAMPLE = {
    "title": "Export",
    "customer": "Acme",
    "description": "d",
    "approach": "new column",
    "effort": "12",
    "timeline": "3 weeks",
    "cost": "USD 9,600",
    "jira": "INT-1",
    "link": "https://jira.example/INT-1",
    "engineer": "kiran@ft.example",
    "due": "2026-12-18",
}


def state(stage: str, **kw) -> CRState:
    return CRState(stage=stage, entered_at=NOW, currency="USD", **kw)


def who(*roles: str, address: str = "x@ft.example") -> Actor:
    return Actor(address, frozenset(roles))


def full_reply(stage_name: str, verb: str) -> Said:
    reply = WF.stage(stage_name).reply(verb)
    fields = {f: SAMPLE[f] for f in (*reply.fields, *reply.optional)}
    return Said(verb, "because" if reply.reason else "", fields, 1 if reply.attachment else 0)


TRANSITIONS = [(s.name, r.verb, r.to) for s in WF.stages for r in s.replies]


def test_the_default_workflow_has_all_nineteen_stages_in_order():
    assert [s.name for s in WF.stages] == [
        "requested",
        "triage",
        "in_principle",
        "cr_document",
        "impact_analysis",
        "costing",
        "executive_approval",
        "customer_approval",
        "jira_tracking",
        "due_date",
        "interface_doc",
        "interface_approval",
        "development",
        "qa_deploy",
        "qa_testing",
        "integration_deploy",
        "uat",
        "production_deploy",
        "go_live",
    ]
    assert set(WF.ends) == {"closed", "rejected", "not_a_cr", "cancelled"}


@pytest.mark.parametrize(("stage", "verb", "to"), TRANSITIONS)
def test_every_transition_moves_to_its_destination(stage, verb, to):
    roles = WF.stage(stage).actors
    result = engine.apply(WF, state(stage), who(*roles), full_reply(stage, verb), NOW)
    assert result.applied, result.detail
    assert result.state.stage == (to or stage)
    if to and to in WF.ends:
        assert any(
            isinstance(e, Mail) and e.template == WF.ends[to].template for e in result.effects
        )
    elif to:
        request = [
            e for e in result.effects if isinstance(e, Mail) and e.template == WF.stage(to).template
        ]
        assert request and request[0].to_roles == WF.stage(to).actors


@pytest.mark.parametrize(
    ("stage", "verb", "back_to"),
    [
        ("executive_approval", "REJECTED", "costing"),
        ("customer_approval", "REJECTED", "costing"),
        ("customer_approval", "REJECTED FINAL", "rejected"),
        ("interface_approval", "REJECTED", "interface_doc"),
        ("qa_testing", "FAILED", "development"),
        ("uat", "FAILED", "development"),
        ("triage", "NOT CR", "not_a_cr"),
        ("in_principle", "REJECTED", "rejected"),
    ],
)
def test_loop_backs_and_rejections(stage, verb, back_to):
    actors = WF.stage(stage).actors
    result = engine.apply(WF, state(stage), who(*actors), Said(verb, "too costly"), NOW)
    assert result.state.stage == back_to
    if WF.stage(stage).reply(verb).reason:
        assert result.state.fields[f"{stage}.{verb.lower()}"] == "too costly"


def test_in_principle_needs_both_customer_and_executive():
    first = engine.apply(WF, state("in_principle"), who("customer_rep"), Said("APPROVED"), NOW)
    assert first.applied and first.state.stage == "in_principle"
    assert any(isinstance(e, Mail) and e.template == "notice/vote_recorded" for e in first.effects)
    again = engine.apply(WF, first.state, who("customer_rep"), Said("APPROVED"), NOW)
    assert again.refusal == "already_decided"
    second = engine.apply(WF, first.state, who("executive"), Said("APPROVED"), NOW)
    assert second.state.stage == "cr_document"


def test_one_rejection_decides_a_stage_that_needs_everyone():
    first = engine.apply(WF, state("in_principle"), who("customer_rep"), Said("APPROVED"), NOW)
    result = engine.apply(WF, first.state, who("executive"), Said("REJECTED", "no budget"), NOW)
    assert result.state.stage == "rejected"


@pytest.mark.parametrize(
    ("stage", "actor", "said", "reason"),
    [
        ("executive_approval", who("customer_rep"), Said("APPROVED"), "wrong_sender"),
        ("customer_approval", who("management_cc"), Said("APPROVED"), "wrong_sender"),
        ("costing", who("csm"), Said("APPROVED"), "not_expected"),
        (
            "impact_analysis",
            who("integration_team"),
            Said("DONE", fields={"effort": "12"}),
            "missing_field",
        ),
        (
            "impact_analysis",
            who("integration_team"),
            Said("DONE", fields={"approach": "a", "effort": "twelve", "timeline": "t"}),
            "bad_field",
        ),
        (
            "due_date",
            who("integration_engineer"),
            Said("DONE", fields={"due": "soonish"}),
            "bad_field",
        ),
        ("jira_tracking", who("csm"), Said("DONE", fields={"jira": "no key here"}), "bad_field"),
        ("executive_approval", who("executive"), Said("REJECTED"), "missing_reason"),
        ("cr_document", who("csm"), Said("DONE"), "missing_attachment"),
        ("interface_doc", who("integration_engineer"), Said("DONE"), "missing_attachment"),
    ],
)
def test_refusals_change_nothing_and_explain(stage, actor, said, reason):
    before = state(stage)
    result = engine.apply(WF, before, actor, said, NOW)
    assert result.refusal == reason
    assert result.state == before
    explain = [e for e in result.effects if isinstance(e, Mail)]
    assert explain[0].template == f"explain/{reason}" and explain[0].to_sender
    assert explain[0].context["expected"]


def test_an_ended_cr_takes_no_more_decisions_but_answers_status():
    ended = state("closed")
    assert engine.apply(WF, ended, who("customer_rep"), Said("APPROVED"), NOW).refusal == "ended"
    status = engine.apply(WF, ended, who("customer_rep"), Said("STATUS?"), NOW)
    assert status.applied and status.effects[-1].template == "notice/status"


def test_status_question_needs_a_role_on_the_cr():
    result = engine.apply(
        WF, state("triage"), Actor("x@evil.example", frozenset()), Said("STATUS?"), NOW
    )
    assert result.refusal == "wrong_sender"


def test_hold_blocks_replies_and_resume_lifts_it():
    held = engine.apply(WF, state("costing"), who("csm"), Said("HOLD"), NOW)
    assert held.state.held
    blocked = engine.apply(WF, held.state, who("csm"), full_reply("costing", "DONE"), NOW)
    assert blocked.refusal == "on_hold"
    assert engine.apply(WF, held.state, who("csm"), Said("HOLD"), NOW).refusal == "already_decided"
    resumed = engine.apply(WF, held.state, who("executive"), Said("RESUME"), NOW)
    assert not resumed.state.held
    assert (
        engine.apply(WF, resumed.state, who("csm"), full_reply("costing", "DONE"), NOW).state.stage
        == "executive_approval"
    )


def test_cancel_needs_csm_or_executive_and_a_reason():
    assert (
        engine.apply(WF, state("uat"), who("customer_rep"), Said("CANCEL", "x"), NOW).refusal
        == "wrong_sender"
    )
    assert (
        engine.apply(WF, state("uat"), who("csm"), Said("CANCEL"), NOW).refusal == "missing_reason"
    )
    done = engine.apply(WF, state("uat"), who("executive"), Said("CANCEL", "budget cut"), NOW)
    assert done.state.stage == "cancelled" and done.state.fields["end.reason"] == "budget cut"


def test_typed_fields_are_stored_normalised():
    result = engine.apply(
        WF, state("costing"), who("csm"), Said("DONE", fields={"cost": "$9,600"}), NOW
    )
    assert result.state.fields["cost"] == {"amount": "9600.00", "currency": "USD"}
    jira = engine.apply(
        WF,
        state("jira_tracking"),
        who("csm"),
        Said(
            "DONE",
            fields={
                "jira": "INT-482 https://jira.example/browse/INT-482",
                "engineer": "Kiran@FT.example",
            },
        ),
        NOW,
    )
    assert jira.state.fields["jira"] == {
        "key": "INT-482",
        "url": "https://jira.example/browse/INT-482",
    }
    assert jira.state.fields["engineer"] == "kiran@ft.example"
    due = engine.apply(
        WF,
        state("due_date"),
        who("integration_engineer"),
        Said("DONE", fields={"due": "18 Dec 2026"}),
        NOW,
    )
    assert due.state.fields["due"] == "2026-12-18"


def test_reminders_then_escalation_to_csm_then_executive():
    s = state("executive_approval")
    assert engine.remind(WF, s, NOW + timedelta(hours=47), escalate_after=2) is None
    templates, targets = [], []
    for day in range(2, 10, 2):
        result = engine.remind(WF, s, NOW + timedelta(days=day, minutes=1), escalate_after=2)
        assert result is not None
        s = result.state
        mail = [e for e in result.effects if isinstance(e, Mail)][0]
        templates.append(mail.template)
        targets.append(mail.to_roles)
    assert templates == [
        "notice/reminder",
        "notice/reminder",
        "notice/escalation",
        "notice/escalation",
    ]
    assert targets[0] == ("executive",) and targets[2] == ("csm",)
    assert targets[3] == ("csm", "management_cc"), "the executive is late: not to them"


def test_an_escalation_never_copies_an_external_role_and_counts_what_was_sent():
    s = state("in_principle")
    for day in range(2, 8, 2):
        result = engine.remind(WF, s, NOW + timedelta(days=day, minutes=1), escalate_after=2)
        assert result is not None
        s = result.state
    mail = [e for e in result.effects if isinstance(e, Mail)][0]
    assert mail.template == "notice/escalation" and mail.to_roles == ("csm",)
    assert "customer_rep" not in mail.cc_roles and mail.context["reminders_sent"] == 2


def test_no_reminders_while_on_hold_or_at_an_end():
    later = NOW + timedelta(days=30)
    assert engine.remind(WF, state("costing", held=True), later, 2) is None
    assert engine.remind(WF, state("closed"), later, 2) is None


def test_engine_reads_no_clock(monkeypatch):
    import datetime as dt_module

    class Boom(dt_module.datetime):
        @classmethod
        def now(cls, tz=None):
            raise AssertionError("the engine must not read the clock")

    monkeypatch.setattr(engine, "datetime", Boom)
    engine.apply(WF, state("triage"), who("integration_team"), Said("IS CR"), NOW)

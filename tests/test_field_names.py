"""Fields as people write them: "Price:" is the Cost, "Due date:" the Due, a Jira line may
start with the issue's link; every other name is a near miss to ask about, never a guess."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime
from importlib import resources

import pytest

from mailflow.errors import ConfigError
from mailflow.reading import decide
from mailflow.views.vocabulary import words_text
from mailflow.workflow import engine
from mailflow.workflow.definition import build_workflow, load_workflow
from mailflow.workflow.engine_values import Actor, CRState, Said
from mailflow.workflow.fields import closest_field
from tests.helpers import Desk
from tests.scenario.cast import CSM, to_costing

WF = load_workflow()
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BUILTIN = tomllib.loads(
    resources.files("mailflow.workflow").joinpath("change_request.toml").read_text("utf-8")
)
JIRA_LINK = "https://jira.ft.example/browse/ACME-1234"


def reply(stage: str, role: str, text: str) -> engine.Result:
    """Read a reply as the reader does and apply it with the real engine."""
    read = decide.read(text, WF.vocabulary)
    assert isinstance(read, decide.Decision), read
    said = Said(read.verb, read.text, dict(read.fields))
    at = CRState(stage=stage, entered_at=NOW, currency="USD")
    return engine.apply(WF, at, Actor("x@ft.example", frozenset({role})), said, NOW)


def test_a_price_line_records_the_cost_through_the_reader_and_the_engine():
    result = reply("costing", "csm", "DONE\nPrice: USD 9,600")
    assert result.applied and result.state.stage == "executive_approval"
    assert result.state.fields["cost"] == {"amount": "9600.00", "currency": "USD"}


def test_a_price_line_is_recorded_and_read_back_as_the_cost_by_mail(tmp_path):
    desk = Desk(tmp_path)
    try:
        cr_id = to_costing(desk, effort="12")
        desk.say(CSM, cr_id, "DONE\nPrice: USD 9,600")
        assert desk.cr(cr_id).fields["cost"] == {"amount": "9600.00", "currency": "USD"}
        assert desk.stage(cr_id) == "executive_approval"
    finally:
        desk.close()


@pytest.mark.parametrize("key", ["Due date", "Deadline", "due-date", "TARGET  DATE"])
def test_the_due_date_is_read_under_the_names_people_give_it(key):
    result = reply("due_date", "integration_engineer", f"DONE\n{key}: 2027-01-15")
    assert result.applied and result.state.fields["due"] == "2027-01-15"


@pytest.mark.parametrize(
    ("line", "url"),
    [
        ("Jira ticket: ACME-1234", ""),
        (f"Jira: {JIRA_LINK}", JIRA_LINK),
        (f"Jira: {JIRA_LINK} (ACME-1234)", JIRA_LINK),
        (f"Jira ticket: <{JIRA_LINK}>", JIRA_LINK),
        ("Jira: https://jira.ft.example/secure/Board.jspa?selectedIssue=ACME-1234", "*"),
    ],
)
def test_a_jira_line_gives_the_key_or_a_link_that_names_it(line, url):
    result = reply("jira_tracking", "csm", f"DONE\n{line}")
    assert result.applied, result.detail
    jira = result.state.fields["jira"]
    assert jira["key"] == "ACME-1234"
    assert jira["url"] == url or (url == "*" and "selectedIssue=ACME-1234" in jira["url"])


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("Jira: https://jira.ft.example/projects/ACME", "the link names no Jira issue key"),
        (f"Jira: {JIRA_LINK} (ACME-1235)", "the link is to ACME-1234, not ACME-1235"),
        (f"Jira: {JIRA_LINK} see comments", "more than a link and its key"),
    ],
)
def test_a_link_that_names_no_key_or_another_key_is_asked_back(line, said):
    result = reply("jira_tracking", "csm", f"DONE\n{line}")
    assert result.refusal == "bad_field" and said in result.detail
    assert result.state.stage == "jira_tracking" and "jira" not in result.state.fields


def test_one_field_under_two_names_with_two_values_is_asked_back():
    result = reply("costing", "csm", "DONE\nCost: USD 9,600\nPrice: USD 6,900")
    assert result.refusal == "bad_field"
    assert "'cost: USD 9,600' and 'price: USD 6,900'" in result.detail
    assert "cost" not in result.state.fields


def test_a_listed_name_beside_a_yes_is_still_a_figure_the_step_does_not_take():
    result = reply("executive_approval", "executive", "APPROVED\nPrice: USD 5,000")
    assert result.refusal == "bad_field" and "'Cost: USD 5,000'" in result.detail


def test_every_listed_name_is_a_field_line_for_the_reader_and_maps_to_its_field():
    for name, field in WF.fields.items():
        for written in field.names:
            assert written in WF.vocabulary.field_names
            assert WF.field_for(written.upper()) == name
    assert {"price", "due date", "jira ticket", "person days"} <= WF.vocabulary.field_names
    assert WF.field_for("Colour") is None and WF.field_for("") is None


def test_a_name_shared_by_two_fields_is_refused_naming_both_and_the_file(tmp_path):
    path = tmp_path / "my_workflow.toml"
    text = resources.files("mailflow.workflow").joinpath("change_request.toml").read_text()
    text = text.replace('names = ["schedule",', 'names = ["Due-Date", "schedule",', 1)
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_workflow(path)
    problems = [p for p in caught.value.problems if "due date" in p.lower()]
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: fields.")
    assert "fields.timeline" in problems[0] and "fields.due" in problems[0]
    assert "may belong to one field only" in problems[0]


@pytest.mark.parametrize(
    ("names", "said"),
    [
        ("price", "fields.cost.names must be a list of strings"),
        (["price", 5], "fields.cost.names must be a list of strings"),
        (["price: total"], "fields.cost.names has 'price: total'; a name is one to four words"),
    ],
)
def test_names_that_are_not_a_list_of_plain_names_are_refused(names, said):
    data = copy.deepcopy(BUILTIN)
    data["fields"]["cost"]["names"] = names
    with pytest.raises(ConfigError) as caught:
        build_workflow(data, "wf.toml")
    assert any(p.startswith("wf.toml: ") and said in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("Cost estimate", "Cost"),
        ("Prise", "Cost"),
        ("estimated cost", "Cost"),
        ("Deadlin", "Due"),
        ("Jira tiket", "Jira"),
        ("Colour", None),
        ("Regards", None),
        ("", None),
    ],
)
def test_closest_field_names_the_field_a_near_miss_was_meant_as(key, label):
    assert closest_field(key, WF) == label


def test_closest_field_from_the_vocabulary_alone_gives_the_name_to_write():
    assert closest_field("Cost estimate", WF.vocabulary) == "Cost"
    assert closest_field("Prise", WF.vocabulary) == "Price"
    assert closest_field("Colour", WF.vocabulary) is None


def test_workflow_words_lists_the_names_each_field_is_known_by():
    text = " ".join(words_text(WF).split())
    assert 'Cost (money): "cost", "price", "amount"' in text
    assert '"due date", "deadline"' in text

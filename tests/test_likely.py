"""Likely decisions in other words: asked back about, never taken for the keyword itself."""

from __future__ import annotations

import pytest

from mailflow.reading.decide import VerbSpec, Vocabulary
from mailflow.reading.likely import likely
from mailflow.workflow.definition import load_workflow
from tests.helpers import ROOT

VOCAB = load_workflow(
    ROOT / "mailflow" / "workflow" / "change_request.toml", lambda _: True
).vocabulary


@pytest.mark.parametrize(
    "text",
    [
        "go ahead", "Go ahead, thanks!", "Fine with me.", "OK", "ok.", "Looks good!",
        "Sounds good", "Please proceed.", "LGTM", "👍", "Yes", "yes please",
        "Hi Priya,\n\nLooks good to me, go ahead.\n\nThanks, Tom",
    ],
)  # fmt: skip
def test_everyday_approvals(text: str) -> None:
    assert likely(text, VOCAB) == "APPROVED"


@pytest.mark.parametrize("text", ["No.", "Nope", "Please do not proceed.", "👎", "no go"])
def test_everyday_rejections(text: str) -> None:
    assert likely(text, VOCAB) == "REJECTED"


def test_go_live_words() -> None:
    assert likely("We are live!", VOCAB) == "SIGNED OFF"
    assert likely("All good", VOCAB) == "SIGNED OFF"


@pytest.mark.parametrize(
    "text",
    [
        "not ok", "ok but wait", "looks good but…", "Looks good, but the cost is too high",
        "ok?", "Looks good?", "OK, I'll check with the team tomorrow", "Looks good if QA agrees",
        "I don't think it looks good", "Looks good.\nBut wait for Bob.",
        "Sounds good, let me check first", "maybe ok", "", "Hello", "Thanks for the mail",
    ],
)  # fmt: skip
def test_negations_hedges_and_doubt_give_none(text: str) -> None:
    assert likely(text, VOCAB) is None


def test_a_keyword_is_reads_job_not_likelys() -> None:
    assert likely("Approved", VOCAB) is None
    assert likely("OK, approved", VOCAB) is None


def test_without_likely_phrases_nothing_is_likely() -> None:
    bare = Vocabulary((VerbSpec("APPROVED", ("approved",), False, True),), ("not",))
    assert likely("go ahead", bare) is None


def test_the_phrases_come_from_the_workflow() -> None:
    approved = next(v for v in VOCAB.verbs if v.verb == "APPROVED")
    assert "go ahead" in approved.likely and "lgtm" in approved.likely
    extra = Vocabulary(
        (VerbSpec("APPROVED", ("approved",), False, True, likely=("passt",)),), ("nicht",)
    )
    assert likely("Passt.", extra) == "APPROVED"
    assert likely("Passt nicht.", extra) is None

"""Every answer a customer or executive may get is in plain words: no internal terms.

Renders each explain/ and notice/ template, full and sparse, with the reasons' own
details, and looks for the words of the machinery (reply tokens, mail headers, the
ledger, stage keys, the verb grammar) in what a reader would see.
"""

from __future__ import annotations

import re

import pytest

from tests.test_templates import STAGES, _context, _mail_templates, _render

ANSWERS = [n for n in _mail_templates() if n.split("/")[0] in ("explain", "notice")]
TERMS = re.compile(
    r"\btoken\b|in-reply-to|references header|\bledger\b|\bverb\b|grammar|"
    + "|".join(re.escape(s) for s in STAGES if "_" in s),
    re.IGNORECASE,
)


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("name", ANSWERS)
def test_an_answer_uses_no_internal_terms(name: str, full: bool) -> None:
    ctx = _context(full=full) | {
        "thread_owner": "Priya Nair",
        "forwarded_by": "",
        "earlier": ["2026-11-02: APPROVED, by dana@acme.example, at the stage Triage"],
        "waits_on": "Executive (amardeep@ft.example)",
        "recorded_on": "2026-11-02",
        "late": "Executive",
        "reminders_sent": 2,
        "verb": "HOLD",
    }
    subject, body = _render(name, ctx)
    found = TERMS.search(subject + "\n" + body)
    assert found is None, f"{name}: {found.group(0) if found else ''!r} in:\n{body}"


def test_the_words_looked_for_are_found_when_present() -> None:
    assert TERMS.search("no reply token") and TERMS.search("at stage customer_approval")

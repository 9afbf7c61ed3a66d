"""The handling of an inbound message, in order: read top to bottom, the first hit decides.

A rule marked "(step)" never rules: it adds what it learned (the route, the reading)
for the rules after it. Every refusal in the ledger names the rule that made it
(`message_ledger.rules`), so a refusal is found here by that name.
"""

from __future__ import annotations

from mailflow.chain import (
    acting,
    arrival,
    earlier,
    early,
    jira_progress,
    remarks,
    replies,
    requests,
    thread,
)
from mailflow.chain.context import Rule, Scope

RULES: tuple[Rule, ...] = (
    Rule("duplicate", Scope.EVERY, arrival.duplicate),
    Rule("route", Scope.EVERY, arrival.routed),
    Rule("jira_progress", Scope.EVERY, jira_progress.notification),
    Rule("jira_notification", Scope.EVERY, requests.jira_notification),
    Rule("automated", Scope.EVERY, arrival.automated_mail),
    Rule("too_large", Scope.EVERY, arrival.too_large),
    Rule("stranger_naming_no_cr", Scope.EVERY, arrival.stranger_naming_no_cr),
    Rule("unknown_cr", Scope.EVERY, arrival.unknown_cr),
    Rule("not_an_opener", Scope.NEW_REQUEST, requests.not_an_opener),
    Rule("unclear_customer", Scope.NEW_REQUEST, requests.unclear_customer),
    Rule("new_request", Scope.NEW_REQUEST, requests.new_request),
    Rule("stranger", Scope.REPLY, replies.stranger),
    Rule("reading", Scope.REPLY, replies.reading),
    Rule("confirmation", Scope.REPLY, replies.confirmation),
    Rule("earlier_request", Scope.REPLY, earlier.earlier_request),
    Rule("forwarded", Scope.REPLY, replies.forwarded_decision),
    Rule("owner_note", Scope.REPLY, thread.owner_note),
    Rule("likely", Scope.REPLY, replies.likely),
    Rule("unclear", Scope.REPLY, replies.unclear),
    Rule("unproven", Scope.REPLY, acting.unproven),
    Rule("unreadable_attachment", Scope.REPLY, acting.unreadable_attachment),
    Rule("remarks", Scope.REPLY, remarks.kept),
    Rule("early_answer", Scope.REPLY, early.early_answer),
    Rule("engine", Scope.REPLY, acting.workflow_engine),
)


def describe(rules: tuple[Rule, ...] = RULES) -> list[str]:
    """The table as lines: number, name, which messages it is asked about, what it stops."""
    width = max(len(rule.name) for rule in rules)
    return [
        f"{n:2}. {rule.name:<{width}}  {rule.scope.value:<13}  {rule.purpose}"
        for n, rule in enumerate(rules, 1)
    ]

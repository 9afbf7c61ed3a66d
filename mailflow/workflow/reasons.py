"""Why a reply is not acted on, as a closed list: each reason names the template that explains it.

The value is what the ledger, the timeline and the engine's Result carry, so these strings
are stored data: renaming a member's value would make old records read differently.
Most reasons have a template of their own (templates/explain/<value>.txt); the proofs a
reply lacked (token, authentication, a forward instead of the author's own reply) all
share the one explanation of how to reply so that the sender is proven.
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    """A reply that is answered and recorded, the CR left as it was."""

    # the workflow engine's refusals
    ENDED = "ended"
    ON_HOLD = "on_hold"
    NOT_EXPECTED = "not_expected"
    WRONG_SENDER = "wrong_sender"
    MISSING_REASON = "missing_reason"
    MISSING_FIELD = "missing_field"
    BAD_FIELD = "bad_field"
    MISSING_ATTACHMENT = "missing_attachment"
    ALREADY_DECIDED = "already_decided"
    # the message's own refusals, before the engine is asked
    UNKNOWN_CR = "unknown_cr"
    NOT_AUTHORIZED = "not_authorized"
    TOO_LARGE = "too_large"
    UNCLEAR = "unclear"
    UNREADABLE_ATTACHMENT = "unreadable_attachment"
    # a reply to a request that was already decided: told where the CR is now
    OLD_REQUEST = "old_request"
    # a reply whose thread names a request of an earlier stage, or of an earlier round of
    # the same stage: under every policy it never counts for the current one
    EARLIER_REQUEST = "earlier_request"
    # the sender is not proven: all explained by explain/not_verified
    NOT_VERIFIED = "not_verified"
    NO_VALID_TOKEN = "no_valid_token"
    NOT_AUTHENTICATED = "not_authenticated"
    FORWARDED = "forwarded"
    # a clear decision for a later stage that its sender acts at, come before the CR got
    # there: not refused but held, and applied when the CR reaches it (chain/early.py)
    EARLY_HELD = "early_held"
    # a held decision whose CR changed before it reached the stage: not recorded, and its
    # sender asked to answer the stage's request instead
    EARLY_CHANGED = "early_changed"

    @property
    def template(self) -> str:
        """The explain/ template that tells the sender about this refusal."""
        return f"explain/{_UNPROVEN.get(self, self.value)}"


_UNPROVEN = {
    Refusal.NO_VALID_TOKEN: "not_verified",
    Refusal.NOT_AUTHENTICATED: "not_verified",
    Refusal.FORWARDED: "not_verified",
}


class Question(StrEnum):
    """A reply that is asked back rather than refused."""

    LIKELY = "likely"  # read as a decision in other words: "reply CONFIRM to record it"
    # a clear decision that does not come as a reply to its author's own request (a reply-all
    # on the CSM's thread, a new mail, a forward): its author is asked to CONFIRM it once
    CONFIRM_AUTHOR = "confirm_author"
    # a decision with a sentence beside it that may change it: "reply CONFIRM to record it
    # as written, with your remark"
    REMARK = "remark"

    @property
    def template(self) -> str:
        return {
            Question.LIKELY: "explain/confirm",
            Question.CONFIRM_AUTHOR: "explain/confirm_author",
            Question.REMARK: "explain/confirm_remark",
        }[self]

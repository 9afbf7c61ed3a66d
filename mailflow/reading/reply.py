"""Read a reply's decision in the light of the stage it answers.

decide.py reads words without knowing the CR; this step knows which replies the
current stage accepts, and uses that only to settle a line holding two verbs, never
to make a doubtful reply count.
"""

from __future__ import annotations

from dataclasses import replace

from mailflow.mail import reply_text, signature_blocks
from mailflow.mail.html_text import unmarked
from mailflow.reading import decide
from mailflow.workflow.definition import Stage, Workflow


def read_reply(
    wf: Workflow, stage: str, text: str, known: decide.Known = decide.NOTHING_KNOWN
) -> decide.Decision | decide.Unclear:
    """Read with every verb; where that finds two, let the stage settle it — towards caution.

    "Signed off, UAT complete" is clear where only SIGNED OFF fits: there, another
    affirmative verb's words only agree with it. But a line that also holds a negative
    verb ("Passed - but rejected by the customer") stays a question, whatever the stage.
    The stage's own words ("to QA") may stand beside its verbs, and only there.
    """
    current = wf.stage(stage)
    vocabulary = wf.vocabulary
    if current is not None and current.words:
        vocabulary = replace(vocabulary, harmless=vocabulary.harmless + current.words)
    if current is not None:
        vocabulary = replace(vocabulary, field_names=_taken_here(wf, current))
    wide = decide.read(text, vocabulary, known)
    if isinstance(wide, decide.Decision) or wide.kind not in _TWO_VERBS:
        return wide
    fitting = {r.verb for r in current.replies} if current else set()
    fitting |= {c.verb for c in wf.commands}
    narrow = decide.read(text, _agreeing(vocabulary, fitting), known)
    return narrow if isinstance(narrow, decide.Decision) else wide


# Characters of a part looked at for its new text. A decision is read from the first
# 20,000 characters of new text (decide.TEXT_CAP) and a yes whose new text runs past
# them is asked back, so cutting the part here changes no outcome; it keeps finding
# the quoted history of a hostile multi-megabyte mail cheap.
READ_CAP = 200_000

# Unclear because a second verb stood on the line or in a sentence beside it.
_TWO_VERBS = frozenset({decide.UnclearKind.BOTH, decide.UnclearKind.TAKEN_BACK_BELOW})


def read_message(
    wf: Workflow,
    stage: str,
    text: str,
    html_text: str | None,
    known: decide.Known = decide.NOTHING_KNOWN,
) -> decide.Decision | decide.Unclear:
    """Read the new text of the text part and, when there is one, of the HTML part.

    A client shows one of the two; which one depends on the reader's settings. When
    they do not read the same — a decision in one and none or another in the other —
    the reply is asked back rather than trusting either.
    """
    primary = read_reply(wf, stage, _own_text(text, known), known)
    if html_text is None:
        return primary
    # Text the HTML part marks as hard to see counts as seen here: the two parts are
    # compared, and a decision stands only where the plain-text part says it too.
    other = read_reply(wf, stage, _own_text(unmarked(html_text), known), known)
    if _same_reading(primary, other):
        return primary
    return decide.Unclear(
        "The plain-text and formatted versions of your mail do not say the same: "
        f"one reads {_said(primary)}, the other {_said(other)}.",
        primary.line or other.line,
        decide.UnclearKind.PARTS_DISAGREE,
        primary.normalized,
    )


def _own_text(text: str, known: decide.Known) -> str:
    """The new text without the signature this sender is known to end their mails with."""
    return signature_blocks.strip_learned(reply_text.new_text(text[:READ_CAP]), known.signatures)


def _same_reading(a: decide.Decision | decide.Unclear, b: decide.Decision | decide.Unclear) -> bool:
    if isinstance(a, decide.Decision) and isinstance(b, decide.Decision):
        return a.verb == b.verb
    return isinstance(a, decide.Unclear) and isinstance(b, decide.Unclear)


def _said(reading: decide.Decision | decide.Unclear) -> str:
    if isinstance(reading, decide.Decision):
        return f"{reading.verb} ({reading.line!r})"
    return f"no clear decision ({reading.line!r})" if reading.line else "no clear decision"


def _taken_here(wf: Workflow, stage: Stage) -> frozenset[str]:
    """The names of the fields this step takes: a field line for another step ("Price:"
    under an approval) is a sentence like any other, asked back rather than dropped."""
    taken = {f for reply in stage.replies for f in (*reply.fields, *reply.optional)}
    return frozenset(n for n in wf.vocabulary.field_names if wf.field_for(n) in taken)


def _agreeing(vocabulary: decide.Vocabulary, fitting: set[str]) -> decide.Vocabulary:
    """The stage's own verbs stay verbs; other affirmative verbs' words become agreeing words."""
    verbs = tuple(
        v
        if v.verb in fitting or not v.affirmative
        else replace(v, phrases=(), likely=v.phrases + v.likely)
        for v in vocabulary.verbs
    )
    return replace(vocabulary, verbs=verbs)

"""④ Read a reply's decision in the light of the stage it answers.

decide.py reads words without knowing the CR; this step knows which replies the
current stage accepts, and uses that only to settle a line holding two verbs, never
to make a doubtful reply count.
"""

from __future__ import annotations

from collections.abc import Callable

from mailflow import decide
from mailflow.workflow.definition import Workflow


def read_reply(wf: Workflow, stage: str, text: str) -> decide.Decision | decide.Unclear:
    """Read with every verb; where that finds two, let the stage settle it — towards caution.

    "Signed off. UAT complete." is clear where only SIGNED OFF fits. But a line that also
    holds a negative verb ("Passed - but rejected by the customer") stays a question: a
    forward step is taken from the stage's verbs only when no negative verb is present.
    """
    vocabulary = wf.vocabulary
    wide = decide.read(text, vocabulary)
    if isinstance(wide, decide.Decision):
        return wide
    current = wf.stage(stage)
    fitting = {r.verb for r in current.replies} if current else set()
    fitting |= {c.verb for c in wf.commands}
    narrow = decide.read(text, _only(vocabulary, lambda v: v.verb in fitting))
    if not isinstance(narrow, decide.Decision):
        return wide
    spec = wf.verb(narrow.verb)
    if spec is not None and spec.affirmative:
        negative = decide.read(text, _only(vocabulary, lambda v: not v.affirmative))
        if isinstance(negative, decide.Decision):
            return wide
    return narrow


def _only(
    vocabulary: decide.Vocabulary, keep: Callable[[decide.VerbSpec], bool]
) -> decide.Vocabulary:
    return decide.Vocabulary(tuple(v for v in vocabulary.verbs if keep(v)), vocabulary.negations)

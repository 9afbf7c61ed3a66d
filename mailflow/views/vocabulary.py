"""`mailflow workflow words`: the words replies are read with, as people and ops see them.

The closed lists decide what a yes may stand beside, so an operator who changes
them must be able to see the result as the reader will use it (names from the
configured people included), and the keys each field line may start with.
"""

from __future__ import annotations

import textwrap

from mailflow.workflow.definition import Workflow

_LISTS = (
    ("greetings", "greetings, thanks and sign-offs"),
    ("harmless", "words that add nothing beside a yes"),
    ("remarks", "remarks that may stand beside a yes"),
    ("retractions", "words that take a reason's decision back"),
    ("question_openers", 'first words that make a sentence a question ("Is it approved")'),
    ("requests", 'words that make a decision word a request ("please approve")'),
    ("contact_labels", 'labels of a signature\'s contact lines ("Mobile: …")'),
    ("signature_words", 'words of a signature\'s title lines ("Head of Digital")'),
    ("negations", "negations"),
)


def words_text(wf: Workflow) -> str:
    """Every verb with its phrases and everyday words, then each closed list."""
    vocabulary = wf.vocabulary
    out: list[str] = []
    for verb in vocabulary.verbs:
        if not verb.phrases:
            continue
        kind = "yes, closed rule" if verb.affirmative else ("takes a reason" if verb.takes_text
                                                            else "plain")  # fmt: skip
        out.append(f"{verb.verb} ({kind})")
        out.append(_wrap("phrases", verb.phrases))
        if verb.likely:
            out.append(_wrap("asked back as likely", verb.likely))
    for key, title in _LISTS:
        out.append(f"\n{title} [{key}]")
        out.append(_wrap("", getattr(vocabulary, key)))
    out.append("\nnames of configured people")
    out.append(_wrap("", tuple(sorted(vocabulary.names))))
    out.append('\nfield lines ("Key: value"), by the keys each field is known by [fields.*.names]')
    for field in wf.fields.values():
        keys = tuple(dict.fromkeys(field.all_names()))
        out.append(_wrap(f"{field.label} ({field.type})", keys))
    return "\n".join(out)


def _wrap(label: str, words: tuple[str, ...]) -> str:
    head = f"  {label}: " if label else "  "
    body = ", ".join(f'"{w}"' for w in words) or "(none)"
    return textwrap.fill(body, width=96, initial_indent=head, subsequent_indent="    ")

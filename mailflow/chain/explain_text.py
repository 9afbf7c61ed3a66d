"""The explanation of one message in plain lines: what `mailflow explain` prints without
--json.

Apart from explain.py, which reads the message and fills the dict, because this only
words a finished dict for a person: it reads no mail and changes no key, so the JSON
shape and its wording for people can change each without the other.
"""

from __future__ import annotations

from typing import Any


def describe(result: dict[str, Any]) -> str:
    """The human-readable form `mailflow explain` prints without --json."""
    if result.get("error"):
        return f"error: {result['error']}"
    thread = result["thread"]
    lines = [
        f"subject:   {result['subject']!r}",
        f"sender:    {result['sender'] or '(none)'}"
        + (f" ({result['sender_name']})" if result["sender_name"] else ""),
        f"cr:        {result['cr'] or '(no token)'}"
        + {True: " (exists)", False: " (no such CR)", None: ""}[result["cr_known"]],
        f"route:     {result['route']}"
        + (f" (in-reply-to {thread['in_reply_to']})" if thread["in_reply_to"] else ""),
    ]
    lines.extend(_on_record(result))
    if result["automated"]:
        lines.append(f"automated: {result['automated']}: {result['automated_reason']}")
        lines.append("           recorded, never answered, never read as a decision")
    lines.append("reply text:")
    lines.extend(f"  | {line}" for line in (result["reply_text"] or "(empty)").split("\n"))
    if result["new_text"] != result["reply_text"]:
        without = ", without the learned signature" if result["learned_signatures"] else ""
        lines.append(f"read from: (only what was typed above quoted or forwarded history{without})")
        lines.extend(f"  | {line}" for line in (result["new_text"] or "(nothing)").split("\n"))
    if result["read_line"] and result["read_line"] != result["decision_line"]:
        lines.append(f"read as:   {result['read_line']!r} (normalised as a reader sees it)")
    if result["decision"]:
        extra = f" — {result['decision_text']}" if result["decision_text"] else ""
        lines.append(f"decision:  {result['decision']}{extra}")
        lines.append(f"rule:      {result['rule']}")
    elif result["unclear"]:
        lines.append(f"unclear:   {result['unclear_reason']}")
        lines.append(f"rule:      {result['rule']}")
        if result["likely"]:
            lines.append(f"likely:    {result['likely']} (mailflow would ask to confirm)")
    reads = result["html_reads"]
    if reads is not None and reads != (result["decision"] or "unclear"):
        lines.append(f"html part: reads {reads}: the two versions disagree, so it is asked back")
    for key, value in result["fields"].items():
        lines.append(f"field:     {key}: {value}")
    for name in result["attachments"]:
        lines.append(f"attached:  {name}")
    return "\n".join(lines)


def _on_record(result: dict[str, Any]) -> list[str]:
    """What is on record about the sender, in plain words."""
    lines: list[str] = []
    for block in result.get("learned_signatures") or []:
        lines.append("signature: this sender ended two earlier mails with these lines, so they")
        lines.append("           are taken as their signature and left out when a reply is read:")
        lines.extend(f"  | {line}" for line in block.split("\n"))
    remarks = result.get("confirmed_remarks") or []
    if remarks:
        lines.append("remarks:   this sender confirmed these beside a decision before; beside")
        lines.append("           a decision of theirs they are taken as written, not asked:")
        lines.extend(f"  - '{remark}'" for remark in remarks)
    return lines

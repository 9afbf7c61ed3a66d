"""Jira's notification mail, read: which issue it is about, and what happened on it, by whom.

Jira Cloud and Jira Data Center mail a change to an issue either on its own ("Kiran Rao
commented on ACME-482") or grouped with the changes of the last minutes into one digest
("There are 3 updates"); either may come as HTML only. Every format names each change on
a header line, "<person> <did something> <issue key>", followed by the comment or by the
fields changed ("Status: In Review (was: In Progress)" in Data Center, "Status: In
Progress → In Review" in Cloud). This module finds those lines and nothing more: it never
guesses a change it cannot see, and a mail whose issue key is not both in the subject and
in the body is no notice at all.

Who did it is carried by the mail, not by the display name alone: the HTML links each
name to the person's Jira profile (Cloud's account id, Data Center's user name) or to a
mailto: address, and Data Center can be set to put the author's address in the From
name ("Kiran Rao (kiran@ft.example)"). A name linked to two different profiles in one mail
carries none. A comment Jira shows as internal or restricted ("Internal comment",
"Restricted to: Developers") is marked so, and stays inside.

Pure and bounded: no store, no network; only the first READ_CAP characters are read.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from enum import StrEnum
from html.parser import HTMLParser

from mailflow.mail.parse import Inbound

READ_CAP = 60_000
LINE_CAP = 1_000
KEY = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,6}\b")
_ADDRESS = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_UNDERLINE = frozenset("-=_ ")


class EventKind(StrEnum):
    """What happened on the issue."""

    COMMENT = "comment"
    STATUS = "status"
    ASSIGNEE = "assignee"
    FIELD = "field"
    CREATED = "created"
    OTHER = "other"


# The header line of a change: the words after the person's name, and what they did.
# "edited a comment" is only ever a note: an old comment edited is not a new word.
_DOING: tuple[tuple[str, EventKind], ...] = (
    (" commented on ", EventKind.COMMENT),
    (" added a comment to ", EventKind.COMMENT),
    (" commented", EventKind.COMMENT),
    (" edited a comment on ", EventKind.OTHER),
    (" changed the status to ", EventKind.STATUS),
    (" changed the assignee to ", EventKind.ASSIGNEE),
    (" reassigned ", EventKind.ASSIGNEE),
    (" assigned ", EventKind.ASSIGNEE),
    (" updated ", EventKind.FIELD),
    (" changed ", EventKind.FIELD),
    (" made changes to ", EventKind.FIELD),
    (" resolved ", EventKind.STATUS),
    (" created ", EventKind.CREATED),
)

# Lines that end a change's text: the issue quoted below it, Jira's own footer and links.
_STOPS = (
    "> ", "this message was sent by atlassian", "get jira notifications",
    "view comment", "add comment", "view issue", "manage notifications",
    "reply to this email", "[ http", "hint: ", "download the jira",
)  # fmt: skip
# First lines of a comment that say only some readers may see it.
_RESTRICTED = (
    "internal comment", "internal note", "restricted to", "visible to", "viewable by",
    "visibility:", "comment visibility", "only visible to", "(internal)", "internal",
)  # fmt: skip
_BATCHED = ("there are ", "there is ", "updates for ", "changes for ")


@dataclass(frozen=True)
class Author:
    """The person a change is by, as the notification carries them."""

    name: str
    address: str = ""
    account_id: str = ""


@dataclass(frozen=True)
class JiraEvent:
    """One change on the issue: a comment, a status or assignee change, another field."""

    kind: EventKind
    author: Author
    text: str = ""
    field: str = ""
    old: str = ""
    new: str = ""
    internal: bool = False


@dataclass(frozen=True)
class JiraNotice:
    """A Jira notification about one issue, and the changes it reports."""

    key: str
    batched: bool
    events: tuple[JiraEvent, ...] = field(default_factory=tuple)


def subject_keys(subject: str) -> list[str]:
    """The issue keys the subject names, in order, each once."""
    return list(dict.fromkeys(KEY.findall(subject[:LINE_CAP])))


def read(msg: Inbound) -> JiraNotice | None:
    """The notice a Jira mail carries, or None when its subject and body name no one issue."""
    text = (msg.text or "")[:READ_CAP]
    keys = [k for k in subject_keys(msg.subject) if k in text]
    if len(keys) != 1:
        return None
    key = keys[0]
    lines = [line.strip()[:LINE_CAP] for line in text.splitlines()]
    people = _people(msg)
    events = tuple(_events(lines, key, people))
    batched = any(line.lower().startswith(_BATCHED) for line in lines[:12]) or (
        "updates for" in msg.subject.lower()
    )
    return JiraNotice(key, batched, events)


def _events(lines: list[str], key: str, people: dict[str, Author]) -> list[JiraEvent]:
    heads = [(i, head) for i, line in enumerate(lines) if (head := _head(line, key))]
    out: list[JiraEvent] = []
    for n, (start, (name, kind, rest)) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        body = _body(lines[start + 1 : end])
        author = dataclasses.replace(people.get(name.lower(), Author(name)), name=name)
        out.extend(_changes(kind, author, body, rest))
    return out


def _head(line: str, key: str) -> tuple[str, EventKind, str] | None:
    """(name, what they did, the rest of the line) when the line heads a change on `key`."""
    plain = line.rstrip(":").strip()
    for words, kind in _DOING:
        at = plain.find(words)
        if at <= 0:
            continue
        name, rest = plain[:at].strip(), plain[at + len(words) :].strip()
        ends_here = words.endswith("commented") and rest in ("", ":")
        if not ends_here and key not in rest.split():
            continue
        if 0 < len(name.split()) <= 6 and not KEY.search(name):
            return name, kind, rest
    return None


def _body(lines: list[str]) -> list[str]:
    """A change's own lines: underlines and blank lines around it left out, cut at a stop."""
    out: list[str] = []
    for line in lines:
        if line in (">", "--") or line.lower().startswith(_STOPS):
            break
        if line and set(line) <= _UNDERLINE:
            continue
        out.append(line)
    while out and not out[0]:
        out.pop(0)
    if out and out[0].lower().startswith("re: "):
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def _changes(kind: EventKind, author: Author, body: list[str], rest: str) -> list[JiraEvent]:
    if kind is EventKind.COMMENT:
        internal = bool(body) and body[0].lower().startswith(_RESTRICTED)
        text = "\n".join(body[1:] if internal else body).strip()
        return [JiraEvent(kind, author, text=text, internal=internal)]
    fields = [change for line in body if (change := _field_change(line))]
    if not fields and kind is EventKind.STATUS:
        new = rest.partition(" on ")[0].strip()
        return [JiraEvent(kind, author, field="Status", new=new)]
    if not fields:
        return [JiraEvent(kind, author, text="\n".join(body).strip())]
    return [
        JiraEvent(_kind_of(name), author, field=name, old=old, new=new) for name, old, new in fields
    ]


def _kind_of(field_name: str) -> EventKind:
    low = field_name.lower()
    if low == "status":
        return EventKind.STATUS
    return EventKind.ASSIGNEE if low == "assignee" else EventKind.FIELD


def _field_change(line: str) -> tuple[str, str, str] | None:
    """(field, old, new) from "Status: In Review (was: In Progress)" or "Status: A → B"."""
    name, colon, value = line.partition(":")
    name = name.strip()
    if not colon or not name or len(name) > 40 or not name[0].isalpha():
        return None
    value = value.strip()
    if value.endswith(")") and "(was:" in value:
        new, _, old = value[:-1].rpartition("(was:")
        return name, old.strip(), new.strip()
    for arrow in (" → ", " -> ", " ⇒ "):
        if arrow in value:
            old, _, new = value.partition(arrow)
            return name, old.strip(), new.strip()
    return None


def _people(msg: Inbound) -> dict[str, Author]:
    """Names in this mail tied to a profile or an address, by lower-case name."""
    links = _Links()
    if msg.html:
        links.feed(msg.html[:READ_CAP])
        links.close()
    found: dict[str, Author] = {}
    name, _, inside = msg.from_name.partition(" (")
    address = _ADDRESS.fullmatch(inside.rstrip(")").strip())
    if address:
        links.addresses.setdefault(name.strip().lower(), set()).add(address.group(0).lower())
    for who in set(links.ids) | set(links.addresses):
        ids, addresses = links.ids.get(who, set()), links.addresses.get(who, set())
        found[who] = Author(
            who,
            address=next(iter(addresses)) if len(addresses) == 1 else "",
            account_id=next(iter(ids)) if len(ids) == 1 else "",
        )
    return found


def profile_id(href: str) -> str:
    """The account id (Cloud) or user name (Data Center) a profile link names, or ""."""
    for marker in ("accountId=", "/jira/people/", "ViewProfile.jspa?name=", "/people/"):
        at = href.find(marker)
        if at >= 0:
            rest = href[at + len(marker) :]
            for end in "&?#/\"'":
                rest = rest.partition(end)[0]
            return rest.strip()
    return ""


class _Links(HTMLParser):
    """Profile and mailto links, by the text they are written on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, set[str]] = {}
        self.addresses: dict[str, set[str]] = {}
        self._href = ""
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "a" or not self._href:
            return
        name = " ".join("".join(self._text).split()).lower()
        href, self._href = self._href, ""
        if not name:
            return
        if href.lower().startswith("mailto:"):
            self.addresses.setdefault(name, set()).add(href[7:].partition("?")[0].lower())
        elif ident := profile_id(href):
            self.ids.setdefault(name, set()).add(ident)

"""Whose side an address is on: FT's own people are internal, an account's people external.

Decided from the configuration, in this order: a person's own `internal` flag; a role
the workflow marks as external (the customer representative); a domain listed in
`[mailflow] internal_domains`; an account's mail domain. Anyone mailflow does not know
is external, so that a stranger is never shown FT's side by default.
"""

from __future__ import annotations

from collections.abc import Iterable

from mailflow.config.settings import Settings
from mailflow.workflow.visibility import Audience

__all__ = ["Audience", "audience_of"]


def audience_of(settings: Settings, external_roles: Iterable[str], address: str) -> Audience:
    """The audience of one address."""
    address = address.lower()
    person = settings.person(address)
    if person is not None and person.internal is not None:
        return Audience.INTERNAL if person.internal else Audience.EXTERNAL
    if person is not None and set(person.roles) & set(external_roles):
        return Audience.EXTERNAL
    domain = address.rpartition("@")[2]
    if domain in settings.internal_domains:
        return Audience.INTERNAL
    if person is None or any(domain in a.domains for a in settings.accounts):
        return Audience.EXTERNAL
    return Audience.INTERNAL

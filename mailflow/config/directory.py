"""Who holds which role on a CR: configured people seen through the workflow's role scopes."""

from __future__ import annotations

from collections.abc import Mapping

from mailflow.config.settings import Person, Settings
from mailflow.workflow.conventions import Conventions
from mailflow.workflow.definition import Role


class Directory:
    """Answers "what may this address do on this CR?" and "who must hear of this?"."""

    def __init__(self, settings: Settings, roles: Mapping[str, Role]) -> None:
        self.settings = settings
        self.roles = roles
        # who holds a role where, asked once per CR of a list of thousands; the settings
        # are frozen, and a reload makes a new directory
        self._holders: dict[tuple[str, str, str | None], tuple[Person, ...]] = {}

    def holds(self, person: Person, role: str, account: str, assignee: str | None) -> bool:
        if role not in person.roles or role not in self.roles:
            return False
        scope = self.roles[role].scope
        if scope == "account":
            return account in person.accounts
        if scope == "cr" and assignee:
            return person.email == assignee
        return True

    def roles_of(self, address: str, account: str, assignee: str | None = None) -> frozenset[str]:
        """The roles an address holds on a CR of this account; empty for strangers."""
        person = self.settings.person(address)
        if person is None:
            return frozenset()
        return frozenset(r for r in person.roles if self.holds(person, r, account, assignee))

    def holders(self, role: str, account: str, assignee: str | None = None) -> list[Person]:
        key = (role, account, assignee)
        found = self._holders.get(key)
        if found is None:
            people = self.settings.people
            found = tuple(p for p in people if self.holds(p, role, account, assignee))
            self._holders[key] = found
        return list(found)

    def everyone(self, account: str, assignee: str | None = None) -> list[Person]:
        """Everyone with a role on the CR, in configuration order."""
        return [p for p in self.settings.people if self.roles_of(p.email, account, assignee)]

    def accounts_where(self, address: str, role: str) -> list[str]:
        """The accounts for which an address holds an account-scoped role (e.g. a CSM's)."""
        person = self.settings.person(address)
        if person is None or role not in person.roles:
            return []
        if self.roles.get(role) and self.roles[role].scope == "account":
            return list(person.accounts)
        return [a.key for a in self.settings.accounts]

    def conventions(self, account: str) -> Conventions:
        """How figures on this account's CRs are read and checked, and whom a CR may name.

        A person field assigns the CR for the roles whose scope is "cr", so only configured
        people holding one of those roles may be named in it.
        """
        acct = self.settings.account(account)
        per_cr = [r for r in self.roles.values() if r.scope == "cr"]
        assignable = {
            p.email: p.name for p in self.settings.people if any(r.name in p.roles for r in per_cr)
        }
        title = " or ".join(r.title.lower() + "s" for r in per_cr)
        if acct is None:
            return Conventions(assignable=assignable, assignable_title=title)
        return Conventions(
            currency=acct.currency,
            number_format=acct.number_format,
            date_order=acct.date_order,
            rate=acct.billing_rate or None,
            cost_check_factor=acct.cost_check_factor,
            unit_rules=acct.effort_units,
            jira_projects=acct.jira_projects,
            assignable=assignable,
            assignable_title=title,
        )

import os

import pytest

from tests.servers import dovecot, imap_account, smtp_server  # noqa: F401

# Tests on real servers whose own timers (Dovecot's, PostgreSQL's) a faked clock disturbs,
# and the static checks, which do not depend on the date.
_LEFT_OUT_UNDER_A_FAKED_CLOCK = {
    "dovecot",
    "imap_account",
    "smtp_server",
    "postgres_server",
    "postgres_cluster",
    "postgres_url",
    "browser",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under MAILFLOW_FAKED_CLOCK (tests/run-all.sh's second run) leave out the server tests."""
    if not os.environ.get("MAILFLOW_FAKED_CLOCK"):
        return
    skip = pytest.mark.skip(reason="uses real servers; left out of the faked-clock run")
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & _LEFT_OUT_UNDER_A_FAKED_CLOCK or item.path.name == "test_static.py":
            item.add_marker(skip)

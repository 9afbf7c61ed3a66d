"""Fixtures for the attack suite: a desk on the default `token` policy."""

from __future__ import annotations

import pytest

from tests.helpers import Desk


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    yield d
    d.close()

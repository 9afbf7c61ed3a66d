"""What a reply token looks like, apart from how one is made or checked.

The log formatter masks anything of this shape on every line; it must not load the
database layer that minting and checking tokens need.
"""

from __future__ import annotations

import re

TOKEN_RE = re.compile(
    r"(?<![0-9a-z])t1([a-z2-7]{4})([0-9a-z]{7})([a-z2-7]{20})(?![0-9a-z])", re.IGNORECASE
)

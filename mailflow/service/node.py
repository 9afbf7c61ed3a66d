"""Where this process runs, for telling a stopped daemon from a running one by its pid.

Apart from the lease (lease.py), which holds the ORM, so that `mailflow status` can judge
the daemons it lists without it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def node() -> str:
    """This machine and pid namespace: where a pid names one process ("" when unknown).

    A host name alone is not enough: containers may share one while each has its own pids.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return f"{socket.gethostname()}/{boot}/{namespace}"


NODE = node()


def pid_gone(pid: int) -> bool:
    """Whether no process has this pid on this node (a zombie counts as gone too)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False

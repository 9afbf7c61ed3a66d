"""A throwaway Dovecot for tests, set up exactly as STACK-NOTES describes, as root or not.

Its own config lives in a 0755 temp dir (Dovecot's unprivileged processes must traverse it),
users come from a passwd file, it listens on a free loopback port and is killed with SIGKILL
because a graceful stop costs seconds and the data is thrown away anyway.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from imapclient import IMAPClient

PASSWORD = "secret"
USERS = ("approvals", "alice", "bob", "carol")
# Dovecot re-reads the passwd file at most about once a second, so users added while it runs
# may not log in at once; every account a test may want is written before start instead.
SPARE_ACCOUNTS = 200


def free_port() -> int:
    """A loopback port nobody listens on right now (aiosmtpd cannot take port 0, pitfall 13)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _identity() -> tuple[int, int, dict[str, str]]:
    """Mail owner uid/gid and the service-user settings: Debian's users as root, ours otherwise."""
    if os.geteuid() == 0:
        mail = pwd.getpwnam("mail")
        users = {"default_login_user": "dovenull", "default_internal_user": "dovecot"}
        return mail.pw_uid, mail.pw_gid, users
    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    users = {
        "default_login_user": me,
        "default_internal_user": me,
        "default_internal_group": group,
    }
    return os.getuid(), os.getgid(), users


CONFIG = """\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = dovecot-test-{port}
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_fsync = never
{service_users}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {dir}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service anvil {{
  chroot =
  # no auth penalty: one refused login would delay later logins from 127.0.0.1 by seconds
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@localhost
}}
"""


@dataclass
class Dovecot:
    """One running Dovecot instance with its directory, ports and passwd-file users."""

    dir: Path
    port: int
    lmtp_port: int
    host: str = "127.0.0.1"
    password: str = PASSWORD
    users: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.dir / "dovecot.conf"

    def setup(self) -> None:
        uid, gid, service_users = _identity()
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir(exist_ok=True)
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            os.chown(self.dir / "mail", uid, gid)
        lines = "\n".join(f"{key} = {value}" for key, value in service_users.items())
        self.config.write_text(
            CONFIG.format(
                dir=self.dir,
                port=self.port,
                lmtp_port=self.lmtp_port,
                uid=uid,
                service_users=lines,
            )
        )
        self.users = [*USERS, *(f"user{n}" for n in range(1, SPARE_ACCOUNTS + 1))]
        home = self.dir / "mail"
        (self.dir / "passwd").write_text(
            "".join(
                f"{user}:{{PLAIN}}{self.password}:{uid}:{gid}::{home / user}::\n"
                for user in self.users
            )
        )

    def maildir(self, user: str) -> Path:
        return self.dir / "mail" / user / "Maildir"

    def start(self, timeout: float = 10.0) -> None:
        """Start in the foreground, in its own process group, and wait for the greeting."""
        self.process = subprocess.Popen(
            [str(dovecot_binary()), "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self._diagnostics()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=1) as sock,
            ):
                if sock.recv(100).startswith(b"* OK"):
                    return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"dovecot did not greet within {timeout} s:\n{self._diagnostics()}")

    def stop(self) -> None:
        """Kill every Dovecot process at once: instant, and fine for throwaway data."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port and directories, as after a server crash."""
        self.stop()
        self.start()

    def _diagnostics(self) -> str:
        log = self.dir / "dovecot.log"
        text = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        if self.process is not None and self.process.stderr is not None:
            text += self.process.stderr.read().decode(errors="replace")[-3000:]
        return text

    def client(self, user: str = "approvals") -> IMAPClient:
        """A logged-in plain-text client for arranging and inspecting mailboxes in tests."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=5)
        client.login(user, self.password)
        return client

    def append(self, user: str, messages: Iterable[bytes], folder: str = "INBOX") -> None:
        """Deliver messages with one MULTIAPPEND (far faster than one APPEND each)."""
        batch = list(messages)
        if not batch:
            return
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.multiappend(folder, batch)

    def uids(self, user: str, folder: str = "INBOX") -> list[int]:
        """UIDs currently in a folder, as another client would see them."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            return sorted(client.search(["ALL"]))


def dovecot_binary() -> str | None:
    """Dovecot lives in /usr/sbin, which an ordinary user's PATH often lacks."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")

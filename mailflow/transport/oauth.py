"""OAuth2 access tokens for IMAP and SMTP logins, read afresh from a command or a file.

Tokens expire within the hour and Microsoft 365 and Gmail no longer take passwords, so a
helper (a command, or a file another process keeps fresh) owns the refresh; mailflow only
reads the current token at every login.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from mailflow.errors import MailflowError


class TokenError(MailflowError):
    """The token command failed or the token file could not be read."""


def access_token(command: str | None, file: Path | str | None, timeout: float) -> str:
    """Run `command` (its stdout is the token) or read `file`; never an empty token."""
    if command:
        try:
            done = subprocess.run(
                shlex.split(command), capture_output=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TokenError(f"token command {command!r}: {exc}") from exc
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip()[:200]
            raise TokenError(f"token command {command!r} exited with {done.returncode}: {detail}")
        token, origin = done.stdout.decode().strip(), f"token command {command!r}"
    elif file:
        try:
            token = Path(str(file)).read_text().strip()
        except OSError as exc:
            raise TokenError(f"cannot read token file {file}: {exc}") from exc
        origin = f"token file {file}"
    else:
        raise TokenError("OAuth2 needs token_command or token_file")
    if not token:
        raise TokenError(f"{origin} gave an empty access token")
    return token


def xoauth2(username: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (RFC-less, as Google and Microsoft define it)."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01"

"""Did the receiving server authenticate the From domain? Read from Authentication-Results.

Parsing uses the maintained `authres` package (RFC 8601 grammar with the DMARC
extension) rather than regular expressions. DKIM signatures are not verified again
here (so dkimpy is not needed): the receiving server checked them at SMTP time against
the DNS of that moment, which a later re-check from a mailbox cannot reproduce once
keys rotate. Only headers whose authserv-id the operator trusts count; the receiving
server must remove such headers arriving from outside (RFC 8601 section 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import authres

from mailflow.mail.parse import Inbound


@dataclass(frozen=True)
class AuthVerdict:
    """passed: DMARC pass, or aligned DKIM pass, in the topmost trusted header."""

    passed: bool
    detail: str
    seen: list[dict[str, Any]] = field(default_factory=list)


def evaluate(msg: Inbound, trusted: Sequence[str]) -> AuthVerdict:
    """Judge the message's Authentication-Results headers, recording every one seen."""
    from_domain = msg.from_addr.rpartition("@")[2].lower()
    from_headers = [v for k, v in msg.headers if k.lower() == "from"]
    seen: list[dict[str, Any]] = []
    chosen: Any = None
    for name, value in msg.headers:
        if name.lower() != "authentication-results":
            continue
        entry: dict[str, Any] = {"header": value[:1000]}
        try:
            parsed = authres.all_features().parse_value(" ".join(value.split()))
        except Exception as exc:  # noqa: BLE001 - a malformed header is recorded, never trusted
            entry.update(trusted=False, note=f"unparsable: {exc}"[:200])
            seen.append(entry)
            continue
        serv = str(parsed.authserv_id).lower()
        is_trusted = serv in trusted
        entry.update(
            authserv_id=serv,
            trusted=is_trusted,
            results=[[r.method, r.result, _props(r)] for r in parsed.results],
        )
        if not is_trusted:
            entry["note"] = "ignored: authserv-id not in [security] trusted_authserv_ids"
        elif chosen is None:
            chosen = parsed
            entry["note"] = "used: the topmost trusted header"
        else:
            entry["note"] = "ignored: a trusted header above it was used"
        seen.append(entry)
    if len(from_headers) != 1:
        return AuthVerdict(False, f"the message has {len(from_headers)} From headers", seen)
    if chosen is None:
        if seen:
            ids = ", ".join(str(e.get("authserv_id", "?")) for e in seen)
            return AuthVerdict(False, f"no trusted Authentication-Results (seen from: {ids})", seen)
        return AuthVerdict(False, "no Authentication-Results header", seen)
    return _judge(chosen, from_domain, seen)


def aligned(signing_domain: str, from_domain: str) -> bool:
    """Relaxed alignment, simply: equal, or one a subdomain of the other (and not a TLD)."""
    d, f = signing_domain.lower().strip("."), from_domain.lower().strip(".")
    if "." not in d or "." not in f:
        return False
    return d == f or f.endswith("." + d) or d.endswith("." + f)


def _judge(parsed: Any, from_domain: str, seen: list[dict[str, Any]]) -> AuthVerdict:
    serv = str(parsed.authserv_id).lower()
    dmarc = [r for r in parsed.results if r.method == "dmarc"]
    for result in dmarc:
        header_from = _prop(result, "header", "from")
        if result.result == "pass" and header_from in ("", from_domain):
            return AuthVerdict(True, f"{serv}: dmarc=pass for {from_domain}", seen)
        if result.result == "pass":
            return AuthVerdict(
                False, f"{serv}: dmarc=pass for {header_from}, not the From {from_domain}", seen
            )
    for result in parsed.results:
        d = _prop(result, "header", "d") or _prop(result, "header", "i").rpartition("@")[2]
        if result.method == "dkim" and result.result == "pass" and aligned(d, from_domain):
            return AuthVerdict(True, f"{serv}: dkim=pass header.d={d}, aligned", seen)
    got = ", ".join(f"{r.method}={r.result}" for r in parsed.results) or "nothing"
    return AuthVerdict(
        False, f"{serv}: {got}; no dmarc=pass or aligned dkim=pass for {from_domain}", seen
    )


def _props(result: Any) -> dict[str, str]:
    return {f"{p.type}.{p.name}": str(p.value) for p in result.properties}


def _prop(result: Any, ptype: str, name: str) -> str:
    for p in result.properties:
        if p.type == ptype and p.name == name:
            return str(p.value).lower()
    return ""

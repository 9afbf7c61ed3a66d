"""Settings for running the service for real: the status page, metrics and the canary.

Each is its own table of the configuration file ([web], [metrics], [canary]), checked as
strictly as the rest (unknown keys are errors, numbers are in range). All three are off
until configured: the page and the metrics need a listen address, the canary an interval.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mailflow.config.schema import problems_of


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class WebSettings(_Frozen):
    """`mailflow web`: where it listens and how sign-in links and sessions behave."""

    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=1, le=65535)
    # The address people reach through the reverse proxy; sign-in links start with it.
    base_url: str = "http://127.0.0.1:8025"
    # Off only for a page served over plain HTTP on a trusted host (tests, a laptop).
    cookie_secure: bool = True
    link_minutes: int = Field(default=15, ge=1, le=120)
    session_hours: int = Field(default=12, ge=1, le=24 * 30)


class MetricsSettings(_Frozen):
    """The Prometheus endpoint of `mailflow run`; port 0 leaves it off."""

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)


class CanarySettings(_Frozen):
    """A mail the service sends itself through SMTP and expects back in its mailbox."""

    every_minutes: float = Field(default=0, ge=0, le=24 * 60)  # 0: no canary
    # A round trip not back within this many minutes is missed: `status` turns unhealthy.
    missed_after_minutes: float = Field(default=10, gt=0, le=24 * 60)


def _read(model: type[_Frozen], raw: Any, name: str, bad: Any) -> Any:
    if raw is None:
        return model()
    if not isinstance(raw, dict):
        bad(name, "must be a table")
        return model()
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for key, message in problems_of(exc):
            bad(f"{name}.{key}", message)
        return model()


def web_settings(raw: Any, bad: Any) -> WebSettings:
    settings: WebSettings = _read(WebSettings, raw, "web", bad)
    if not settings.base_url.startswith(("http://", "https://")):
        bad("web.base_url", f"is {settings.base_url!r}; expected an http:// or https:// address")
    return settings


def metrics_settings(raw: Any, bad: Any) -> MetricsSettings:
    result: MetricsSettings = _read(MetricsSettings, raw, "metrics", bad)
    return result


def canary_settings(raw: Any, bad: Any) -> CanarySettings:
    result: CanarySettings = _read(CanarySettings, raw, "canary", bad)
    return result

"""Settings for running the service for real: the status page, metrics and the canary.

Each is its own table of the configuration file ([web], [metrics], [canary]), and each
model is at once its table's schema and the settings the code reads. All three are off
until configured: the page and the metrics need a listen address, the canary an interval.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator

from mailflow.config.table import STRICT, Table


class _Frozen(Table):
    model_config = ConfigDict(**STRICT, frozen=True)


class WebSettings(_Frozen):
    """`mailflow web`: where it listens and how sign-in links and sessions behave."""

    host: str = Field(default="127.0.0.1", description="The address the status page listens on.")
    port: int = Field(default=8025, ge=1, le=65535, description="Its port.")
    base_url: str = Field(
        default="http://127.0.0.1:8025",
        description="The address people reach through the reverse proxy; sign-in links "
        "start with it.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Off only for a page served over plain HTTP on a trusted host.",
    )
    link_minutes: int = Field(
        default=15, ge=1, le=120, description="How long a sign-in link is valid."
    )
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="How long a signed-in session lasts."
    )

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"is {value!r}; expected an http:// or https:// address")
        return value


class MetricsSettings(_Frozen):
    """The Prometheus endpoint of `mailflow run`; port 0 leaves it off."""

    host: str = Field(default="127.0.0.1", description="The address the endpoint listens on.")
    port: int = Field(default=0, ge=0, le=65535, description="Its port; 0: no endpoint.")


class CanarySettings(_Frozen):
    """A mail the service sends itself through SMTP and expects back in its mailbox."""

    every_minutes: float = Field(
        default=0, ge=0, le=24 * 60, description="How often one is sent; 0: no canary."
    )
    missed_after_minutes: float = Field(
        default=10,
        gt=0,
        le=24 * 60,
        description="A round trip not back within this many minutes is missed: `status` "
        "turns unhealthy.",
    )

"""Settings of the hosting platform, read from `POC_HOST_*` environment variables.

The operator's credential has no default: `poc host` refuses to start without one (or
generates one with `--local`, and prints it). The per-workspace API settings are derived from
these by `poc.hosting.workspace`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Shortest operator token accepted: 128 bits of entropy as hex, at least.
MIN_OPERATOR_TOKEN = 32

ChainKind = Literal["anvil", "memory"]


class HostSettings(BaseSettings):
    """Everything the platform needs; the operator token has no default."""

    model_config = SettingsConfigDict(env_prefix="POC_HOST_", frozen=True, extra="ignore")

    operator_token: SecretStr = Field(
        description="The operator's credential for the console and its API (at least "
        f"{MIN_OPERATOR_TOKEN} characters). No default."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the platform's database. On PostgreSQL every workspace "
        "gets a database of its own on the same server (`poc_ws_<slug>`); default: SQLite "
        "files in the data directory (one per workspace).",
    )
    data_dir: Path = Field(default=Path("host-data"), description="The platform's files.")
    domain: str = Field(
        default="localhost:8000",
        description="The platform's host name with port as browsers send it in Host; "
        "workspace <slug> lives at <slug>.<domain>.",
    )
    https: bool = Field(
        default=False,
        description="The platform is reached through a TLS proxy: cookies are Secure, links "
        "use https.",
    )
    chain: ChainKind = Field(
        default="anvil",
        description="Each workspace's node: anvil (persists; stopped when idle) or the "
        "in-process eth-tester chain (tests; never stopped, nothing persists).",
    )
    workspace_days: int = Field(default=90, gt=0, description="A workspace's lifetime.")
    warn_days: int = Field(default=14, ge=0, description="Days before expiry warnings start.")
    invitation_days: int = Field(default=14, gt=0, description="An invitation's validity.")
    session_hours: int = Field(default=12, gt=0, description="A workspace session's lifetime.")
    idle_minutes: float = Field(
        default=15.0, gt=0, description="A workspace's node stops after this long unused."
    )
    sweep_seconds: float = Field(default=30.0, gt=0, description="Seconds between sweeps.")
    max_contributions: int = Field(default=500, gt=0, description="Quota per workspace.")
    max_storage_bytes: int = Field(
        default=200 * 1024 * 1024, gt=0, description="Quota per workspace: files + database."
    )
    requests_per_minute: int = Field(default=600, gt=0, description="Quota per workspace.")
    failed_auth_per_second: float = Field(
        default=1.0,
        gt=0,
        description="Credentials (API keys, invitation codes, operator tokens) one client "
        "address may try a second that turn out wrong, on average.",
    )
    failed_auth_burst: int = Field(default=20, gt=0, description="... and at once.")
    control_url: str | None = Field(
        default=None,
        description="Set in the API processes of the split: the background process's control "
        "API on the loopback (`http://127.0.0.1:<port>`). Unset: this process runs the "
        "workspaces' nodes itself (one process, or the background process).",
    )
    api_processes: int = Field(
        default=1,
        ge=1,
        description="How many API processes serve the public port; each enforces its share "
        "of a workspace's request quota (`poc host` sets it).",
    )
    activity_seconds: float = Field(
        default=5.0,
        gt=0,
        description="An API process asks the background process that a workspace's node "
        "runs (which also marks it in use) at most this often per workspace.",
    )
    keystore_scrypt_n: int = Field(
        default=1 << 14, ge=2, description="scrypt cost of the workspaces' keystores."
    )

    @field_validator("operator_token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_OPERATOR_TOKEN:
            raise ValueError(
                f"the operator token must have at least {MIN_OPERATOR_TOKEN} characters "
                "(e.g. `openssl rand -hex 32`)"
            )
        return value

    @field_validator("control_url")
    @classmethod
    def _loopback(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host = urlparse(value).hostname or ""
        if urlparse(value).scheme != "http" or host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(
                "the control API is reached on the loopback only (http://127.0.0.1:<port>)"
            )
        return value.rstrip("/")

    @field_validator("domain")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @property
    def split(self) -> bool:
        """Whether this is an API process of the split (the nodes run elsewhere)."""
        return self.control_url is not None

    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"

    @property
    def platform_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    def workspace_url(self, slug: str) -> str:
        """Where workspace `slug`'s pages live (its own origin)."""
        return f"{self.scheme}://{slug}.{self.domain}"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'platform.sqlite3').resolve().as_posix()}"

    @property
    def on_postgres(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

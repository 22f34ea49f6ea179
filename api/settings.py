"""Settings of the HTTP API, read from `POC_*` environment variables.

`get_settings()` is the one cached way to read them; tests and the sandbox either pass an
`ApiSettings` to `api.app.create_app` or override the `get_settings` dependency. Nothing else in
`api/` reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.sealing import KEY_FILE_NAME

SigningMode = Literal["custodial", "non-custodial", "both"]


class ApiSettings(BaseSettings):
    """Everything the API needs to run; every field has a safe local default."""

    model_config = SettingsConfigDict(env_prefix="POC_", frozen=True, extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Directory for the SQLite index and outbox."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the index; default sqlite:///<data_dir>/index.sqlite3. "
        "A postgresql+psycopg:// URL selects PostgreSQL.",
    )
    outbox_database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the outbox and API keys (what the chain cannot give "
        "back); default: outbox.sqlite3 beside a SQLite index, the index's own database on "
        "PostgreSQL.",
    )
    rpc_url: str | None = Field(default=None, description="JSON-RPC URL of the chain node.")
    deployment_file: Path | None = Field(
        default=None, description="Deployment record JSON; default <data_dir>/deployment.json."
    )
    relayer_key: SecretStr | None = Field(
        default=None, description="Private key of the account that pays for relayed calls."
    )
    records_key: SecretStr | None = Field(
        default=None,
        description="AES-256-GCM key of the contribution cards and dispute reasons at rest "
        "(64 hex digits or base64 of 32 bytes); default: the key file. Never kept in the "
        "database: a copy of the database alone reveals no card and no reason.",
    )
    records_key_file: Path | None = Field(
        default=None,
        description="File holding the records key; default <data_dir>/records.key, made on "
        "first start. Back it up apart from the database.",
    )
    keystore_password: SecretStr = Field(
        default=SecretStr("poc-sandbox"),
        description="Password of the encrypted custodial keystores (change it in production).",
    )
    signing_mode: SigningMode = "both"
    confirmations: int = Field(
        default=0, ge=0, description="Blocks on top of a transaction before it counts as final."
    )
    persist_delay: float = Field(
        default=0.0,
        ge=0.0,
        description="Seconds a block must age before it counts as durable: a node that persists "
        "its state periodically (the sandbox anvil, every second) loses younger blocks on a crash.",
    )
    index_poll_interval: float = Field(default=0.25, gt=0)
    index_block_range: int = Field(default=2_000, gt=0, description="Blocks per eth_getLogs call.")
    outbox_poll_interval: float = Field(default=0.05, gt=0)
    outbox_batch_size: int = Field(default=200, gt=0)
    rate_limit_per_second: float = Field(default=200.0, gt=0, description="Per API key.")
    rate_limit_burst: int = Field(default=400, gt=0)
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    wait_timeout: float = Field(default=30.0, gt=0, description="Longest `?wait=true` wait.")
    signature_ttl: int = Field(default=3_600, gt=0, description="Seconds a prepared action lives.")
    preflight: bool = Field(
        default=True, description="Dry-run writes before accepting them (immediate 4xx)."
    )
    keystore_scrypt_n: int = Field(
        default=1 << 14, ge=2, description="scrypt cost of custodial keystores written by the API."
    )
    lost_after: float = Field(
        default=2.0,
        gt=0,
        description="Seconds before a sent transaction the node forgot is resent.",
    )
    start_workers: bool = Field(
        default=True, description="Run the index follower and the outbox worker in the app."
    )
    sandbox: bool = False

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'index.sqlite3').as_posix()}"

    @property
    def resolved_outbox_database_url(self) -> str | None:
        """The outbox's database URL; None lets `ledger.store.Store` choose (see there)."""
        return self.outbox_database_url or None

    @property
    def resolved_records_key_file(self) -> Path:
        """Where the records key is read from when `records_key` is not set."""
        return self.records_key_file or self.data_dir / KEY_FILE_NAME

    @property
    def resolved_deployment_file(self) -> Path:
        """Where the deployment record is read from."""
        return self.deployment_file or self.data_dir / "deployment.json"


@lru_cache
def get_settings() -> ApiSettings:
    """The process-wide settings from the environment (cached; tests override this)."""
    return ApiSettings()

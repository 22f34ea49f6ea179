"""Settings of the HTTP API, read from `POC_*` environment variables.

`get_settings()` is the one cached way to read them; tests and the sandbox either pass an
`ApiSettings` to `poc.wiring.create_app` or override the `get_settings` dependency. Nothing else in
`api/` reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ledger.sealing import KEY_FILE_NAME

SigningMode = Literal["custodial", "non-custodial", "both"]

# Default limits, measured on a 2-core VM (README, "Limits"): one API process serves about 200
# registrations or 600 cheap reads a second. One key may take a tenth of the registration
# rate; a request over a limit waits up to a second for its turn before it is refused.
RATE_LIMIT_PER_SECOND = 20.0
RATE_LIMIT_BURST = 20
MAX_IN_FLIGHT_PER_KEY = 4
FAILED_AUTH_PER_SECOND = 1.0
FAILED_AUTH_BURST = 10
LIMIT_MAX_WAIT = 1.0


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
        "its state periodically loses younger blocks on a crash. A timing bound, for an API that "
        "cannot ask the node what it saved (the sandbox's does: it confirms nothing above the "
        "block its anvil saved).",
    )
    index_poll_interval: float = Field(default=0.25, gt=0)
    index_block_range: int = Field(default=2_000, gt=0, description="Blocks per eth_getLogs call.")
    outbox_poll_interval: float = Field(default=0.05, gt=0)
    outbox_batch_size: int = Field(default=200, gt=0)
    # Limits (api/limits.py; README "Limits" says how the defaults were measured). Counted per
    # API process: with `--workers N` divide them by N.
    rate_limit_per_second: float = Field(
        default=RATE_LIMIT_PER_SECOND,
        gt=0,
        description="Requests a second one API key may send, on average.",
    )
    rate_limit_burst: int = Field(
        default=RATE_LIMIT_BURST, gt=0, description="Requests one API key may send at once."
    )
    max_in_flight_per_key: int = Field(
        default=MAX_IN_FLIGHT_PER_KEY,
        gt=0,
        description="Requests of one API key served at the same time; more get 429 at once.",
    )
    failed_auth_per_second: float = Field(
        default=FAILED_AUTH_PER_SECOND,
        gt=0,
        description="Requests without a valid API key (missing, malformed, unknown, revoked, "
        "wrong secret) a second, per client address (IPv6: per /64).",
    )
    failed_auth_burst: int = Field(
        default=FAILED_AUTH_BURST,
        gt=0,
        description="Requests without a valid API key one client address may send at once.",
    )
    limit_max_wait: float = Field(
        default=LIMIT_MAX_WAIT,
        ge=0,
        description="Seconds a request over a limit waits for its turn before it is answered "
        "429; 0 answers at once.",
    )
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = Field(
        default=(),
        description="Addresses or networks of the reverse proxies in front of the API, "
        "comma-separated (`10.0.0.5,fd00::/8`). Only a request from one of them has its client "
        "address taken from X-Forwarded-For; by default nobody's is.",
    )
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    max_document_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="Largest sealed document a partner may upload to share (bytes).",
    )
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
    # Evidence from outside the consortium chain (docs/proofs.md): each part is optional.
    tsa_url: str | None = Field(
        default=None,
        description="RFC 3161 timestamp authority (production: a qualified TSA under eIDAS). "
        "Every registration gets a token from it, fetched by the background process; it "
        "also timestamps the seal of PDF certificates.",
    )
    tsa_roots: Path | None = Field(
        default=None,
        description="PEM file of the TSA certificates trusted as anchors: tokens are checked "
        "against them when fetched and when a posted bundle is verified.",
    )
    timestamp_interval: float = Field(
        default=5.0, gt=0, description="Seconds between rounds of the timestamp job."
    )
    public_rpc_url: str | None = Field(
        default=None,
        description="JSON-RPC URL of the public chain holding the checkpoint contract.",
    )
    checkpoints_address: str | None = Field(
        default=None, description="ChainCheckpoints address on the public chain."
    )
    checkpoints_from_block: int = Field(
        default=0, ge=0, description="Public block the checkpoint contract was deployed in."
    )
    anchor_key: SecretStr | None = Field(
        default=None,
        description="Private key of the public-chain account that posts the checkpoints (it "
        "pays their gas). Without it the service proves with the checkpoints of `anchorer` "
        "but posts none.",
    )
    anchorer: str | None = Field(
        default=None,
        description="Address whose checkpoints bundles cite; default: the anchor key's.",
    )
    anchor_interval: float = Field(
        default=600.0, gt=0, description="Seconds between checkpoints of the chain."
    )
    seal_pkcs12: Path | None = Field(
        default=None, description="PKCS#12 file of the operator's seal key and certificate."
    )
    seal_key: Path | None = Field(
        default=None, description="PEM private key of the seal (with seal_certificate)."
    )
    seal_certificate: Path | None = Field(
        default=None, description="PEM certificate of the seal (with seal_key)."
    )
    seal_password: SecretStr | None = Field(
        default=None, description="Password of the seal's PKCS#12 file or PEM key."
    )
    sandbox: bool = False
    allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="The Host header values (name:port, as a browser sends them) the app "
        "answers; any other gets 403 host_not_allowed, so that a web page of another site "
        "reaching the app through DNS rebinding gets nothing. Empty: any host. The sandbox "
        "sets 127.0.0.1, localhost and [::1] with its port.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part for part in value.replace(" ", ",").split(",") if part)
        return value

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

"""Local persistence: the chain index, the write outbox and the API's keys (SQLAlchemy).

One `Store` wraps two databases: the index's, which the chain can give back, and the outbox's,
which it cannot. On SQLite (the default) they are two files in the data directory,
`index.sqlite3` and `outbox.sqlite3` (WAL mode, so the follower, the outbox worker and request
threads can share them): a damaged or deleted index is moved aside and rebuilt without losing
an accepted write or a key. On PostgreSQL (`postgresql+psycopg://`) both groups share one
database unless a second URL names the outbox's. No method writes to both, so nothing needs a
transaction across them. A data directory from when one file held everything is split on
open (`Store.open`). Three groups of tables live here:

- the **index**: every decoded event of both contracts (`index_events`, the source of truth of
  the index) and the projections rebuilt from it (projects, partners, contributions, ...).
  Projections are only ever derived from `index_events`, so a rewind after a reorg deletes the
  lost events and replays the rest; `rebuild` starts again from the chain alone.
- the **outbox**: accepted writes (`operations`), stored before anything is sent; their
  idempotency keys are columns of it. In the outbox's database.
- **credentials**: hashed API keys (custodial partner keys are in `ledger.chain.keystore`) and
  the auditor grants (which key may read which project, granted by whom and when). In the
  outbox's database too: the chain cannot give them back.
- **sealed records**: contribution cards and dispute reasons, encrypted (`ledger.sealing`; the
  key is not in the database). Only their hashes are on chain, so they live in the outbox's
  database as well. The store keeps the sealed bytes; it neither encrypts nor decrypts.

Reads return frozen dataclasses, never ORM rows. The follower that fills the index lives in
`ledger.sync.follower`; the worker that drains the outbox in `ledger.sync.outbox`.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as _postgresql_insert
from sqlalchemy.dialects.sqlite import insert as _sqlite_insert
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from ledger.errors import ConfigurationError, LedgerError

ZERO32 = "0x" + "00" * 32
T = TypeVar("T")
log = logging.getLogger(__name__)


class StoreError(LedgerError):
    """Raised when the local database cannot be read or written."""


class Base(DeclarativeBase):
    """Declarative base of every table of the store."""


# ------------------------------------------------------------------------------------ index


class IndexCursor(Base):
    """How far the follower got: the last block folded into the index, with its hash."""

    __tablename__ = "index_cursor"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    updated_at: Mapped[float] = mapped_column(Float)


class IndexCheckpoint(Base):
    """Hashes of recent cursor blocks, to find the common ancestor after a reorg."""

    __tablename__ = "index_checkpoints"
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_hash: Mapped[str] = mapped_column(String(66))


class EventRow(Base):
    """One decoded contract event; `args_json` holds its arguments in JSON-safe form."""

    __tablename__ = "index_events"
    __table_args__ = (UniqueConstraint("block_number", "log_index", name="uq_event_position"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66), index=True)
    log_index: Mapped[int] = mapped_column(Integer)
    contract: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64), index=True)
    project_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    args_json: Mapped[str] = mapped_column(Text)


class ProjectRow(Base):
    __tablename__ = "projects"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    coordinator: Mapped[str] = mapped_column(String(42), index=True)
    agreement_version: Mapped[int] = mapped_column(Integer, default=0)
    agreement_hash: Mapped[str] = mapped_column(String(66))
    policy_version: Mapped[int] = mapped_column(Integer, default=0)
    policy_hash: Mapped[str] = mapped_column(String(66), default=ZERO32)
    in_force: Mapped[bool] = mapped_column(Boolean, default=False)
    created_block: Mapped[int] = mapped_column(BigInteger)
    created_tx: Mapped[str] = mapped_column(String(66))


class PartnerRow(Base):
    __tablename__ = "project_partners"
    # Who may read a project is decided by membership, looked up by address.
    __table_args__ = (Index("ix_project_partners_address", "address"),)
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    accepted_version: Mapped[int] = mapped_column(Integer, default=0)
    joined_block: Mapped[int] = mapped_column(BigInteger)


class PolicyRow(Base):
    __tablename__ = "project_policies"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_hash: Mapped[str] = mapped_column(String(66))
    policy_json: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger)


class AgreementRow(Base):
    __tablename__ = "project_agreements"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)


class IdentityRow(Base):
    __tablename__ = "identities"
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    company_number: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger)


class ProposalRow(Base):
    __tablename__ = "proposals"
    proposal_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    proposer: Mapped[str] = mapped_column(String(42))
    kind: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    approvals_json: Mapped[str] = mapped_column(Text, default="[]")
    executed: Mapped[bool] = mapped_column(Boolean, default=False)
    block_number: Mapped[int] = mapped_column(BigInteger)


class ContributionRow(Base):
    __tablename__ = "contributions"
    __table_args__ = (Index("ix_contrib_project_seq", "project_id", "seq"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contribution_id: Mapped[str] = mapped_column(String(66), unique=True)
    project_id: Mapped[int] = mapped_column(BigInteger)
    contributor: Mapped[str] = mapped_column(String(42), index=True)
    commitment: Mapped[str] = mapped_column(String(66), index=True)
    origin: Mapped[int] = mapped_column(Integer)
    category: Mapped[int] = mapped_column(Integer)
    # uint64 does not fit a signed BIGINT: kept as decimal text.
    value: Mapped[str] = mapped_column(String(20))
    parents_json: Mapped[str] = mapped_column(Text)
    supersedes: Mapped[str] = mapped_column(String(66))
    superseded_by: Mapped[str | None] = mapped_column(String(66))
    batch_id: Mapped[str] = mapped_column(String(66))
    registered_at: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)


class BatchRow(Base):
    __tablename__ = "batches"
    batch_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    contributor: Mapped[str] = mapped_column(String(42))
    root: Mapped[str] = mapped_column(String(66))
    count: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))


class EndorsementRow(Base):
    __tablename__ = "endorsements"
    contribution_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    endorser: Mapped[str] = mapped_column(String(42), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    rating: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)


class DisputeRow(Base):
    __tablename__ = "disputes"
    contribution_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    disputer: Mapped[str] = mapped_column(String(42))
    reason_hash: Mapped[str] = mapped_column(String(66))
    eligible_voters: Mapped[int] = mapped_column(Integer)
    votes_json: Mapped[str] = mapped_column(Text, default="[]")
    outcome: Mapped[int] = mapped_column(Integer, default=0)
    block_number: Mapped[int] = mapped_column(BigInteger)


class SplitRow(Base):
    __tablename__ = "split_proposals"
    proposal_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    proposer: Mapped[str] = mapped_column(String(42))
    partners_json: Mapped[str] = mapped_column(Text)
    bps_json: Mapped[str] = mapped_column(Text)
    policy_version: Mapped[int] = mapped_column(Integer)
    computed_at_block: Mapped[int] = mapped_column(BigInteger)
    input_set_hash: Mapped[str] = mapped_column(String(66))
    approvals_json: Mapped[str] = mapped_column(Text, default="[]")
    split_version: Mapped[int | None] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)


class MoneyRow(Base):
    """Revenue received and releases paid, one row per event (amounts as decimal text)."""

    __tablename__ = "vault_movements"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "revenue" | "release"
    token: Mapped[str] = mapped_column(String(42))
    party: Mapped[str] = mapped_column(String(42))  # payer of revenue / partner released
    recipient: Mapped[str | None] = mapped_column(String(42))
    amount: Mapped[str] = mapped_column(String(78))
    split_version: Mapped[int | None] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))


PROJECTION_TABLES: tuple[type[Base], ...] = (
    ProjectRow,
    PartnerRow,
    PolicyRow,
    AgreementRow,
    IdentityRow,
    ProposalRow,
    ContributionRow,
    BatchRow,
    EndorsementRow,
    DisputeRow,
    SplitRow,
    MoneyRow,
)


# ------------------------------------------------------------------------------------ outbox


class OperationRow(Base):
    """An accepted write: stored first, then sent and confirmed by the outbox worker."""

    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("actor", "idempotency_key", name="uq_operation_idempotency"),
        Index("ix_operations_status", "status", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(42), index=True)
    project_id: Mapped[int | None] = mapped_column(BigInteger)
    api_key_id: Mapped[str | None] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # The on-chain action the operation performs (e.g. one partner's endorsement of one
    # contribution), held while it is pending or confirmed: unique, so that one action has one
    # live operation. A failed operation lets go of it (NULL), so it never blocks a new attempt.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload_json: Mapped[str] = mapped_column(Text)
    # What the API needs to answer about the operation later (e.g. a batch's Merkle tree).
    meta_json: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str | None] = mapped_column(String(66), index=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(66))
    result_json: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[float | None] = mapped_column(Float)
    mined_at: Mapped[float | None] = mapped_column(Float)
    # The request itself when it carries a partner's signature (a hash of it): the same
    # signature posted again is the same operation, whatever became of it. Added after the
    # first release: `_upgrade_operations` adds it to older databases.
    attempt_key: Mapped[str | None] = mapped_column(String(80), unique=True)


_OP_TABLE = cast(Table, OperationRow.__table__)

# The statements of the accept path, built once: building a Core statement per call costs
# more than running it on SQLite.
_BY_IDEMPOTENCY_KEY = select(_OP_TABLE).where(
    _OP_TABLE.c.actor == bindparam("actor"), _OP_TABLE.c.idempotency_key == bindparam("key")
)
_BY_DEDUPE_KEY = select(_OP_TABLE).where(_OP_TABLE.c.dedupe_key == bindparam("key"))
_BY_ATTEMPT_KEY = select(_OP_TABLE).where(_OP_TABLE.c.attempt_key == bindparam("key"))
_PENDING_OF_ACTOR = (
    select(_OP_TABLE.c.id)
    # `actor || ''` keeps SQLite off the actor index, which walks the actor's whole history;
    # the few pending operations are found by the status index instead.
    .where(
        _OP_TABLE.c.status.in_(("accepted", "sent", "included")),
        _OP_TABLE.c.actor.concat("") == bindparam("actor"),
    )
    .limit(1)
)
_PENDING_OF_ACTOR_IN_PROJECT = _PENDING_OF_ACTOR.where(
    _OP_TABLE.c.project_id == bindparam("project_id")
)
# Several rows in one statement; a row that clashes with a unique key is skipped, and
# RETURNING names the rows stored.
_INSERT_NEW_OPERATIONS = {
    "sqlite": _sqlite_insert(_OP_TABLE).on_conflict_do_nothing().returning(_OP_TABLE.c.id),
    "postgresql": _postgresql_insert(_OP_TABLE).on_conflict_do_nothing().returning(_OP_TABLE.c.id),
}


# ------------------------------------------------------------------------------- credentials


class ApiKeyRow(Base):
    """An API key: only its SHA-256 is kept; the plaintext was shown once at issue."""

    __tablename__ = "api_keys"
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str | None] = mapped_column(String(42), index=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)
    replaced_by: Mapped[str | None] = mapped_column(String(32), ForeignKey("api_keys.key_id"))


class AuditorGrantRow(Base):
    """A project's coordinator let an auditor (or admin) key read the project; kept after it
    is revoked, so that who could read what, granted by whom and when, stays on record."""

    __tablename__ = "auditor_grants"
    __table_args__ = (
        # At most one grant in force per project and key.
        Index(
            "uq_auditor_grant_active",
            "project_id",
            "key_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_auditor_grants_key", "key_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(32), ForeignKey("api_keys.key_id"))
    granted_by: Mapped[str] = mapped_column(String(42))
    granted_by_key: Mapped[str | None] = mapped_column(String(32))
    granted_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)
    revoked_by: Mapped[str | None] = mapped_column(String(42))


_GRANT_TABLE = cast(Table, AuditorGrantRow.__table__)
_GRANTED_PROJECTS = select(_GRANT_TABLE.c.project_id).where(
    _GRANT_TABLE.c.key_id == bindparam("key_id"), _GRANT_TABLE.c.revoked_at.is_(None)
)
_HAS_GRANT = _GRANTED_PROJECTS.where(_GRANT_TABLE.c.project_id == bindparam("project_id")).limit(1)

# ----------------------------------------------------------------------------- sealed records


class SealedRecordRow(Base):
    """A contribution card or a dispute reason, sealed with AES-256-GCM (`ledger.sealing`).

    `record_id` names the contribution and the record's hash (`card:<contribution id>:<card
    hash>`, `reason:<contribution id>:<reason hash>`) and is the cipher's associated data: a
    record is found by the hash the chain holds, and a row is never replaced, so an altered
    row either fails to decrypt or hashes to something the partner did not sign.
    """

    __tablename__ = "sealed_records"
    record_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[int] = mapped_column(BigInteger)
    # The contribution the record is about.
    subject: Mapped[str] = mapped_column(String(66), index=True)
    record_hash: Mapped[str] = mapped_column(String(66))
    key_id: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[float] = mapped_column(Float)


_SEALED_TABLE = cast(Table, SealedRecordRow.__table__)

# The durable tables: nothing else has them. Everything else is the index, rebuilt from the chain.
_OUTBOX_TABLES: list[Table] = [
    _OP_TABLE,
    cast(Table, ApiKeyRow.__table__),
    _GRANT_TABLE,
    _SEALED_TABLE,
]
_INDEX_TABLES: list[Table] = [
    t for t in Base.metadata.sorted_tables if t.name not in {o.name for o in _OUTBOX_TABLES}
]


# ------------------------------------------------------------------------------ domain values


@dataclass(frozen=True)
class Cursor:
    """The follower's position."""

    block_number: int
    block_hash: str
    updated_at: float


@dataclass(frozen=True)
class PartnerRecord:
    address: str
    active: bool
    accepted_version: int
    joined_block: int


@dataclass(frozen=True)
class ProjectRecord:
    project_id: int
    coordinator: str
    agreement_version: int
    agreement_hash: str
    policy_version: int
    policy_hash: str
    in_force: bool
    created_block: int
    created_tx: str
    partners: tuple[PartnerRecord, ...]


@dataclass(frozen=True)
class PolicyRecord:
    project_id: int
    version: int
    policy_hash: str
    policy_json: str
    block_number: int


@dataclass(frozen=True)
class ContributionRecord:
    contribution_id: str
    project_id: int
    contributor: str
    commitment: str
    origin: int
    category: int
    value: int
    parents: tuple[str, ...]
    supersedes: str
    superseded_by: str | None
    batch_id: str
    registered_at: int
    uri: str
    status: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    seq: int


@dataclass(frozen=True)
class ContributionFilter:
    """Filters of `Store.list_contributions`; None means "any"."""

    project_id: int | None = None
    contributor: str | None = None
    status: int | None = None
    origin: int | None = None
    category: int | None = None
    batch_id: str | None = None
    commitment: str | None = None
    # Only these projects (the caller's visible ones); None means every project.
    project_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; `next_cursor` is None on the last page."""

    items: tuple[T, ...]
    next_cursor: int | None


@dataclass(frozen=True)
class IdentityRecord:
    address: str
    name: str
    company_number: str
    block_number: int


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str
    key_hash: str
    partner: str | None
    role: str
    label: str
    created_at: float
    revoked_at: float | None
    replaced_by: str | None


@dataclass(frozen=True)
class AuditorGrantRecord:
    """A grant of read access to one project for one auditor (or admin) key."""

    id: int
    project_id: int
    key_id: str
    granted_by: str
    granted_by_key: str | None
    granted_at: float
    revoked_at: float | None
    revoked_by: str | None


@dataclass(frozen=True)
class SealedRecord:
    """A sealed card or reason as stored (see `SealedRecordRow`)."""

    record_id: str
    kind: str
    project_id: int
    subject: str
    record_hash: str
    key_id: str
    nonce: bytes
    ciphertext: bytes
    created_by: str
    created_at: float


@dataclass(frozen=True)
class OperationRecord:
    id: str
    kind: str
    actor: str
    project_id: int | None
    api_key_id: str | None
    idempotency_key: str | None
    request_hash: str
    dedupe_key: str | None
    payload_json: str
    meta_json: str | None
    status: str
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    result_json: str | None
    error_code: str | None
    error_message: str | None
    attempts: int
    created_at: float
    updated_at: float
    sent_at: float | None
    mined_at: float | None
    attempt_key: str | None = None


@dataclass(frozen=True)
class OperationMatches:
    """The stored operations a new request may repeat, by what they share with it."""

    #: The caller's operation with the request's Idempotency-Key.
    by_idempotency_key: OperationRecord | None = None
    #: The operation of the request's partner signature.
    by_attempt_key: OperationRecord | None = None
    #: The live (pending or confirmed) operation of the request's on-chain action.
    by_dedupe_key: OperationRecord | None = None

    @property
    def any(self) -> OperationRecord | None:
        """The first match, in that order."""
        return self.by_idempotency_key or self.by_attempt_key or self.by_dedupe_key


@dataclass(frozen=True)
class StoredEvent:
    """An event as the index keeps it."""

    seq: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    contract: str
    name: str
    project_id: int | None
    args_json: str


@dataclass(frozen=True)
class ProposalRecord:
    """A governance proposal and who approved it."""

    proposal_id: int
    project_id: int
    proposer: str
    kind: int
    data: str
    approvals: tuple[str, ...]
    executed: bool
    block_number: int


@dataclass(frozen=True)
class EndorsementRecord:
    """One partner's endorsement (rating 1..5) of a contribution."""

    contribution_id: str
    endorser: str
    project_id: int
    rating: int
    block_number: int


@dataclass(frozen=True)
class DisputeVote:
    voter: str
    uphold: bool


@dataclass(frozen=True)
class DisputeRecord:
    """A dispute of a contribution, its votes and outcome (0 while open)."""

    contribution_id: str
    number: int
    project_id: int
    disputer: str
    reason_hash: str
    eligible_voters: int
    votes: tuple[DisputeVote, ...]
    outcome: int
    block_number: int


@dataclass(frozen=True)
class SplitProposalRecord:
    """A split proposal of the vault; `split_version` once finalized."""

    proposal_id: int
    project_id: int
    proposer: str
    partners: tuple[str, ...]
    bps: tuple[int, ...]
    policy_version: int
    computed_at_block: int
    input_set_hash: str
    approvals: tuple[str, ...]
    split_version: int | None
    block_number: int


# -------------------------------------------------------------------------------- the store


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while the follower or the worker writes. NORMAL sync (no fsync
    # per commit) survives a crash of the process but may lose the newest commits on a power
    # cut: fine for the index (rebuilt from the chain) and the worker's progress (an operation
    # that falls back to "accepted" is sent again, and the contract refuses the repeat).
    # Accepting an operation is the promise to the client: `_accept_pragmas`.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _accept_pragmas(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    # The connection that stores accepted operations syncs the WAL to disk on every commit:
    # a 202 survives a power cut too. Group commit (`Store.add_operation`) pays one fsync
    # for every request that arrived during the previous one.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


@dataclass
class _PendingInsert:
    """An operation waiting in `Store.add_operation`'s group commit."""

    op: OperationRecord
    done: bool = False
    stored: bool = False
    error: str | None = None


def _parses(url: str) -> bool:
    try:
        make_url(url)
    except SQLAlchemyError:
        return False
    return True


def _is_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def _insert_ignoring_clashes(dialect: str, table: Table) -> Any:
    """An INSERT of `table` that skips rows clashing with a unique key."""
    if dialect == "sqlite":
        return _sqlite_insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return _postgresql_insert(table).on_conflict_do_nothing()
    raise StoreError(f"copying rows on {dialect} is not supported")


INDEX_FILE = "index.sqlite3"
OUTBOX_FILE = "outbox.sqlite3"

# SQLite's words for a file it cannot read as a database (SQLITE_NOTADB, SQLITE_CORRUPT).
_CORRUPT_MARKERS = ("file is not a database", "database disk image is malformed")


def default_outbox_path(index_path: Path) -> Path:
    """Where the outbox lives beside a SQLite index file: `outbox.sqlite3` next to
    `index.sqlite3`, `<name>.outbox.sqlite3` next to any other `<name>.sqlite3`."""
    if index_path.name == INDEX_FILE:
        return index_path.with_name(OUTBOX_FILE)
    return index_path.with_name(f"{index_path.stem}.outbox{index_path.suffix or '.sqlite3'}")


class _Database:
    """One database of the store: its engines and, on SQLite, its writers' locks.

    `holds` names the groups of tables it keeps ("index", "outbox"), for error messages.
    """

    def __init__(self, url: str, *, holds: tuple[str, ...], echo: bool) -> None:
        self.url = url
        self.holds = holds
        try:
            parsed = make_url(url)
        except SQLAlchemyError as exc:
            raise ConfigurationError(f"invalid database URL: {exc}") from exc
        self.dialect = parsed.get_backend_name()
        self.path: Path | None = None
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if parsed.database in (None, "", ":memory:"):
                # One shared connection, or every thread would see its own empty database.
                kwargs["poolclass"] = StaticPool
            else:
                self.path = Path(parsed.database)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Enough pooled connections for the request threads: opening one runs pragmas.
                kwargs["pool_size"] = 40
                kwargs["max_overflow"] = 20
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = 20
            kwargs["max_overflow"] = 40
        self.existed = self.path is None or self.path.exists()
        self.engine: Engine = create_engine(url, **kwargs)
        # Accepted operations are stored through their own connection (`Store.add_operation`).
        self.accept_engine = self.engine
        # SQLite allows one writer. Our writers queue on a lock rather than on SQLite's busy
        # handler, which polls with sleeps of up to 100 ms: in this process a mutex, across
        # the processes sharing the file (uvicorn workers) an flock next to it, whose waiters
        # the kernel wakes the moment it is released.
        self.write_lock = threading.RLock() if self.dialect == "sqlite" else None
        self._write_depth = 0
        self._lock_file: IO[bytes] | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            if self.path is not None:
                if "outbox" in holds:
                    self.accept_engine = create_engine(
                        url, echo=echo, connect_args=kwargs["connect_args"], pool_size=1
                    )
                    event.listen(self.accept_engine, "connect", _accept_pragmas)
                # Open for the life of the store (closed by `close`).
                self._lock_file = Path(f"{self.path}-writer.lock").open("ab")  # noqa: SIM115
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()
        if self.accept_engine is not self.engine:
            self.accept_engine.dispose()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def error(self, exc: SQLAlchemyError) -> StoreError:
        """Our exception for a driver error on this database."""
        text = str(getattr(exc, "orig", None) or exc)
        if self.path is not None and any(marker in text for marker in _CORRUPT_MARKERS):
            return CorruptDatabaseError(self, text)
        return StoreError(f"database error: {exc}")

    @contextmanager
    def translating(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise self.error(exc) from exc

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Hold the writers' locks (SQLite) and translate driver errors."""
        with self.translating():
            if self.write_lock is None:
                yield
            else:
                with self.write_lock, self._file_lock():
                    yield

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """The cross-process writer lock; taken with `write_lock` held (and re-entrant with
        it: an flock belongs to the open file, so only the outermost level may unlock)."""
        if self._lock_file is None:
            yield
            return
        self._write_depth += 1
        try:
            if self._write_depth == 1:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
            yield
        finally:
            self._write_depth -= 1
            if self._write_depth == 0:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A Core connection for hot-path reads (no ORM session overhead)."""
        with self.translating(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (no commit)."""
        with self.translating(), self.sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed on success, rolled back on error."""
        with self.guard(), self.sessions() as session, session.begin():
            yield session

    def table_names(self) -> set[str]:
        with self.translating(), self.engine.connect() as conn:
            return set(inspect(conn).get_table_names())


def _upgrade_operations(database: _Database) -> None:
    """Bring an `operations` table written by an older release up to this one (idempotent,
    run at every open): add the `attempt_key` column with its unique index, and have failed
    operations let go of their action (`dedupe_key`), which older releases kept, so that one
    failed attempt blocked every new one."""
    if _OP_TABLE.name not in database.table_names():
        return
    with database.guard(), database.engine.begin() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns(_OP_TABLE.name)}
        if "attempt_key" not in columns:
            # Other processes opening the store at the same time: SQLite's writers queue on the
            # guard's file lock; PostgreSQL's skip what another one already did.
            maybe = " IF NOT EXISTS" if database.dialect == "postgresql" else ""
            conn.execute(text(f"ALTER TABLE operations ADD COLUMN{maybe} attempt_key VARCHAR(80)"))
            conn.execute(
                text(
                    "CREATE UNIQUE INDEX IF NOT EXISTS uq_operations_attempt_key "
                    "ON operations (attempt_key)"
                )
            )
        conn.execute(
            _OP_TABLE.update()
            .where(_OP_TABLE.c.status == "failed", _OP_TABLE.c.dedupe_key.is_not(None))
            .values(dedupe_key=None)
        )


class CorruptDatabaseError(StoreError):
    """Raised when a SQLite file of the store is not a readable database (damaged, or not
    SQLite at all); the message names the file and what to do about it."""

    def __init__(self, database: _Database, detail: str) -> None:
        self.path = database.path
        self.holds = database.holds
        super().__init__(_corrupt_advice(database, detail))


def _corrupt_advice(database: _Database, detail: str) -> str:
    path = database.path
    head = f"the database file {path} cannot be read ({detail})."
    if database.holds == ("index",):
        outbox = default_outbox_path(path) if path is not None else None
        lines = [
            head,
            "It holds only the index, which is rebuilt from the chain: with the service "
            f"stopped, move the file aside (and its -wal and -shm files, if any), e.g. `mv {path} "
            f"{path}.corrupt`, or delete it, then start again.",
        ]
        if database.existed and outbox is not None and not outbox.exists():
            lines.append(
                f"Careful: there is no {outbox.name} beside it. A data directory from before "
                "the outbox had its own file keeps in this one the writes accepted but not yet "
                "on chain and the API keys: moving it aside loses those (keys can be issued "
                "again; the lost writes cannot)."
            )
        else:
            lines.append(
                "Nothing else is lost: writes accepted but not yet on chain and the API keys "
                "are in the outbox database" + (f" {outbox}." if outbox is not None else ".")
            )
        return "\n".join(lines)
    return "\n".join(
        [
            head,
            "It holds the outbox (writes accepted but not yet on chain) and the API keys, which "
            "the chain cannot give back: do not delete it. Stop the service and restore it "
            "from a backup, or salvage it with `sqlite3 "
            f"{path} .recover`. Only as a last resort move it aside: the writes it holds are "
            "then lost (their clients were answered 202) and API keys must be issued again.",
        ]
    )


class Store:
    """The index database and the outbox database behind one interface; thread-safe.

    `url` names the index's database. `outbox_url` names the durable one (outbox and API
    keys); by default, beside a SQLite index file, `default_outbox_path` of it; on
    PostgreSQL and in memory, the index's own database. No method writes to both.
    """

    def __init__(self, url: str, *, outbox_url: str | None = None, echo: bool = False) -> None:
        self.url = url
        index_url = make_url(url) if _parses(url) else None
        if outbox_url is None and index_url is not None and _is_sqlite_file(index_url):
            outbox_path = default_outbox_path(Path(str(index_url.database)))
            outbox_url = index_url.set(database=str(outbox_path)).render_as_string(
                hide_password=False
            )
        if outbox_url is None or outbox_url == url:
            self._index = _Database(url, holds=("index", "outbox"), echo=echo)
            self._outbox = self._index
        else:
            self._index = _Database(url, holds=("index",), echo=echo)
            self._outbox = _Database(outbox_url, holds=("outbox",), echo=echo)
        self.outbox_url = self._outbox.url
        self.dialect = self._index.dialect
        self.engine: Engine = self._index.engine
        self._accepting = threading.Condition()
        self._accept_queue: list[_PendingInsert] = []
        self._accept_busy = False

    @classmethod
    def open(cls, url: str, *, outbox_url: str | None = None) -> Store:
        """Connect, create missing tables and adopt an old single-file layout's outbox."""
        store = cls(url, outbox_url=outbox_url)
        try:
            store.create_all()
        except BaseException:
            store.close()
            raise
        return store

    def create_all(self) -> None:
        """Create every table that does not exist yet, each in its own database."""
        if self._outbox is self._index:
            with self._index.guard():
                Base.metadata.create_all(self._index.engine)
            _upgrade_operations(self._index)
            return
        with self._index.guard():
            Base.metadata.create_all(self._index.engine, tables=_INDEX_TABLES)
        with self._outbox.guard():
            Base.metadata.create_all(self._outbox.engine, tables=_OUTBOX_TABLES)
        _upgrade_operations(self._outbox)
        _upgrade_operations(self._index)  # an old single-file layout's, before adopting it
        self._adopt_single_file_outbox()

    def _adopt_single_file_outbox(self) -> None:
        """Move the outbox and API keys out of an index database written when both lived in
        one file: copy the rows (a row already there is kept), commit them durably, then drop
        the old tables. Interrupted anywhere, the next start does it again."""
        names = {t.name for t in _OUTBOX_TABLES}
        if not names & self._index.table_names():
            return
        with self._outbox.guard(), self._index.guard():
            legacy = [t for t in _OUTBOX_TABLES if t.name in self._index.table_names()]
            if not legacy:
                return
            moved: dict[str, int] = {}
            with self._index.engine.connect() as source, self._outbox.accept_engine.begin() as dest:
                for table in legacy:
                    rows = [dict(r) for r in source.execute(select(table)).mappings()]
                    moved[table.name] = len(rows)
                    # A key names the key that replaced it: link them once all are in.
                    links = [
                        {"k": r["key_id"], "by": r["replaced_by"]}
                        for r in rows
                        if r.get("replaced_by") is not None
                    ]
                    if links:
                        rows = [{**r, "replaced_by": None} for r in rows]
                    for start in range(0, len(rows), 1000):
                        dest.execute(
                            _insert_ignoring_clashes(self._outbox.dialect, table),
                            rows[start : start + 1000],
                        )
                    if links:
                        dest.execute(
                            update(table)
                            .where(table.c.key_id == bindparam("k"), table.c.replaced_by.is_(None))
                            .values(replaced_by=bindparam("by")),
                            links,
                        )
            for table in reversed(legacy):
                table.drop(self._index.engine)
        log.warning(
            "moved %s from the index database %s to the outbox database %s",
            ", ".join(f"{n} {name}" for name, n in moved.items()),
            self._index.path or self._index.url,
            self._outbox.path or self._outbox.url,
        )

    def drop_all(self) -> None:
        """Drop every table (tests and `rebuild --all`)."""
        if self._outbox is self._index:
            with self._index.guard():
                Base.metadata.drop_all(self._index.engine)
            return
        with self._index.guard():
            Base.metadata.drop_all(self._index.engine, tables=_INDEX_TABLES)
        with self._outbox.guard():
            Base.metadata.drop_all(self._outbox.engine, tables=_OUTBOX_TABLES)

    def close(self) -> None:
        """Release the connection pools."""
        self._index.close()
        if self._outbox is not self._index:
            self._outbox.close()

    def ping(self) -> bool:
        """Whether the databases answer."""
        try:
            for database in {id(d): d for d in (self._index, self._outbox)}.values():
                with database.session() as session:
                    session.execute(select(1))
            return True
        except StoreError:
            return False

    @property
    def index_path(self) -> Path | None:
        """The index's SQLite file (None on other databases)."""
        return self._index.path

    @property
    def outbox_path(self) -> Path | None:
        """The outbox's SQLite file (None on other databases)."""
        return self._outbox.path

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A Core connection to the index's database."""
        with self._index.read() as conn:
            yield conn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session on the index's database (no commit)."""
        with self._index.session() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session on the index's database, committed on success."""
        with self._index.transaction() as session:
            yield session

    # ------------------------------------------------------------------------- index: cursor

    def cursor(self, name: str = "main") -> Cursor | None:
        """The follower's position, or None before the first sync."""
        with self.session() as session:
            row = session.get(IndexCursor, name)
            return None if row is None else Cursor(row.block_number, row.block_hash, row.updated_at)

    def checkpoints(self, below_or_at: int) -> list[tuple[int, str]]:
        """Known (number, hash) pairs at or below a height, newest first (events + cursors)."""
        with self.session() as session:
            points = {
                (n, h)
                for n, h in session.execute(
                    select(IndexCheckpoint.block_number, IndexCheckpoint.block_hash).where(
                        IndexCheckpoint.block_number <= below_or_at
                    )
                )
            }
            points.update(
                (n, h)
                for n, h in session.execute(
                    select(EventRow.block_number, EventRow.block_hash)
                    .where(EventRow.block_number <= below_or_at)
                    .distinct()
                    .order_by(EventRow.block_number.desc())
                    .limit(256)
                )
            )
        return sorted(points, reverse=True)

    def append_events(
        self,
        events: Sequence[StoredEvent],
        *,
        to_block: int,
        to_hash: str,
        keep_checkpoints: int = 64,
    ) -> None:
        """Fold `events` (in chain order) into the index and move the cursor to `to_block`."""
        with self.transaction() as session:
            for item in events:
                row = EventRow(
                    block_number=item.block_number,
                    block_hash=item.block_hash,
                    tx_hash=item.tx_hash,
                    log_index=item.log_index,
                    contract=item.contract,
                    name=item.name,
                    project_id=item.project_id,
                    args_json=item.args_json,
                )
                session.add(row)
                _apply(session, item)
            _set_cursor(session, to_block, to_hash)
            session.merge(IndexCheckpoint(block_number=to_block, block_hash=to_hash))
            session.execute(
                delete(IndexCheckpoint).where(IndexCheckpoint.block_number < to_block - 10_000)
            )
            count = session.scalar(select(func.count()).select_from(IndexCheckpoint)) or 0
            if count > keep_checkpoints:
                oldest = session.scalars(
                    select(IndexCheckpoint.block_number)
                    .order_by(IndexCheckpoint.block_number.desc())
                    .offset(keep_checkpoints)
                ).all()
                session.execute(
                    delete(IndexCheckpoint).where(IndexCheckpoint.block_number.in_(oldest))
                )

    def rewind(self, to_block: int, to_hash: str) -> int:
        """Forget every event after `to_block` and replay the rest; return events dropped."""
        with self.transaction() as session:
            dropped = _rowcount(
                session.execute(delete(EventRow).where(EventRow.block_number > to_block))
            )
            session.execute(delete(IndexCheckpoint).where(IndexCheckpoint.block_number > to_block))
            _replay(session)
            _set_cursor(session, to_block, to_hash)
            return int(dropped or 0)

    def reset_index(self) -> None:
        """Forget the whole index (events, projections, cursor): `rebuild` starts from here."""
        with self.transaction() as session:
            for table in (*PROJECTION_TABLES, EventRow, IndexCheckpoint, IndexCursor):
                session.execute(delete(cast(Any, table)))

    def events(
        self, *, project_id: int | None = None, after_seq: int = 0, limit: int = 1000
    ) -> tuple[StoredEvent, ...]:
        """Indexed events in chain order (for scoring, statements and exports)."""
        with self.session() as session:
            query = select(EventRow).where(EventRow.seq > after_seq)
            if project_id is not None:
                query = query.where(EventRow.project_id == project_id)
            rows = session.scalars(query.order_by(EventRow.seq).limit(limit)).all()
            return tuple(_event_record(r) for r in rows)

    # -------------------------------------------------------------------------- index: reads

    def project(self, project_id: int) -> ProjectRecord | None:
        """A project with its partners, or None if the index does not know it."""
        with self.session() as session:
            row = session.get(ProjectRow, project_id)
            if row is None:
                return None
            return _project_record(session, row)

    def list_projects(
        self,
        *,
        partner: str | None = None,
        only: frozenset[int] | None = None,
        after: int = 0,
        limit: int = 50,
    ) -> Page[ProjectRecord]:
        """Projects by id, optionally only those where `partner` is (or was) a member, and
        only those in `only` (None: any)."""
        with self.session() as session:
            query = select(ProjectRow).where(ProjectRow.project_id > after)
            if partner is not None:
                members = select(PartnerRow.project_id).where(PartnerRow.address == partner)
                query = query.where(ProjectRow.project_id.in_(members))
            if only is not None:
                query = query.where(ProjectRow.project_id.in_(sorted(only)))
            rows = session.scalars(query.order_by(ProjectRow.project_id).limit(limit + 1)).all()
            items = tuple(_project_record(session, r) for r in rows[:limit])
            more = len(rows) > limit
            return Page(items, items[-1].project_id if more and items else None)

    def member_projects(self, address: str) -> frozenset[int]:
        """The projects `address` is or was a partner of (a removed partner stays listed)."""
        with self._read() as conn:
            rows = conn.execute(
                select(PartnerRow.project_id).where(PartnerRow.address == address)
            ).scalars()
            return frozenset(int(r) for r in rows)

    def is_member(self, project_id: int, address: str) -> bool:
        """Whether `address` is or was a partner of the project."""
        with self._read() as conn:
            row = conn.execute(
                select(PartnerRow.active).where(
                    PartnerRow.project_id == project_id, PartnerRow.address == address
                )
            ).first()
            return row is not None

    def policies(self, project_id: int) -> tuple[PolicyRecord, ...]:
        """Every policy version of a project, oldest first."""
        with self.session() as session:
            rows = session.scalars(
                select(PolicyRow)
                .where(PolicyRow.project_id == project_id)
                .order_by(PolicyRow.version)
            ).all()
            return tuple(
                PolicyRecord(r.project_id, r.version, r.policy_hash, r.policy_json, r.block_number)
                for r in rows
            )

    def contribution(self, contribution_id: str) -> ContributionRecord | None:
        """A contribution by id (0x-hex), or None."""
        with self.session() as session:
            row = session.scalar(
                select(ContributionRow).where(
                    ContributionRow.contribution_id == contribution_id.lower()
                )
            )
            return None if row is None else _contribution_record(row)

    def list_contributions(
        self, where: ContributionFilter, *, after: int = 0, limit: int = 50
    ) -> Page[ContributionRecord]:
        """Contributions in chain order after cursor `after`, filtered."""
        with self.session() as session:
            query = select(ContributionRow).where(ContributionRow.seq > after)
            if where.project_id is not None:
                query = query.where(ContributionRow.project_id == where.project_id)
            if where.contributor is not None:
                query = query.where(ContributionRow.contributor == where.contributor)
            if where.status is not None:
                query = query.where(ContributionRow.status == where.status)
            if where.origin is not None:
                query = query.where(ContributionRow.origin == where.origin)
            if where.category is not None:
                query = query.where(ContributionRow.category == where.category)
            if where.batch_id is not None:
                query = query.where(ContributionRow.batch_id == where.batch_id.lower())
            if where.commitment is not None:
                query = query.where(ContributionRow.commitment == where.commitment.lower())
            if where.project_ids is not None:
                query = query.where(ContributionRow.project_id.in_(sorted(where.project_ids)))
            rows = session.scalars(query.order_by(ContributionRow.seq).limit(limit + 1)).all()
            items = tuple(_contribution_record(r) for r in rows[:limit])
            more = len(rows) > limit
            return Page(items, items[-1].seq if more and items else None)

    def count_contributions(self, project_id: int | None = None) -> int:
        """How many contributions the index holds (in one project, or overall)."""
        with self.session() as session:
            query = select(func.count()).select_from(ContributionRow)
            if project_id is not None:
                query = query.where(ContributionRow.project_id == project_id)
            return int(session.scalar(query) or 0)

    def identity(self, address: str) -> IdentityRecord | None:
        """The latest identity `address` declared on chain."""
        with self.session() as session:
            row = session.get(IdentityRow, address)
            if row is None:
                return None
            return IdentityRecord(row.address, row.name, row.company_number, row.block_number)

    def proposals(self, project_id: int) -> tuple[ProposalRecord, ...]:
        """The project's governance proposals, oldest first."""
        with self.session() as session:
            rows = session.scalars(
                select(ProposalRow)
                .where(ProposalRow.project_id == project_id)
                .order_by(ProposalRow.proposal_id)
            ).all()
            return tuple(_proposal_record(r) for r in rows)

    def proposal(self, proposal_id: int) -> ProposalRecord | None:
        """A governance proposal by id (ids are global to the deployment)."""
        with self.session() as session:
            row = session.get(ProposalRow, proposal_id)
            return None if row is None else _proposal_record(row)

    def endorsements(self, contribution_id: str) -> tuple[EndorsementRecord, ...]:
        """A contribution's endorsements in chain order."""
        with self.session() as session:
            rows = session.scalars(
                select(EndorsementRow)
                .where(EndorsementRow.contribution_id == contribution_id.lower())
                .order_by(EndorsementRow.block_number, EndorsementRow.endorser)
            ).all()
            return tuple(
                EndorsementRecord(
                    r.contribution_id, r.endorser, r.project_id, r.rating, r.block_number
                )
                for r in rows
            )

    def disputes(self, contribution_id: str) -> tuple[DisputeRecord, ...]:
        """A contribution's disputes, oldest first."""
        with self.session() as session:
            rows = session.scalars(
                select(DisputeRow)
                .where(DisputeRow.contribution_id == contribution_id.lower())
                .order_by(DisputeRow.number)
            ).all()
            return tuple(_dispute_record(r) for r in rows)

    def split_proposals(self, project_id: int) -> tuple[SplitProposalRecord, ...]:
        """The project's split proposals, oldest first."""
        with self.session() as session:
            rows = session.scalars(
                select(SplitRow)
                .where(SplitRow.project_id == project_id)
                .order_by(SplitRow.proposal_id)
            ).all()
            return tuple(_split_record(r) for r in rows)

    def revenue_tokens(self, project_id: int) -> tuple[str, ...]:
        """The tokens (zero address: ETH) the project ever received revenue in."""
        with self.session() as session:
            rows = session.scalars(
                select(MoneyRow.token)
                .where(MoneyRow.project_id == project_id, MoneyRow.kind == "revenue")
                .distinct()
                .order_by(MoneyRow.token)
            ).all()
            return tuple(rows)

    # ------------------------------------------------------------------------------ api keys

    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Store a new API key (hash only)."""
        with self._outbox.transaction() as session:
            session.add(
                ApiKeyRow(
                    key_id=record.key_id,
                    key_hash=record.key_hash,
                    partner=record.partner,
                    role=record.role,
                    label=record.label,
                    created_at=record.created_at,
                    revoked_at=record.revoked_at,
                    replaced_by=record.replaced_by,
                )
            )

    def api_key(self, key_id: str) -> ApiKeyRecord | None:
        """An API key by id (Core query: this runs on every request)."""
        table = ApiKeyRow.__table__
        with self._outbox.read() as conn:
            row = conn.execute(select(table).where(table.c.key_id == key_id)).mappings().first()
        return None if row is None else ApiKeyRecord(**dict(row))

    def api_keys(self, partner: str | None = None) -> tuple[ApiKeyRecord, ...]:
        """API keys, of one partner or all, oldest first."""
        with self._outbox.session() as session:
            query = select(ApiKeyRow)
            if partner is not None:
                query = query.where(ApiKeyRow.partner == partner)
            rows = session.scalars(query.order_by(ApiKeyRow.created_at)).all()
            return tuple(_key_record(r) for r in rows)

    def revoke_api_key(self, key_id: str, *, replaced_by: str | None = None) -> bool:
        """Revoke a key now; return False if it was unknown or already revoked."""
        with self._outbox.transaction() as session:
            result = session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
                .values(revoked_at=time.time(), replaced_by=replaced_by)
            )
            return bool(_rowcount(result))

    # ------------------------------------------------------------------------- auditor grants

    def add_auditor_grant(
        self,
        project_id: int,
        key_id: str,
        *,
        granted_by: str,
        granted_by_key: str | None,
        at: float | None = None,
    ) -> tuple[AuditorGrantRecord, bool]:
        """Grant key `key_id` read access to the project; return the grant in force and
        whether it is new (granting again keeps the first grant)."""
        with self._outbox.transaction() as session:
            existing = session.scalar(
                select(AuditorGrantRow).where(
                    AuditorGrantRow.project_id == project_id,
                    AuditorGrantRow.key_id == key_id,
                    AuditorGrantRow.revoked_at.is_(None),
                )
            )
            if existing is not None:
                return _grant_record(existing), False
            row = AuditorGrantRow(
                project_id=project_id,
                key_id=key_id,
                granted_by=granted_by,
                granted_by_key=granted_by_key,
                granted_at=time.time() if at is None else at,
                revoked_at=None,
                revoked_by=None,
            )
            session.add(row)
            session.flush()
            return _grant_record(row), True

    def revoke_auditor_grant(
        self, project_id: int, key_id: str, *, revoked_by: str
    ) -> AuditorGrantRecord | None:
        """End the grant in force of `key_id` on the project; None if there is none."""
        with self._outbox.transaction() as session:
            row = session.scalar(
                select(AuditorGrantRow).where(
                    AuditorGrantRow.project_id == project_id,
                    AuditorGrantRow.key_id == key_id,
                    AuditorGrantRow.revoked_at.is_(None),
                )
            )
            if row is None:
                return None
            row.revoked_at = time.time()
            row.revoked_by = revoked_by
            session.flush()
            return _grant_record(row)

    def auditor_grants(self, project_id: int) -> tuple[AuditorGrantRecord, ...]:
        """Every grant of the project, the revoked ones included, oldest first."""
        with self._outbox.session() as session:
            rows = session.scalars(
                select(AuditorGrantRow)
                .where(AuditorGrantRow.project_id == project_id)
                .order_by(AuditorGrantRow.id)
            ).all()
            return tuple(_grant_record(r) for r in rows)

    def granted_projects(self, key_id: str) -> frozenset[int]:
        """The projects key `key_id` holds a grant in force on."""
        with self._outbox.read() as conn:
            rows = conn.execute(_GRANTED_PROJECTS, {"key_id": key_id}).scalars()
            return frozenset(int(r) for r in rows)

    def has_auditor_grant(self, project_id: int, key_id: str) -> bool:
        """Whether key `key_id` holds a grant in force on the project."""
        with self._outbox.read() as conn:
            params = {"key_id": key_id, "project_id": project_id}
            return conn.execute(_HAS_GRANT, params).first() is not None

    def carry_auditor_grants(self, from_key: str, to_key: str) -> int:
        """Give `to_key` (a rotation's replacement) the grants in force of `from_key`, with
        their granter and time; return how many."""
        with self._outbox.transaction() as session:
            rows = session.scalars(
                select(AuditorGrantRow).where(
                    AuditorGrantRow.key_id == from_key, AuditorGrantRow.revoked_at.is_(None)
                )
            ).all()
            for row in rows:
                session.add(
                    AuditorGrantRow(
                        project_id=row.project_id,
                        key_id=to_key,
                        granted_by=row.granted_by,
                        granted_by_key=row.granted_by_key,
                        granted_at=row.granted_at,
                        revoked_at=None,
                        revoked_by=None,
                    )
                )
            return len(rows)

    # ------------------------------------------------------------------------ sealed records

    def add_sealed_record(self, record: SealedRecord) -> tuple[SealedRecord, bool]:
        """Store `record` unless a record with its id exists; return the stored one and
        whether it is new. A record is never replaced: its id names its hash. Synced to disk
        like an accepted operation (on SQLite): the write that names its hash may follow."""
        values = dataclasses.asdict(record)
        with self._outbox.guard(), self._outbox.accept_engine.begin() as conn:
            inserted = conn.execute(
                _insert_ignoring_clashes(self._outbox.dialect, _SEALED_TABLE), [values]
            )
            created = _rowcount(inserted) == 1
            row = (
                conn.execute(
                    select(_SEALED_TABLE).where(_SEALED_TABLE.c.record_id == record.record_id)
                )
                .mappings()
                .one()
            )
        return SealedRecord(**row), created

    def sealed_record(self, record_id: str) -> SealedRecord | None:
        """The sealed record with this id, if any."""
        with self._outbox.read() as conn:
            row = (
                conn.execute(select(_SEALED_TABLE).where(_SEALED_TABLE.c.record_id == record_id))
                .mappings()
                .one_or_none()
            )
        return None if row is None else SealedRecord(**row)

    def sealed_records(self, subject: str) -> tuple[SealedRecord, ...]:
        """Every sealed record about contribution `subject`, oldest first."""
        with self._outbox.read() as conn:
            rows = conn.execute(
                select(_SEALED_TABLE)
                .where(_SEALED_TABLE.c.subject == subject)
                .order_by(_SEALED_TABLE.c.created_at, _SEALED_TABLE.c.record_id)
            ).mappings()
            return tuple(SealedRecord(**row) for row in rows)

    def sealed_key_ids(self) -> frozenset[str]:
        """The ids of the keys the stored records were sealed with (empty: no records)."""
        with self._outbox.read() as conn:
            return frozenset(conn.execute(select(_SEALED_TABLE.c.key_id).distinct()).scalars())

    # -------------------------------------------------------------------------------- outbox

    def add_operation(self, op: OperationRecord) -> OperationRecord:
        """Store an accepted operation durably; on an idempotency or dedupe clash return the
        existing one. Returns once the operation is committed (on SQLite: synced to disk).

        Group commit: the thread that finds no commit in progress writes every operation
        queued so far in one transaction while the others wait, so many concurrent requests
        share one commit (and one fsync) instead of queueing for one each. The unique
        constraints decide clashes: of two identical requests one row is stored and the other
        request finds it.
        """
        pending = _PendingInsert(op)
        batch: list[_PendingInsert] = []
        with self._accepting:
            self._accept_queue.append(pending)
            while self._accept_busy and not pending.done:
                self._accepting.wait()
            if not pending.done:
                batch, self._accept_queue = self._accept_queue, []
                self._accept_busy = True
        if batch:
            stored: set[str] = set()
            error: str | None = None
            try:
                stored = self._insert_operations([p.op for p in batch])
            except StoreError as exc:
                error = str(exc)
            finally:
                with self._accepting:
                    for item in batch:
                        item.done, item.stored, item.error = True, item.op.id in stored, error
                    self._accept_busy = False
                    self._accepting.notify_all()
        if pending.error is not None:
            raise StoreError(pending.error)
        if pending.stored:
            return op
        existing = self.find_operation(
            actor=op.actor,
            idempotency_key=op.idempotency_key,
            dedupe_key=op.dedupe_key,
            attempt_key=op.attempt_key,
        )
        if existing is None:
            raise StoreError(f"operation {op.id} clashed with one that cannot be found")
        return existing

    def _insert_operations(self, ops: Sequence[OperationRecord]) -> set[str]:
        """Insert `ops` in one transaction, skipping any that clash; return the ids stored."""
        statement = _INSERT_NEW_OPERATIONS.get(self._outbox.dialect)
        if statement is None:
            raise StoreError(f"storing operations on {self._outbox.dialect} is not supported")
        with self._outbox.guard(), self._outbox.accept_engine.begin() as conn:
            result = conn.execute(statement, [_op_columns(op) for op in ops])
            return {str(op_id) for op_id in result.scalars()}

    def find_operation(
        self,
        *,
        actor: str,
        idempotency_key: str | None = None,
        dedupe_key: str | None = None,
        attempt_key: str | None = None,
    ) -> OperationRecord | None:
        """The operation with this idempotency key (of `actor`), this attempt key or this
        dedupe key (in that order of preference)."""
        return self.matching_operations(
            actor=actor,
            idempotency_key=idempotency_key,
            dedupe_key=dedupe_key,
            attempt_key=attempt_key,
        ).any

    def matching_operations(
        self,
        *,
        actor: str,
        idempotency_key: str | None = None,
        dedupe_key: str | None = None,
        attempt_key: str | None = None,
    ) -> OperationMatches:
        """The operations a request with these keys may repeat, each key looked up alone."""
        lookups = (
            ("by_idempotency_key", _BY_IDEMPOTENCY_KEY, {"actor": actor, "key": idempotency_key}),
            ("by_attempt_key", _BY_ATTEMPT_KEY, {"key": attempt_key}),
            ("by_dedupe_key", _BY_DEDUPE_KEY, {"key": dedupe_key}),
        )
        found: dict[str, OperationRecord | None] = {}
        with self._outbox.read() as conn:
            for name, statement, params in lookups:
                if params["key"] is None:
                    continue
                row = conn.execute(statement, params).mappings().first()
                found[name] = None if row is None else OperationRecord(**dict(row))
        return OperationMatches(**found)

    def release_action(self, op_id: str) -> bool:
        """Let a failed operation go of its action (`dedupe_key`), so that a new attempt can
        take it; False if the operation is not failed or holds none."""
        with self._outbox.guard(), self._outbox.engine.begin() as conn:
            result = conn.execute(
                _OP_TABLE.update()
                .where(
                    _OP_TABLE.c.id == op_id,
                    _OP_TABLE.c.status == "failed",
                    _OP_TABLE.c.dedupe_key.is_not(None),
                )
                .values(dedupe_key=None, updated_at=time.time())
            )
            return bool(_rowcount(result))

    def operation(self, op_id: str) -> OperationRecord | None:
        """An operation by id."""
        with self._outbox.session() as session:
            row = session.get(OperationRow, op_id)
            return None if row is None else _op_record(row)

    def operations_in(
        self, statuses: Sequence[str], *, limit: int = 500, updated_after: float | None = None
    ) -> tuple[OperationRecord, ...]:
        """Operations in any of `statuses` (changed after a time), oldest first."""
        with self._outbox.session() as session:
            query = select(OperationRow).where(OperationRow.status.in_(list(statuses)))
            if updated_after is not None:
                query = query.where(OperationRow.updated_at > updated_after)
            rows = session.scalars(
                query.order_by(OperationRow.created_at, OperationRow.id).limit(limit)
            ).all()
            return tuple(_op_record(r) for r in rows)

    def pending_operations(self, actor: str, project_id: int | None = None) -> int:
        """How many operations of `actor` (in a project) are not final yet."""
        table = OperationRow.__table__
        query = (
            select(func.count())
            .select_from(table)
            .where(table.c.actor == actor, table.c.status.in_(["accepted", "sent", "included"]))
        )
        if project_id is not None:
            query = query.where(table.c.project_id == project_id)
        with self._outbox.read() as conn:
            return int(conn.execute(query).scalar() or 0)

    def has_pending_operation(self, actor: str, project_id: int | None = None) -> bool:
        """Whether `actor` (in a project) has an operation that is not final yet (every
        write asks: a short query however long the actor's history)."""
        query = _PENDING_OF_ACTOR if project_id is None else _PENDING_OF_ACTOR_IN_PROJECT
        with self._outbox.read() as conn:
            params = {"actor": actor, "project_id": project_id}
            return conn.execute(query, params).first() is not None

    def list_operations(
        self, *, actor: str | None, status: str | None = None, after: str = "", limit: int = 50
    ) -> tuple[OperationRecord, ...]:
        """Operations (of one actor, or all), newest first."""
        with self._outbox.session() as session:
            query = select(OperationRow)
            if actor is not None:
                query = query.where(OperationRow.actor == actor)
            if status is not None:
                query = query.where(OperationRow.status == status)
            rows = session.scalars(
                query.order_by(OperationRow.created_at.desc(), OperationRow.id).limit(limit)
            ).all()
            return tuple(_op_record(r) for r in rows)

    def count_operations(self) -> Mapping[str, int]:
        """Number of operations per status."""
        with self._outbox.session() as session:
            rows = session.execute(
                select(OperationRow.status, func.count()).group_by(OperationRow.status)
            ).all()
            return {str(status): int(count) for status, count in rows}

    def update_operations(self, changes: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Apply column changes to several operations in one transaction.

        Changes with the same columns share one executemany statement: the worker updates
        hundreds of operations per round while requests wait for the write lock.
        """
        if not changes:
            return
        now = time.time()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for op_id, values in changes:
            columns = tuple(sorted(values))
            groups.setdefault(columns, []).append({**values, "op_id": op_id, "updated_at": now})
        with self._outbox.guard(), self._outbox.engine.begin() as conn:
            for columns, rows in groups.items():
                statement = (
                    _OP_TABLE.update()
                    .where(_OP_TABLE.c.id == bindparam("op_id"))
                    .values({name: bindparam(name) for name in (*columns, "updated_at")})
                )
                conn.execute(statement, rows)


# ----------------------------------------------------------------------------- projections


def _rowcount(result: Any) -> int:
    # DML statements return a CursorResult; the typed `Result` does not show its rowcount.
    return int(getattr(result, "rowcount", 0) or 0)


def _set_cursor(session: Session, number: int, block_hash: str) -> None:
    session.merge(
        IndexCursor(name="main", block_number=number, block_hash=block_hash, updated_at=time.time())
    )


def _replay(session: Session) -> None:
    for table in PROJECTION_TABLES:
        session.execute(delete(cast(Any, table)))
    session.flush()
    last = 0
    while True:
        rows = session.scalars(
            select(EventRow).where(EventRow.seq > last).order_by(EventRow.seq).limit(5000)
        ).all()
        if not rows:
            break
        for row in rows:
            _apply(session, _event_record(row))
        session.flush()
        last = rows[-1].seq


def _json_list(raw: str) -> list[Any]:
    value = json.loads(raw)
    assert isinstance(value, list)
    return value


def _apply(session: Session, item: StoredEvent) -> None:
    """Fold one event into the projections. Events arrive in chain order."""
    a: dict[str, Any] = json.loads(item.args_json)
    name = item.name
    at = item.block_number
    pid = item.project_id
    if name == "ProjectCreated":
        session.add(
            ProjectRow(
                project_id=a["project_id"],
                coordinator=a["coordinator"],
                agreement_version=0,
                agreement_hash=a["agreement_hash"],
                policy_version=0,
                policy_hash=ZERO32,
                in_force=False,
                created_block=at,
                created_tx=item.tx_hash,
            )
        )
        session.flush()
    elif name == "PolicySet":
        session.add(
            PolicyRow(
                project_id=pid,
                version=a["version"],
                policy_hash=a["policy_hash"],
                policy_json=json.dumps(a["policy"]),
                block_number=at,
            )
        )
        session.execute(
            update(ProjectRow)
            .where(ProjectRow.project_id == pid)
            .values(policy_version=a["version"], policy_hash=a["policy_hash"])
        )
    elif name == "AgreementSet":
        session.add(
            AgreementRow(
                project_id=pid,
                version=a["version"],
                agreement_hash=a["agreement_hash"],
                block_number=at,
            )
        )
        session.execute(
            update(ProjectRow)
            .where(ProjectRow.project_id == pid)
            .values(agreement_version=a["version"], agreement_hash=a["agreement_hash"])
        )
    elif name == "AgreementAccepted":
        session.execute(
            update(PartnerRow)
            .where(PartnerRow.project_id == pid, PartnerRow.address == a["partner"])
            .values(accepted_version=a["version"])
        )
    elif name == "AgreementInForce":
        session.execute(
            update(ProjectRow).where(ProjectRow.project_id == pid).values(in_force=True)
        )
    elif name == "PartnerAdded":
        session.merge(
            PartnerRow(
                project_id=pid,
                address=a["partner"],
                active=True,
                accepted_version=0,
                joined_block=at,
            )
        )
    elif name == "PartnerRemoved":
        session.execute(
            update(PartnerRow)
            .where(PartnerRow.project_id == pid, PartnerRow.address == a["partner"])
            .values(active=False)
        )
    elif name == "IdentitySet":
        session.merge(
            IdentityRow(
                address=a["account"],
                name=a["name"],
                company_number=a["company_number"],
                block_number=at,
            )
        )
    elif name == "ProposalCreated":
        session.add(
            ProposalRow(
                proposal_id=a["proposal_id"],
                project_id=pid,
                proposer=a["proposer"],
                kind=a["kind"],
                data=a["data"],
                approvals_json="[]",
                executed=False,
                block_number=at,
            )
        )
        session.flush()
    elif name == "ProposalApproved":
        proposal = session.get(ProposalRow, a["proposal_id"])
        if proposal is not None:
            proposal.approvals_json = json.dumps(
                [*_json_list(proposal.approvals_json), a["approver"]]
            )
    elif name == "ProposalExecuted":
        session.execute(
            update(ProposalRow)
            .where(ProposalRow.proposal_id == a["proposal_id"])
            .values(executed=True)
        )
    elif name == "ContributionRegistered":
        session.add(
            ContributionRow(
                contribution_id=a["contribution_id"],
                project_id=pid,
                contributor=a["contributor"],
                commitment=a["commitment"],
                origin=a["origin"],
                category=a["category"],
                value=str(a["value"]),
                parents_json=json.dumps(a["parents"]),
                supersedes=a["supersedes"],
                superseded_by=None,
                batch_id=a["batch_id"],
                registered_at=a["registered_at"],
                uri=a["uri"],
                status=1,
                block_number=at,
                block_hash=item.block_hash,
                tx_hash=item.tx_hash,
                log_index=item.log_index,
            )
        )
    elif name == "ContributionWithdrawn":
        _set_status(session, a["contribution_id"], 2)
    elif name == "ContributionSuperseded":
        session.flush()
        session.execute(
            update(ContributionRow)
            .where(ContributionRow.contribution_id == a["contribution_id"])
            .values(status=3, superseded_by=a["replacement_id"])
        )
    elif name == "BatchAnchored":
        session.add(
            BatchRow(
                batch_id=a["batch_id"],
                project_id=pid,
                contributor=a["contributor"],
                root=a["root"],
                count=a["count"],
                uri=a["uri"],
                block_number=at,
                tx_hash=item.tx_hash,
            )
        )
    elif name == "Endorsed":
        session.add(
            EndorsementRow(
                contribution_id=a["contribution_id"],
                endorser=a["endorser"],
                project_id=pid,
                rating=a["rating"],
                block_number=at,
            )
        )
    elif name == "DisputeOpened":
        session.add(
            DisputeRow(
                contribution_id=a["contribution_id"],
                number=a["dispute_number"],
                project_id=pid,
                disputer=a["disputer"],
                reason_hash=a["reason_hash"],
                eligible_voters=a["eligible_voters"],
                votes_json="[]",
                outcome=0,
                block_number=at,
            )
        )
        session.flush()
    elif name == "DisputeVoted":
        dispute = session.get(DisputeRow, (a["contribution_id"], a["dispute_number"]))
        if dispute is not None:
            vote = {"voter": a["voter"], "uphold": bool(a["uphold"])}
            dispute.votes_json = json.dumps([*_json_list(dispute.votes_json), vote])
    elif name == "DisputeResolved":
        session.execute(
            update(DisputeRow)
            .where(
                DisputeRow.contribution_id == a["contribution_id"],
                DisputeRow.number == a["dispute_number"],
            )
            .values(outcome=a["outcome"])
        )
        if a["outcome"] == 1:
            _set_status(session, a["contribution_id"], 4)
    elif name == "SplitProposed":
        session.add(
            SplitRow(
                proposal_id=a["proposal_id"],
                project_id=pid,
                proposer=a["proposer"],
                partners_json=json.dumps(a["partners"]),
                bps_json=json.dumps(a["bps"]),
                policy_version=a["policy_version"],
                computed_at_block=a["computed_at_block"],
                input_set_hash=a["input_set_hash"],
                approvals_json="[]",
                split_version=None,
                block_number=at,
            )
        )
        session.flush()
    elif name == "SplitApproved":
        split = session.get(SplitRow, a["proposal_id"])
        if split is not None:
            split.approvals_json = json.dumps([*_json_list(split.approvals_json), a["approver"]])
    elif name == "SplitFinalized":
        session.execute(
            update(SplitRow)
            .where(SplitRow.proposal_id == a["proposal_id"])
            .values(split_version=a["split_version"])
        )
    elif name in ("RevenueReceived", "Released"):
        revenue = name == "RevenueReceived"
        session.add(
            MoneyRow(
                project_id=pid,
                kind="revenue" if revenue else "release",
                token=a["token"],
                party=a["from_"] if revenue else a["partner"],
                recipient=None if revenue else a["recipient"],
                amount=str(a["amount"]),
                split_version=a["split_version"] if revenue else None,
                block_number=at,
                tx_hash=item.tx_hash,
            )
        )


def _set_status(session: Session, contribution_id: str, status: int) -> None:
    session.flush()
    session.execute(
        update(ContributionRow)
        .where(ContributionRow.contribution_id == contribution_id)
        .values(status=status)
    )


# ---------------------------------------------------------------------------- row -> record


def _event_record(row: EventRow) -> StoredEvent:
    return StoredEvent(
        seq=row.seq,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=row.tx_hash,
        log_index=row.log_index,
        contract=row.contract,
        name=row.name,
        project_id=row.project_id,
        args_json=row.args_json,
    )


def _project_record(session: Session, row: ProjectRow) -> ProjectRecord:
    partners = session.scalars(
        select(PartnerRow)
        .where(PartnerRow.project_id == row.project_id)
        .order_by(PartnerRow.joined_block, PartnerRow.address)
    ).all()
    return ProjectRecord(
        project_id=row.project_id,
        coordinator=row.coordinator,
        agreement_version=row.agreement_version,
        agreement_hash=row.agreement_hash,
        policy_version=row.policy_version,
        policy_hash=row.policy_hash,
        in_force=row.in_force,
        created_block=row.created_block,
        created_tx=row.created_tx,
        partners=tuple(
            PartnerRecord(p.address, p.active, p.accepted_version, p.joined_block) for p in partners
        ),
    )


def _contribution_record(row: ContributionRow) -> ContributionRecord:
    return ContributionRecord(
        contribution_id=row.contribution_id,
        project_id=row.project_id,
        contributor=row.contributor,
        commitment=row.commitment,
        origin=row.origin,
        category=row.category,
        value=int(row.value),
        parents=tuple(json.loads(row.parents_json)),
        supersedes=row.supersedes,
        superseded_by=row.superseded_by,
        batch_id=row.batch_id,
        registered_at=row.registered_at,
        uri=row.uri,
        status=row.status,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=row.tx_hash,
        log_index=row.log_index,
        seq=row.seq,
    )


def _proposal_record(row: ProposalRow) -> ProposalRecord:
    return ProposalRecord(
        proposal_id=row.proposal_id,
        project_id=row.project_id,
        proposer=row.proposer,
        kind=row.kind,
        data=row.data,
        approvals=tuple(_json_list(row.approvals_json)),
        executed=row.executed,
        block_number=row.block_number,
    )


def _dispute_record(row: DisputeRow) -> DisputeRecord:
    return DisputeRecord(
        contribution_id=row.contribution_id,
        number=row.number,
        project_id=row.project_id,
        disputer=row.disputer,
        reason_hash=row.reason_hash,
        eligible_voters=row.eligible_voters,
        votes=tuple(DisputeVote(v["voter"], bool(v["uphold"])) for v in _json_list(row.votes_json)),
        outcome=row.outcome,
        block_number=row.block_number,
    )


def _split_record(row: SplitRow) -> SplitProposalRecord:
    return SplitProposalRecord(
        proposal_id=row.proposal_id,
        project_id=row.project_id,
        proposer=row.proposer,
        partners=tuple(_json_list(row.partners_json)),
        bps=tuple(int(b) for b in _json_list(row.bps_json)),
        policy_version=row.policy_version,
        computed_at_block=row.computed_at_block,
        input_set_hash=row.input_set_hash,
        approvals=tuple(_json_list(row.approvals_json)),
        split_version=row.split_version,
        block_number=row.block_number,
    )


def _key_record(row: ApiKeyRow) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=row.key_id,
        key_hash=row.key_hash,
        partner=row.partner,
        role=row.role,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        replaced_by=row.replaced_by,
    )


def _grant_record(row: AuditorGrantRow) -> AuditorGrantRecord:
    return AuditorGrantRecord(
        id=row.id,
        project_id=row.project_id,
        key_id=row.key_id,
        granted_by=row.granted_by,
        granted_by_key=row.granted_by_key,
        granted_at=row.granted_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
    )


_OP_FIELDS = (
    "id",
    "kind",
    "actor",
    "project_id",
    "api_key_id",
    "idempotency_key",
    "request_hash",
    "dedupe_key",
    "payload_json",
    "meta_json",
    "status",
    "tx_hash",
    "block_number",
    "block_hash",
    "result_json",
    "error_code",
    "error_message",
    "attempts",
    "created_at",
    "updated_at",
    "sent_at",
    "mined_at",
    "attempt_key",
)


def _op_columns(op: OperationRecord) -> dict[str, Any]:
    return {name: getattr(op, name) for name in _OP_FIELDS}


def _op_record(row: OperationRow) -> OperationRecord:
    return OperationRecord(**{name: getattr(row, name) for name in _OP_FIELDS})

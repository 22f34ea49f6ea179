"""The index's tables: the events of the contracts as decoded (`index_events`, the index's
source of truth), the follower's cursor and checkpoints, and the projections read from
(`PROJECTION_TABLES`, filled by `ledger.store.projections` and rebuilt from `index_events`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.domain.codec import ZERO_HASH
from ledger.store.engine import IndexBase


class IndexCursor(IndexBase):
    """How far the follower got: the last block folded into the index, with its hash."""

    __tablename__ = "index_cursor"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    updated_at: Mapped[float] = mapped_column(Float)


class IndexCheckpoint(IndexBase):
    """Hashes of recent cursor blocks, to find the common ancestor after a reorg."""

    __tablename__ = "index_checkpoints"
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_hash: Mapped[str] = mapped_column(String(66))


class EventRow(IndexBase):
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


class ProjectRow(IndexBase):
    __tablename__ = "projects"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    coordinator: Mapped[str] = mapped_column(String(42), index=True)
    agreement_version: Mapped[int] = mapped_column(Integer, default=0)
    agreement_hash: Mapped[str] = mapped_column(String(66))
    policy_version: Mapped[int] = mapped_column(Integer, default=0)
    policy_hash: Mapped[str] = mapped_column(String(66), default=ZERO_HASH)
    in_force: Mapped[bool] = mapped_column(Boolean, default=False)
    created_block: Mapped[int] = mapped_column(BigInteger)
    created_tx: Mapped[str] = mapped_column(String(66))


class PartnerRow(IndexBase):
    __tablename__ = "project_partners"
    # Who may read a project is decided by membership, looked up by address.
    __table_args__ = (Index("ix_project_partners_address", "address"),)
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    accepted_version: Mapped[int] = mapped_column(Integer, default=0)
    joined_block: Mapped[int] = mapped_column(BigInteger)


class PolicyRow(IndexBase):
    __tablename__ = "project_policies"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_hash: Mapped[str] = mapped_column(String(66))
    policy_json: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger)


class AgreementRow(IndexBase):
    __tablename__ = "project_agreements"
    project_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)


class IdentityRow(IndexBase):
    __tablename__ = "identities"
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    company_number: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger)


class ProposalRow(IndexBase):
    __tablename__ = "proposals"
    proposal_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    proposer: Mapped[str] = mapped_column(String(42))
    kind: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    approvals_json: Mapped[str] = mapped_column(Text, default="[]")
    executed: Mapped[bool] = mapped_column(Boolean, default=False)
    block_number: Mapped[int] = mapped_column(BigInteger)


class ContributionRow(IndexBase):
    __tablename__ = "contributions"
    __table_args__ = (Index("ix_contrib_project_seq", "project_id", "seq"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contribution_id: Mapped[str] = mapped_column(String(66), unique=True)
    project_id: Mapped[int] = mapped_column(BigInteger)
    contributor: Mapped[str] = mapped_column(String(42), index=True)
    commitment: Mapped[str] = mapped_column(String(66), index=True)
    # The hash of the contribution's card as the contributor signed it (zero: no card).
    card_hash: Mapped[str] = mapped_column(String(66))
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


class BatchRow(IndexBase):
    __tablename__ = "batches"
    batch_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    contributor: Mapped[str] = mapped_column(String(42))
    root: Mapped[str] = mapped_column(String(66))
    count: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str] = mapped_column(Text)
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))


class EndorsementRow(IndexBase):
    __tablename__ = "endorsements"
    contribution_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    endorser: Mapped[str] = mapped_column(String(42), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    rating: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)


class DisputeRow(IndexBase):
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


class SplitRow(IndexBase):
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


class MoneyRow(IndexBase):
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


# ------------------------------------------------------------------------ PocExchange


class EncryptionKeyRow(IndexBase):
    """One published encryption key; every version is kept, so a rotation stays visible."""

    __tablename__ = "encryption_keys"
    account: Mapped[str] = mapped_column(String(42), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    public_key: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))


class DisclosureRow(IndexBase):
    """A disclosure: who shared which commitment under which agreement version."""

    __tablename__ = "disclosures"
    disclosure_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    sharer: Mapped[str] = mapped_column(String(42), index=True)
    content_commitment: Mapped[str] = mapped_column(String(66))
    contribution_ids_json: Mapped[str] = mapped_column(Text, default="[]")
    agreement_version: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))


class DisclosureReceiptRow(IndexBase):
    """One recipient of a disclosure and its answer (status as `ReceiptStatus`)."""

    __tablename__ = "disclosure_receipts"
    __table_args__ = (Index("ix_disclosure_receipts_recipient", "recipient"),)
    disclosure_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(42), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[int] = mapped_column(Integer)
    reason_hash: Mapped[str | None] = mapped_column(String(66))
    answered_block: Mapped[int | None] = mapped_column(BigInteger)
    answered_tx: Mapped[str | None] = mapped_column(String(66))


class AccessRequestRow(IndexBase):
    """An access-rights request and its answer (status as `RequestStatus`)."""

    __tablename__ = "access_requests"
    request_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(BigInteger, index=True)
    contribution_id: Mapped[str] = mapped_column(String(66), index=True)
    requester: Mapped[str] = mapped_column(String(42), index=True)
    owner: Mapped[str] = mapped_column(String(42), index=True)
    purpose: Mapped[int] = mapped_column(Integer)
    terms: Mapped[int] = mapped_column(Integer)
    terms_hash: Mapped[str] = mapped_column(String(66))
    answer_deadline: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[int] = mapped_column(Integer)
    granted_terms: Mapped[int | None] = mapped_column(Integer)
    granted_terms_hash: Mapped[str | None] = mapped_column(String(66))
    reason_hash: Mapped[str | None] = mapped_column(String(66))
    answered_block: Mapped[int | None] = mapped_column(BigInteger)
    answered_tx: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))


PROJECTION_TABLES: tuple[type[IndexBase], ...] = (
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
    EncryptionKeyRow,
    DisclosureRow,
    DisclosureReceiptRow,
    AccessRequestRow,
)

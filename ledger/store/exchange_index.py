"""Reads of the exchange's part of the index: published encryption keys, disclosures with
their receipts, and access-rights requests with their answers (`ExchangeIndex`, as
`store.index.exchange`).

The rows are the projections of PocExchange's events (`ledger.store.projections`), so they are
rebuilt from the chain like the rest of the index. Ids and hashes are 0x-hex strings, addresses
EIP-55; statuses are `ledger.domain.exchange`'s enums.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from ledger.domain.exchange import AccessPurpose, AccessTerms, ReceiptStatus, RequestStatus
from ledger.domain.values import checksum
from ledger.store.engine import Database, in_byte_order
from ledger.store.index_tables import (
    AccessRequestRow,
    DisclosureReceiptRow,
    DisclosureRow,
    EncryptionKeyRow,
)


@dataclass(frozen=True)
class EncryptionKeyRecord:
    """One published X25519 public key of an account (its `key_version`-th)."""

    account: str
    key_version: int
    public_key: str
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class ReceiptRecord:
    """A recipient's answer to a disclosure; `answered_*` are None while it is pending."""

    recipient: str
    status: ReceiptStatus
    reason_hash: str | None
    answered_block: int | None
    answered_tx: str | None


@dataclass(frozen=True)
class DisclosureRecord:
    disclosure_id: str
    project_id: int
    sharer: str
    content_commitment: str
    contribution_ids: tuple[str, ...]
    agreement_version: int
    block_number: int
    tx_hash: str
    receipts: tuple[ReceiptRecord, ...]

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(r.recipient for r in self.receipts)

    def receipt_of(self, address: str) -> ReceiptRecord | None:
        """The receipt of `address`, or None if it is no recipient."""
        wanted = checksum(address)
        return next((r for r in self.receipts if r.recipient == wanted), None)


@dataclass(frozen=True)
class AccessRequestRecord:
    request_id: int
    project_id: int
    contribution_id: str
    requester: str
    owner: str
    purpose: AccessPurpose
    terms: AccessTerms
    terms_hash: str
    answer_deadline: int
    status: RequestStatus
    granted_terms: AccessTerms | None
    granted_terms_hash: str | None
    reason_hash: str | None
    answered_block: int | None
    answered_tx: str | None
    block_number: int
    tx_hash: str

    def overdue_at(self, now: int) -> bool:
        """Whether the request is still open past its answer deadline at chain time `now`."""
        return self.status is RequestStatus.OPEN and now > self.answer_deadline


class ExchangeIndex:
    """The exchange's projections, read; thread-safe."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # -- encryption keys -----------------------------------------------------------------------

    def encryption_key(self, account: str) -> EncryptionKeyRecord | None:
        """The account's current (latest) encryption key, or None if it published none."""
        keys = self.encryption_keys(account)
        return keys[-1] if keys else None

    def encryption_keys(self, account: str) -> tuple[EncryptionKeyRecord, ...]:
        """Every key the account published, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(EncryptionKeyRow)
                .where(EncryptionKeyRow.account == checksum(account))
                .order_by(EncryptionKeyRow.key_version)
            ).all()
            return tuple(
                EncryptionKeyRecord(
                    r.account, r.key_version, r.public_key, r.block_number, r.tx_hash
                )
                for r in rows
            )

    # -- disclosures ---------------------------------------------------------------------------

    def disclosure(self, disclosure_id: str) -> DisclosureRecord | None:
        found = self._disclosures(
            select(DisclosureRow).where(DisclosureRow.disclosure_id == disclosure_id.lower())
        )
        return found[0] if found else None

    def disclosures(
        self,
        *,
        project_ids: Collection[int] | None = None,
        sharer: str | None = None,
        recipient: str | None = None,
        contribution_id: str | None = None,
    ) -> tuple[DisclosureRecord, ...]:
        """Disclosures, oldest first, of the given projects (None: all), by a sharer, to a
        recipient, or naming a contribution."""
        query = select(DisclosureRow)
        if project_ids is not None:
            query = query.where(DisclosureRow.project_id.in_(list(project_ids)))
        if sharer is not None:
            query = query.where(DisclosureRow.sharer == checksum(sharer))
        if recipient is not None:
            query = query.where(
                DisclosureRow.disclosure_id.in_(
                    select(DisclosureReceiptRow.disclosure_id).where(
                        DisclosureReceiptRow.recipient == checksum(recipient)
                    )
                )
            )
        if contribution_id is not None:
            query = query.where(
                DisclosureRow.contribution_ids_json.contains(contribution_id.lower())
            )
        found = self._disclosures(query)
        if contribution_id is not None:  # `contains` is a substring test: confirm it
            found = tuple(d for d in found if contribution_id.lower() in d.contribution_ids)
        return found

    def _disclosures(self, query: Select[Any]) -> tuple[DisclosureRecord, ...]:
        with self._db.session() as session:
            rows = session.scalars(
                query.order_by(
                    DisclosureRow.block_number, in_byte_order(DisclosureRow.disclosure_id)
                )
            ).all()
            if not rows:
                return ()
            receipts: dict[str, list[ReceiptRecord]] = {r.disclosure_id: [] for r in rows}
            for receipt in session.scalars(
                select(DisclosureReceiptRow)
                .where(DisclosureReceiptRow.disclosure_id.in_(list(receipts)))
                .order_by(DisclosureReceiptRow.position)
            ):
                receipts[receipt.disclosure_id].append(
                    ReceiptRecord(
                        recipient=receipt.recipient,
                        status=ReceiptStatus(receipt.status),
                        reason_hash=receipt.reason_hash,
                        answered_block=receipt.answered_block,
                        answered_tx=receipt.answered_tx,
                    )
                )
            return tuple(
                DisclosureRecord(
                    disclosure_id=r.disclosure_id,
                    project_id=r.project_id,
                    sharer=r.sharer,
                    content_commitment=r.content_commitment,
                    contribution_ids=tuple(json.loads(r.contribution_ids_json)),
                    agreement_version=r.agreement_version,
                    block_number=r.block_number,
                    tx_hash=r.tx_hash,
                    receipts=tuple(receipts[r.disclosure_id]),
                )
                for r in rows
            )

    # -- access-rights requests ----------------------------------------------------------------

    def access_request(self, request_id: int) -> AccessRequestRecord | None:
        found = self._requests(
            select(AccessRequestRow).where(AccessRequestRow.request_id == request_id)
        )
        return found[0] if found else None

    def access_requests(
        self,
        *,
        project_ids: Collection[int] | None = None,
        contribution_id: str | None = None,
        party: str | None = None,
    ) -> tuple[AccessRequestRecord, ...]:
        """Requests, oldest first, of the given projects (None: all), to a contribution, or
        with `party` as requester or owner."""
        query = select(AccessRequestRow)
        if project_ids is not None:
            query = query.where(AccessRequestRow.project_id.in_(list(project_ids)))
        if contribution_id is not None:
            query = query.where(AccessRequestRow.contribution_id == contribution_id.lower())
        if party is not None:
            address = checksum(party)
            query = query.where(
                (AccessRequestRow.requester == address) | (AccessRequestRow.owner == address)
            )
        return self._requests(query)

    def _requests(self, query: Select[Any]) -> tuple[AccessRequestRecord, ...]:
        with self._db.session() as session:
            rows = session.scalars(query.order_by(AccessRequestRow.request_id)).all()
            return tuple(
                AccessRequestRecord(
                    request_id=r.request_id,
                    project_id=r.project_id,
                    contribution_id=r.contribution_id,
                    requester=r.requester,
                    owner=r.owner,
                    purpose=AccessPurpose(r.purpose),
                    terms=AccessTerms(r.terms),
                    terms_hash=r.terms_hash,
                    answer_deadline=r.answer_deadline,
                    status=RequestStatus(r.status),
                    granted_terms=None if r.granted_terms is None else AccessTerms(r.granted_terms),
                    granted_terms_hash=r.granted_terms_hash,
                    reason_hash=r.reason_hash,
                    answered_block=r.answered_block,
                    answered_tx=r.answered_tx,
                    block_number=r.block_number,
                    tx_hash=r.tx_hash,
                )
                for r in rows
            )

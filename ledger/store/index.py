"""Reads and writes of the index: the follower's cursor, the events it folds in, and the
projections the API reads (`Index`).

The index is everything the chain can give back: `reset` forgets it, `rewind` drops the events
of blocks a reorganisation took away and replays the rest into the projections
(`ledger.store.projections`). Reads return the frozen records of `ledger.store.records`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session

from ledger.domain.events import to_json
from ledger.store.engine import Database, IndexBase, in_byte_order, rowcount
from ledger.store.exchange_index import ExchangeIndex
from ledger.store.index_tables import (
    PROJECTION_TABLES,
    AgreementRow,
    ContributionRow,
    DisputeRow,
    EndorsementRow,
    EventRow,
    IdentityRow,
    IndexCheckpoint,
    IndexCursor,
    MoneyRow,
    PartnerRow,
    PolicyRow,
    ProjectRow,
    ProposalRow,
    SplitRow,
)
from ledger.store.projections import apply_event, replay, stored_event
from ledger.store.records import (
    ContributionFilter,
    ContributionRecord,
    Cursor,
    DisputeRecord,
    DisputeVote,
    EndorsementRecord,
    IdentityRecord,
    IndexedEvent,
    Page,
    PartnerRecord,
    PolicyRecord,
    ProjectRecord,
    ProposalRecord,
    SplitProposalRecord,
    StoredEvent,
)

log = logging.getLogger(__name__)


class Index:
    """The index's database, read and written; thread-safe (one `Store` holds one)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self.exchange = ExchangeIndex(database)

    # ------------------------------------------------------------------------- index: cursor

    def cursor(self, name: str = "main") -> Cursor | None:
        """The follower's position, or None before the first sync."""
        with self._db.session() as session:
            row = session.get(IndexCursor, name)
            return None if row is None else Cursor(row.block_number, row.block_hash, row.updated_at)

    def checkpoints(self, below_or_at: int) -> list[tuple[int, str]]:
        """Known (number, hash) pairs at or below a height, newest first (events + cursors)."""
        with self._db.session() as session:
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
        events: Sequence[IndexedEvent],
        *,
        to_block: int,
        to_hash: str,
        keep_checkpoints: int = 64,
    ) -> None:
        """Fold `events` (in chain order) into the index and move the cursor to `to_block`."""
        with self._db.transaction() as session:
            for item in events:
                event = item.event
                session.add(
                    EventRow(
                        block_number=event.block_number,
                        block_hash=event.block_hash,
                        tx_hash=event.tx_hash,
                        log_index=event.log_index,
                        contract=item.contract,
                        name=event.event_name,
                        project_id=getattr(event, "project_id", None),
                        args_json=json.dumps(to_json(event), separators=(",", ":")),
                    )
                )
                apply_event(session, event)
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
        with self._db.transaction() as session:
            dropped = rowcount(
                session.execute(delete(EventRow).where(EventRow.block_number > to_block))
            )
            session.execute(delete(IndexCheckpoint).where(IndexCheckpoint.block_number > to_block))
            replay(session)
            _set_cursor(session, to_block, to_hash)
            return int(dropped or 0)

    def reset(self) -> None:
        """Forget the whole index (events, projections, cursor): `rebuild` starts from here."""
        with self._db.transaction() as session:
            for table in (*PROJECTION_TABLES, EventRow, IndexCheckpoint, IndexCursor):
                session.execute(delete(cast(Any, table)))

    def events(
        self, *, project_id: int | None = None, after_seq: int = 0, limit: int = 1000
    ) -> tuple[StoredEvent, ...]:
        """Indexed events in chain order (for scoring, statements and exports)."""
        with self._db.session() as session:
            query = select(EventRow).where(EventRow.seq > after_seq)
            if project_id is not None:
                query = query.where(EventRow.project_id == project_id)
            rows = session.scalars(query.order_by(EventRow.seq).limit(limit)).all()
            return tuple(stored_event(r) for r in rows)

    def events_named(self, project_id: int, name: str) -> tuple[StoredEvent, ...]:
        """The project's indexed events of one kind (e.g. `SplitFinalized`), in chain order."""
        with self._db.session() as session:
            rows = session.scalars(
                select(EventRow)
                .where(EventRow.project_id == project_id, EventRow.name == name)
                .order_by(EventRow.seq)
            ).all()
            return tuple(stored_event(r) for r in rows)

    # -------------------------------------------------------------------------- index: reads

    def project(self, project_id: int) -> ProjectRecord | None:
        """A project with its partners, or None if the index does not know it."""
        with self._db.session() as session:
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
        with self._db.session() as session:
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
        with self._db.read() as conn:
            rows = conn.execute(
                select(PartnerRow.project_id).where(PartnerRow.address == address)
            ).scalars()
            return frozenset(int(r) for r in rows)

    def is_member(self, project_id: int, address: str) -> bool:
        """Whether `address` is or was a partner of the project."""
        with self._db.read() as conn:
            row = conn.execute(
                select(PartnerRow.active).where(
                    PartnerRow.project_id == project_id, PartnerRow.address == address
                )
            ).first()
            return row is not None

    def agreement_hashes(self, project_id: int) -> dict[int, str]:
        """The project's agreement hash of every version on chain, by version."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(AgreementRow.version, AgreementRow.agreement_hash).where(
                    AgreementRow.project_id == project_id
                )
            ).all()
            return {int(version): str(value) for version, value in rows}

    def projects_with_agreement(self, agreement_hash: str, version: int = 1) -> tuple[int, ...]:
        """The projects whose agreement `version` has this hash, in id order."""
        with self._db.read() as conn:
            rows = conn.execute(
                select(AgreementRow.project_id)
                .where(
                    AgreementRow.agreement_hash == agreement_hash.lower(),
                    AgreementRow.version == version,
                )
                .order_by(AgreementRow.project_id)
            ).scalars()
            return tuple(int(r) for r in rows)

    def policies(self, project_id: int) -> tuple[PolicyRecord, ...]:
        """Every policy version of a project, oldest first."""
        with self._db.session() as session:
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
        with self._db.session() as session:
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
        with self._db.session() as session:
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
        with self._db.session() as session:
            query = select(func.count()).select_from(ContributionRow)
            if project_id is not None:
                query = query.where(ContributionRow.project_id == project_id)
            return int(session.scalar(query) or 0)

    def identity(self, address: str) -> IdentityRecord | None:
        """The latest identity `address` declared on chain."""
        with self._db.session() as session:
            row = session.get(IdentityRow, address)
            if row is None:
                return None
            return IdentityRecord(row.address, row.name, row.company_number, row.block_number)

    def proposals(self, project_id: int) -> tuple[ProposalRecord, ...]:
        """The project's governance proposals, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(ProposalRow)
                .where(ProposalRow.project_id == project_id)
                .order_by(ProposalRow.proposal_id)
            ).all()
            return tuple(_proposal_record(r) for r in rows)

    def proposal(self, proposal_id: int) -> ProposalRecord | None:
        """A governance proposal by id (ids are global to the deployment)."""
        with self._db.session() as session:
            row = session.get(ProposalRow, proposal_id)
            return None if row is None else _proposal_record(row)

    def endorsements(self, contribution_id: str) -> tuple[EndorsementRecord, ...]:
        """A contribution's endorsements in chain order."""
        with self._db.session() as session:
            rows = session.scalars(
                select(EndorsementRow)
                .where(EndorsementRow.contribution_id == contribution_id.lower())
                .order_by(EndorsementRow.block_number, in_byte_order(EndorsementRow.endorser))
            ).all()
            return tuple(
                EndorsementRecord(
                    r.contribution_id, r.endorser, r.project_id, r.rating, r.block_number
                )
                for r in rows
            )

    def disputes(self, contribution_id: str) -> tuple[DisputeRecord, ...]:
        """A contribution's disputes, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(DisputeRow)
                .where(DisputeRow.contribution_id == contribution_id.lower())
                .order_by(DisputeRow.number)
            ).all()
            return tuple(_dispute_record(r) for r in rows)

    def split_proposals(self, project_id: int) -> tuple[SplitProposalRecord, ...]:
        """The project's split proposals, oldest first."""
        with self._db.session() as session:
            rows = session.scalars(
                select(SplitRow)
                .where(SplitRow.project_id == project_id)
                .order_by(SplitRow.proposal_id)
            ).all()
            return tuple(_split_record(r) for r in rows)

    def revenue_tokens(self, project_id: int) -> tuple[str, ...]:
        """The tokens (zero address: ETH) the project ever received revenue in."""
        with self._db.session() as session:
            rows = session.scalars(
                select(MoneyRow.token)
                .where(MoneyRow.project_id == project_id, MoneyRow.kind == "revenue")
                .distinct()
            ).all()
            # Sorted here, by code point (SQLite's byte order): PostgreSQL refuses to order
            # SELECT DISTINCT by anything but the selected column, whose order is its collation's.
            return tuple(sorted(rows))


def _set_cursor(session: Session, number: int, block_hash: str) -> None:
    session.merge(
        IndexCursor(name="main", block_number=number, block_hash=block_hash, updated_at=time.time())
    )


def _project_record(session: Session, row: ProjectRow) -> ProjectRecord:
    partners = session.scalars(
        select(PartnerRow)
        .where(PartnerRow.project_id == row.project_id)
        .order_by(PartnerRow.joined_block, in_byte_order(PartnerRow.address))
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
        card_hash=row.card_hash,
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


def _json_list(raw: str) -> list[Any]:
    value = json.loads(raw)
    assert isinstance(value, list)
    return value


def upgrade_index(database: Database) -> bool:
    """Drop an index written by a release whose tables lack this one's columns (the
    contributions' `card_hash`, added with contribution cards); the follower then rebuilds it
    from the chain. Returns whether it did."""
    if "contributions" not in database.table_names():
        return False
    with database.translating(), database.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("contributions")}
    if "card_hash" in columns:
        return False
    log.warning("the index was written by an older release: dropped, to be rebuilt from the chain")
    with database.guard():
        IndexBase.metadata.drop_all(database.engine)
        IndexBase.metadata.create_all(database.engine)
    return True

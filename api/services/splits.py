"""Scores, split proposals and statements from the local index: the rules behind /splits.

- `index_history`: the project's events read back from the index (`ledger.store`), in their one
  typed shape (`ledger.domain.events.from_json`), those the scorer reads; the same scheme
  scores them that `poc score` applies to events read from a node;
- `score_project`: the score at a block the index covers, at that block's timestamp;
- `split_proposal`: one split proposal of a project, or 404;
- `split_views`: the project's split proposals with what a reader needs to follow them: how
  many approvals the vault requires (read from the vault, which fixed the count when the
  split was proposed), who may still approve, when it was proposed and finalized;
- `statement_basis`: which split a statement divides by (`ledger.scoring.statements`' rule,
  with the index's finalized splits and the current score), or the API's 404 / 409.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from api.auth import Principal
from api.deps import Services
from api.errors import ConflictError, NotFoundError, UnavailableError
from api.services.access import require_readable_project
from ledger.domain.events import from_json
from ledger.errors import HistoryError, LedgerError, NoSplitVersionError, NothingToSplitError
from ledger.evidence.splits import block_time
from ledger.scoring.history import SCORING_EVENT_NAMES, ScoringEvent, scoring_history
from ledger.scoring.results import ScoreResult
from ledger.scoring.scheme import score
from ledger.scoring.statements import StatementBasis
from ledger.scoring.statements import statement_basis as choose_statement_basis
from ledger.store import Store
from ledger.store.records import SplitProposalRecord

PAGE_SIZE = 5_000


def index_history(store: Store, project_id: int, *, to_block: int) -> list[ScoringEvent]:
    """The project's scoring events the index holds up to and including `to_block`."""
    history: list[ScoringEvent] = []
    after = 0
    while True:
        page = store.index.events(project_id=project_id, after_seq=after, limit=PAGE_SIZE)
        for stored in page:
            if stored.block_number > to_block:
                return history
            if stored.name not in SCORING_EVENT_NAMES:
                continue
            try:
                event = from_json(
                    stored.name,
                    json.loads(stored.args_json),
                    block_number=stored.block_number,
                    log_index=stored.log_index,
                    block_hash=stored.block_hash,
                    tx_hash=stored.tx_hash,
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise HistoryError(
                    f"{stored.name} at block {stored.block_number}: malformed argument {exc}"
                ) from exc
            history.extend(scoring_history((event,)))
        if len(page) < PAGE_SIZE:
            return history
        after = page[-1].seq


def score_project(
    services: Services,
    principal: Principal,
    project_id: int,
    *,
    at_block: int | None = None,
    policy_version: int | None = None,
) -> tuple[ScoreResult, int]:
    """Score the project over the index's events up to `at_block` (default: the newest block
    the index covers), at that block's timestamp; returns the result and the block."""
    access = services.require_chain()
    require_readable_project(services, principal, project_id)
    cursor = services.store.index.cursor()
    if cursor is None:
        raise UnavailableError("the index has not read the chain yet", code="index_not_ready")
    block = cursor.block_number if at_block is None else at_block
    if block > cursor.block_number:
        raise ConflictError(
            f"the index covers blocks up to {cursor.block_number}, not {block} yet",
            code="index_behind",
        )
    history = index_history(services.store, project_id, to_block=block)
    as_of = block_time(access.chain.w3, block)
    return score(history, as_of=as_of, policy_version=policy_version), block


def split_proposal(
    services: Services, principal: Principal, project_id: int, proposal_id: int
) -> SplitProposalRecord:
    """Split proposal `proposal_id` of a project the caller may read; 404 `split_not_found` if
    it has none."""
    require_readable_project(services, principal, project_id)
    for record in services.store.index.split_proposals(project_id):
        if record.proposal_id == proposal_id:
            return record
    raise NotFoundError(
        f"no split proposal {proposal_id} in project {project_id}", code="split_not_found"
    )


def statement_basis(
    services: Services, principal: Principal, project_id: int, split_version: int | None
) -> StatementBasis:
    """The split a statement of the project divides by (`ledger.scoring.statements`' rule):
    404 `split_not_found` for a version that is not finalized, 409 `nothing_to_split` when
    none is and the current score counts nothing."""
    require_readable_project(services, principal, project_id)
    finalized = {
        r.split_version: dict(zip(r.partners, r.bps, strict=True))
        for r in services.store.index.split_proposals(project_id)
        if r.split_version
    }
    try:
        return choose_statement_basis(
            project_id=project_id,
            requested=split_version,
            newest_finalized=lambda: max(finalized, default=0),
            finalized_split=finalized.get,
            current_score=lambda: score_project(services, principal, project_id)[0],
        )
    except NoSplitVersionError:
        raise NotFoundError(
            f"project {project_id} has no split version {split_version}", code="split_not_found"
        ) from None
    except NothingToSplitError as exc:
        raise ConflictError(str(exc), code="nothing_to_split") from None


@dataclass(frozen=True, slots=True)
class SplitView:
    """A split proposal as the split page shows it."""

    record: SplitProposalRecord
    required: int | None
    """Approvals the vault requires (None: the vault could not be read)."""
    eligible: tuple[str, ...]
    """Partners who may approve it: partners now, and already when it was proposed."""
    proposed_at: int | None
    finalized_block: int | None
    finalized_at: int | None


def split_views(
    services: Services, principal: Principal, project_id: int, proposal_id: int | None = None
) -> list[SplitView]:
    """The project's split proposals (or the one `proposal_id`), oldest first, with their
    approval count from the vault, the partners who may approve, and their times."""
    if proposal_id is None:
        require_readable_project(services, principal, project_id)
        records = services.store.index.split_proposals(project_id)
    else:
        records = (split_proposal(services, principal, project_id, proposal_id),)
    project = services.store.index.project(project_id)
    partners = project.partners if project is not None else ()
    finalized_blocks = {
        int(json.loads(e.args_json)["proposal_id"]): e.block_number
        for e in services.store.index.events_named(project_id, "SplitFinalized")
    }
    access = services.chain
    times: dict[int, int] = {}

    def time_of(block: int | None) -> int | None:
        if access is None or block is None:
            return None
        if block not in times:
            times[block] = block_time(access.chain.w3, block)
        return times[block]

    views: list[SplitView] = []
    for record in records:
        required: int | None = None
        proposed_at: int | None = None
        if access is not None:
            try:
                info = access.vault.split_proposal(project_id, record.proposal_id)
            except LedgerError:  # not (or no longer) on the node: the index is ahead of it
                pass
            else:
                required, proposed_at = info.required, info.created_at
        finalized_block = finalized_blocks.get(record.proposal_id)
        views.append(
            SplitView(
                record=record,
                required=required,
                eligible=tuple(
                    p.address
                    for p in partners
                    if p.active and p.joined_block <= record.block_number
                ),
                proposed_at=proposed_at,
                finalized_block=finalized_block,
                finalized_at=time_of(finalized_block),
            )
        )
    return views

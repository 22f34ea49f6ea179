"""Scoring from the local index: a project's history as the index holds it, scored.

`index_history` reads the project's events back from the index (`ledger.store`), in their one
typed shape (`ledger.domain.events.from_json`), and keeps those the scorer reads. The same
scheme scores them that `poc score` applies to events read from a node.
"""

from __future__ import annotations

import json

from ledger.domain.events import from_json
from ledger.errors import HistoryError
from ledger.scoring.history import SCORING_EVENT_NAMES, ScoringEvent, scoring_history
from ledger.store import Store

PAGE_SIZE = 5_000


def index_history(store: Store, project_id: int, *, to_block: int) -> list[ScoringEvent]:
    """The project's scoring events the index holds up to and including `to_block`."""
    history: list[ScoringEvent] = []
    after = 0
    while True:
        page = store.events(project_id=project_id, after_seq=after, limit=PAGE_SIZE)
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

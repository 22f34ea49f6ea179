"""What the store must do alike on SQLite and on PostgreSQL (each test runs on both).

The PostgreSQL databases the tests create sort text by a language's rules, as most servers do
(`tests.databases`), so an order that only holds byte by byte shows here. Concurrent accepts
stand in for the API's request threads and for several API processes on one database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import HexStr

from ledger.domain.events import PartnerAdded, ProjectCreated, RevenueReceived
from ledger.domain.values import checksum
from ledger.store import Store
from ledger.store.outbox import OperationRecord
from ledger.store.records import IndexedEvent
from tests.databases import DatabaseUnderTest

ACTOR = "0x" + "11" * 20


@pytest.fixture
def store(database: DatabaseUnderTest, tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(database.url(tmp_path))
    try:
        yield opened
    finally:
        opened.close()


def _addresses(count: int) -> list[str]:
    return [checksum(Account.from_key((i + 1).to_bytes(32, "big")).address) for i in range(count)]


def _operation(
    op_id: str, *, idempotency_key: str | None = None, **changes: object
) -> OperationRecord:
    now = time.time()
    values: dict[str, object] = {
        "id": op_id,
        "kind": "register",
        "actor": ACTOR,
        "project_id": 1,
        "api_key_id": None,
        "idempotency_key": idempotency_key,
        "request_hash": "ab" * 32,
        "dedupe_key": f"dedupe-{op_id}",
        "payload_json": "{}",
        "meta_json": None,
        "status": "accepted",
        "tx_hash": None,
        "block_number": None,
        "block_hash": None,
        "result_json": None,
        "error_code": None,
        "error_message": None,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "sent_at": None,
        "mined_at": None,
    }
    values.update(changes)
    return OperationRecord(**values)  # type: ignore[arg-type]


def test_partners_of_a_block_come_out_in_byte_order_on_every_database(store: Store) -> None:
    partners = _addresses(12)
    # Meaningful only if bytes and a language's rules disagree about these addresses.
    assert sorted(partners) != sorted(partners, key=str.casefold)
    block = HexStr("0x" + "01" * 32)
    events = [
        IndexedEvent(
            "PocLedger",
            ProjectCreated(
                block_number=1,
                block_hash=block,
                log_index=0,
                project_id=1,
                coordinator=partners[0],  # type: ignore[arg-type]
                agreement_hash=bytes(32),
                partners=tuple(partners),  # type: ignore[arg-type]
            ),
        ),
        *(
            IndexedEvent(
                "PocLedger",
                PartnerAdded(
                    block_number=1,
                    block_hash=block,
                    log_index=i + 1,
                    project_id=1,
                    partner=partner,  # type: ignore[arg-type]
                ),
            )
            for i, partner in enumerate(partners)
        ),
    ]
    store.index.append_events(events, to_block=1, to_hash=block)
    project = store.index.project(1)
    assert project is not None
    assert [p.address for p in project.partners] == sorted(partners)


def test_revenue_tokens_come_out_in_byte_order_on_every_database(store: Store) -> None:
    tokens = _addresses(12)
    assert sorted(tokens) != sorted(tokens, key=str.casefold)
    block = HexStr("0x" + "02" * 32)
    events = [
        IndexedEvent(
            "RoyaltyVault",
            RevenueReceived(
                block_number=2,
                block_hash=block,
                log_index=i,
                project_id=1,
                token=token,  # type: ignore[arg-type]
                from_=tokens[0],  # type: ignore[arg-type]
                amount=2**255 + i,  # a uint256 beyond any integer column
                split_version=1,
            ),
        )
        for i, token in enumerate([*tokens, *tokens])  # each token twice: listed once
    ]
    store.index.append_events(events, to_block=2, to_hash=block)
    assert store.index.revenue_tokens(1) == tuple(sorted(tokens))


def test_concurrent_accepts_of_one_request_store_one_operation(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    """The same write posted at once through two stores (two API processes) and many threads
    each: one operation is stored, and every request is answered with it."""
    url = database.url(tmp_path)
    stores = [Store.open(url), Store.open(url)]
    answers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def accept(number: int) -> None:
        try:
            start.wait()
            op = _operation(f"op{number:02d}", idempotency_key="same", dedupe_key="action")
            answers.append(stores[number % 2].outbox.add_operation(op).id)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=accept, args=(n,)) for n in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        assert len(answers) == 16 and len(set(answers)) == 1
        assert stores[0].outbox.count_operations() == {"accepted": 1}
    finally:
        for opened in stores:
            opened.close()


def test_operations_keep_large_numbers_and_times_on_every_database(store: Store) -> None:
    created = 1_767_225_600.123456  # 2026-01-01, microseconds
    op = _operation(
        "big",
        project_id=2**32 - 1,  # the largest project id (uint32)
        block_number=2**53 + 1,  # beyond a double's exact integers
        created_at=created,
        updated_at=created,
    )
    store.outbox.add_operation(op)
    stored = store.outbox.operation("big")
    assert stored is not None
    assert (stored.project_id, stored.block_number) == (2**32 - 1, 2**53 + 1)
    assert stored.created_at == created
    store.outbox.update_operations([("big", {"status": "sent", "tx_hash": "0x" + "ab" * 32})])
    assert [o.id for o in store.outbox.operations_in(["sent"])] == ["big"]

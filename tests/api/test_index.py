"""The index follower: catching up, resuming after a restart, reorgs, rebuild from the chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.connection import Chain
from ledger.chain.deploy import exchange_client_for
from ledger.chain.deployment_record import DeploymentRecord
from ledger.domain import hashing
from ledger.domain.exchange import AccessPurpose, AccessTerms, ReceiptStatus, RequestStatus
from ledger.store import Store
from ledger.store.records import ContributionFilter
from ledger.sync.follower import Follower, follower_for, rebuild_index
from tests.api.support import Consortium
from tests.databases import DatabaseUnderTest


@pytest.fixture
def follower_store(database: DatabaseUnderTest, tmp_path: Path) -> Iterator[Store]:
    """The followers' own store, apart from the API's (whose follower runs too): SQLite files
    in a directory of their own, or a PostgreSQL database of their own."""
    with database.another(tmp_path / "follower") as url:
        opened = Store.open(url)
        try:
            yield opened
        finally:
            opened.close()


def _follower(chain: Chain, record: DeploymentRecord, store: Store, **kwargs: int) -> Follower:
    return follower_for(
        chain.w3,
        store,
        ledger_address=record.address("PocLedger"),
        vault_address=record.address("RoyaltyVault"),
        exchange_address=record.address("PocExchange"),
        start_block=record.deploy_block,
        **kwargs,
    )


def _commitments(store: Store, project_id: int) -> list[str]:
    page = store.index.list_contributions(ContributionFilter(project_id=project_id), limit=500)
    return [c.commitment for c in page.items]


def test_follower_resumes_after_restart_without_duplicates(
    consortium: Consortium, follower_store: Store
) -> None:
    project_id = consortium.project_on_chain()
    first = consortium.register_on_chain(consortium.partner_b, project_id)
    _follower(consortium.chain, consortium.record, follower_store).sync_once()
    second = consortium.register_on_chain(consortium.partner_c, project_id)
    # A new follower (a restarted process) continues from the stored cursor.
    _follower(consortium.chain, consortium.record, follower_store, block_range=1).sync_once()
    assert _commitments(follower_store, project_id) == ["0x" + first.hex(), "0x" + second.hex()]


def test_follower_rewinds_when_blocks_are_lost(
    consortium: Consortium, follower_store: Store
) -> None:
    follower = _follower(consortium.chain, consortium.record, follower_store)
    project_id = consortium.project_on_chain()
    follower.sync_once()
    snapshot = consortium.chain.snapshot()
    lost = consortium.register_on_chain(consortium.partner_b, project_id, "lost")
    follower.sync_once()
    assert _commitments(follower_store, project_id) == ["0x" + lost.hex()]
    # The node loses its newest block (as anvil does when killed before persisting) and
    # the chain grows again with other blocks at the same heights.
    consortium.chain.revert(snapshot)
    kept = consortium.register_on_chain(consortium.partner_c, project_id, "kept")
    consortium.register_on_chain(consortium.partner_c, project_id, "kept-2")
    follower.sync_once()
    assert follower.reorgs == 1
    commitments = _commitments(follower_store, project_id)
    assert "0x" + lost.hex() not in commitments
    assert commitments[0] == "0x" + kept.hex() and len(commitments) == 2


def test_rebuild_index_from_chain_alone_gives_same_records(
    consortium: Consortium, follower_store: Store
) -> None:
    follower = _follower(consortium.chain, consortium.record, follower_store, block_range=3)
    project_id = consortium.project_on_chain()
    for i in range(4):
        consortium.register_on_chain(consortium.partner_b, project_id, f"r{i}")
    follower.sync_once()
    before = _commitments(follower_store, project_id)
    project_before = follower_store.index.project(project_id)
    assert rebuild_index(follower) > 0
    assert _commitments(follower_store, project_id) == before
    assert follower_store.index.project(project_id) == project_before


def test_follower_with_confirmations_waits_for_depth(
    consortium: Consortium, follower_store: Store
) -> None:
    follower = _follower(consortium.chain, consortium.record, follower_store, confirmations=2)
    project_id = consortium.project_on_chain(accept=False)
    follower.sync_once()
    assert follower_store.index.project(project_id) is None
    consortium.chain.mine(2)
    follower.sync_once()
    assert follower_store.index.project(project_id) is not None
    cursor = follower_store.index.cursor()
    assert cursor is not None and cursor.block_number == consortium.chain.block_number() - 2


def test_follower_indexes_only_blocks_the_node_has_saved(
    consortium: Consortium, follower_store: Store
) -> None:
    follower = _follower(consortium.chain, consortium.record, follower_store)
    project_id = consortium.project_on_chain()
    follower.sync_once()
    registered = consortium.register_on_chain(consortium.partner_b, project_id, "not saved")
    head = consortium.chain.block_number()
    # What a persisting node reports (the sandbox's anvil: `AnvilProcess.saved_block`).
    saved: list[tuple[int, str] | None] = [None]
    follower.saved_block = lambda: saved[0]

    follower.sync_once()
    assert _commitments(follower_store, project_id) == []  # nothing saved yet: nothing shown
    saved[0] = (head - 1, "0x" + consortium.chain.w3.eth.get_block(head - 1)["hash"].hex())
    follower.sync_once()
    assert _commitments(follower_store, project_id) == []
    assert follower.status().target == head - 1

    saved[0] = (head, "0x" + consortium.chain.w3.eth.get_block(head)["hash"].hex())
    follower.sync_once()
    assert _commitments(follower_store, project_id) == ["0x" + registered.hex()]


def test_follower_indexes_the_exchange_and_rebuilds_it_from_the_chain(
    consortium: Consortium, follower_store: Store
) -> None:
    follower = _follower(consortium.chain, consortium.record, follower_store)
    chain, a, b, c = (
        consortium.chain,
        consortium.coordinator,
        consortium.partner_b,
        consortium.partner_c,
    )
    exchange = exchange_client_for(chain, consortium.record)
    project_id = consortium.project_on_chain()
    background = hashing.contribution_id(
        project_id, a.address, consortium.register_on_chain(a, project_id, "background")
    )
    exchange.publish_encryption_key(chain.sender(b.account), bytes(range(32)))
    exchange.publish_encryption_key(chain.sender(b.account), bytes(range(1, 33)))
    content = hashing.commitment(a.address, project_id, hashing.sha256_bytes(b"x"), bytes(32))
    disclosure = exchange.disclose(
        chain.sender(a.account), project_id, content, [b.address, c.address], [background]
    ).value
    exchange.acknowledge(chain.sender(b.account), project_id, disclosure, content, a.address)
    exchange.decline(chain.sender(c.account), project_id, disclosure, b"\x07" * 32)
    terms = b"\x05" * 32
    first = exchange.request_access(
        chain.sender(b.account),
        project_id,
        background,
        AccessPurpose.CARRYING_OUT_PROJECT,
        AccessTerms.ROYALTY_FREE,
        terms,
    ).value
    exchange.grant_access(
        chain.sender(a.account), project_id, first, AccessTerms.ROYALTY_FREE, terms
    )
    second = exchange.request_access(
        chain.sender(c.account),
        project_id,
        background,
        AccessPurpose.EXPLOITING_OWN_RESULTS,
        AccessTerms.FAIR_AND_REASONABLE,
        terms,
    ).value
    follower.sync_once()

    index = follower_store.index.exchange
    assert [k.key_version for k in index.encryption_keys(b.address)] == [1, 2]
    current = index.encryption_key(b.address)
    assert current is not None and current.public_key == "0x" + bytes(range(1, 33)).hex()
    assert index.encryption_key(c.address) is None
    record = index.disclosure("0x" + disclosure.hex())
    assert record is not None
    assert (record.sharer, record.content_commitment, record.contribution_ids) == (
        a.address,
        "0x" + content.hex(),
        ("0x" + background.hex(),),
    )
    assert [(r.recipient, r.status) for r in record.receipts] == [
        (b.address, ReceiptStatus.ACKNOWLEDGED),
        (c.address, ReceiptStatus.DECLINED),
    ]
    declined = record.receipt_of(c.address)
    assert declined is not None and declined.reason_hash == "0x" + "07" * 32
    assert record.receipt_of(consortium.outsider.address) is None
    assert index.disclosures(recipient=b.address) == (record,)
    assert index.disclosures(recipient=a.address) == ()
    assert index.disclosures(contribution_id="0x" + background.hex()) == (record,)
    requests = index.access_requests(contribution_id="0x" + background.hex())
    assert [(r.request_id, r.status) for r in requests] == [
        (first, RequestStatus.GRANTED),
        (second, RequestStatus.OPEN),
    ]
    assert requests[0].granted_terms_hash == "0x" + terms.hex()
    assert requests[1].overdue_at(requests[1].answer_deadline + 1)
    assert not requests[1].overdue_at(requests[1].answer_deadline)
    assert index.access_requests(party=c.address) == (requests[1],)

    before = (index.encryption_keys(b.address), index.disclosures(), index.access_requests())
    assert rebuild_index(follower) > 0
    assert (
        index.encryption_keys(b.address),
        index.disclosures(),
        index.access_requests(),
    ) == before

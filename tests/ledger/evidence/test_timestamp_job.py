"""The timestamp queue and job against a real TSA (OpenSSL's `ts -reply`): tokens fetched,
an outage waited out without losing a registration, the TSA restarted, tokens kept for good.
The queue runs on SQLite, and on PostgreSQL when `POC_TEST_DATABASE_URL` names a server."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.evidence.builder import ProofBuilder
from ledger.evidence.timestamp_job import (
    IndexFeed,
    TimestampJob,
    TimestampQueue,
    TimestampQueueError,
)
from ledger.evidence.timestamps import (
    RegistrationSubject,
    TsaClient,
    check_section,
    load_trust_anchors,
)
from ledger.store import Store
from ledger.sync.follower import follower_for, rebuild_index
from poc.sandbox.tsa import LocalTsa
from tests.databases import DatabaseUnderTest
from tests.ledger.evidence.openssl_ts import openssl_ts_verify
from tests.ledger.evidence.proof_scenario import build_scenario

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


class Clock:
    """Time the job sees, moved by the test (backoff without sleeping)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _subjects(count: int, seed: int) -> list[tuple[RegistrationSubject, int]]:
    rng = random.Random(seed)
    return [
        (
            RegistrationSubject(
                31337, CONTRACT, rng.randbytes(32), rng.randbytes(32), rng.randbytes(32)
            ),
            100 + i,
        )
        for i in range(count)
    ]


@pytest.fixture
def engine(database: DatabaseUnderTest, tmp_path: Path) -> Iterator[sa.Engine]:
    created = sa.create_engine(database.server_url or f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    try:
        yield created
    finally:
        created.dispose()


@pytest.fixture
def queue(engine: sa.Engine) -> TimestampQueue:
    created = TimestampQueue(engine)
    created.create()
    return created


def _assert_openssl_accepts(
    queue: TimestampQueue, subject: RegistrationSubject, root: Path
) -> None:
    stored = queue.token(subject.contribution_id, subject.block_hash)
    assert stored is not None
    ok, output = openssl_ts_verify(stored.token.response, subject.message(), root)
    assert ok, output


def test_job_stamps_queued_registrations_with_real_tsa(
    queue: TimestampQueue, local_tsa: LocalTsa
) -> None:
    items = _subjects(3, seed=1)
    assert queue.enqueue(items) == 3
    anchors = load_trust_anchors(local_tsa.root_path)

    with TsaClient(local_tsa.url, trust_anchors=anchors) as client:
        result = TimestampJob(queue, client).run_once()

    assert (result.stamped, result.failed, result.tsa_unavailable) == (3, 0, False)
    assert queue.counts().pending == 0
    assert queue.counts().stamped == 3
    for subject, block_number in items:
        stored = queue.token(subject.contribution_id, subject.block_hash)
        assert stored is not None
        assert stored.block_number == block_number
        assert stored.tsa_url == local_tsa.url
        _assert_openssl_accepts(queue, subject, local_tsa.root_path)


def test_job_waits_out_tsa_outage_and_stamps_after_restart(
    queue: TimestampQueue, tmp_path: Path
) -> None:
    clock = Clock()
    tsa = LocalTsa(tmp_path / "tsa").start()
    first, *later = _subjects(3, seed=2)
    try:
        anchors = load_trust_anchors(tsa.root_path)
        with TsaClient(tsa.url, trust_anchors=anchors, timeout=2) as client:
            job = TimestampJob(queue, client, backoff=5.0, clock=clock)
            queue.enqueue([first], now=clock.now)
            assert job.run_once().stamped == 1
            stamped_before = queue.token(first[0].contribution_id, first[0].block_hash)

            tsa.stop()
            queue.enqueue(later, now=clock.now)
            outage = job.run_once()

            assert outage.tsa_unavailable
            assert (outage.stamped, outage.failed, outage.deferred) == (0, 1, 1)
            waiting = queue.pending(later[0][0].contribution_id, later[0][0].block_hash)
            assert waiting is not None
            assert waiting.attempts == 1
            assert waiting.last_error is not None and "cannot reach the TSA" in waiting.last_error
            # The one tried waits 5 s; the other is still due and is tried next round.
            assert [p.subject for p in queue.due(clock.now)] == [later[1][0]]
            assert job.run_once().tsa_unavailable
            assert queue.due(clock.now) == []
            counts = queue.counts()
            assert (counts.pending, counts.stamped) == (2, 1)
            assert counts.oldest_pending_since == clock.now

            tsa.start()  # the same port and PKI
            assert job.run_once().stamped == 0  # nothing is due before its pause is over
            clock.now += 5.0
            recovered = job.run_once()

            assert (recovered.stamped, recovered.failed) == (2, 0)
            assert queue.counts().pending == 0
        for subject, _ in [first, *later]:
            _assert_openssl_accepts(queue, subject, tsa.root_path)
        # The token obtained before the outage is the one kept.
        assert queue.token(first[0].contribution_id, first[0].block_hash) == stamped_before
    finally:
        tsa.stop()


def test_backoff_doubles_up_to_its_maximum(queue: TimestampQueue, tmp_path: Path) -> None:
    clock = Clock()
    tsa = LocalTsa(tmp_path / "gone").start()
    url = tsa.url
    tsa.stop()
    ((subject, block),) = _subjects(1, seed=3)
    queue.enqueue([(subject, block)], now=clock.now)
    pauses = []
    with TsaClient(url, timeout=1) as client:
        job = TimestampJob(queue, client, backoff=5.0, backoff_max=30.0, clock=clock)
        for _ in range(5):
            start = clock.now
            job.run_once()
            while not queue.due(clock.now):
                clock.now += 1.0
            pauses.append(clock.now - start)

    assert pauses == [5.0, 10.0, 20.0, 30.0, 30.0]


def test_token_that_does_not_verify_is_not_kept(
    queue: TimestampQueue, local_tsa: LocalTsa, tmp_path: Path
) -> None:
    """A TSA whose tokens do not chain to the configured anchors (misconfigured, or not the
    TSA it claims to be): the registration stays pending with the reason."""
    clock = Clock()
    with LocalTsa(tmp_path / "other") as other:
        anchors = load_trust_anchors(other.root_path)
    ((subject, block),) = _subjects(1, seed=4)
    queue.enqueue([(subject, block)], now=clock.now)

    with TsaClient(local_tsa.url, trust_anchors=anchors) as client:
        result = TimestampJob(queue, client, clock=clock).run_once()

    assert (result.stamped, result.failed, result.tsa_unavailable) == (0, 1, False)
    assert queue.token(subject.contribution_id, subject.block_hash) is None
    pending = queue.pending(subject.contribution_id, subject.block_hash)
    assert pending is not None and pending.last_error is not None
    assert "signature" in pending.last_error


def test_enqueue_twice_keeps_one_row_and_the_token(
    queue: TimestampQueue, local_tsa: LocalTsa
) -> None:
    items = _subjects(2, seed=5)
    queue.enqueue(items)
    with TsaClient(local_tsa.url) as client:
        TimestampJob(queue, client).run_once()
    token = queue.token(items[0][0].contribution_id, items[0][0].block_hash)

    assert queue.enqueue(items) == 0
    assert queue.counts().stamped == 2
    assert queue.token(items[0][0].contribution_id, items[0][0].block_hash) == token


def test_stamped_token_is_never_replaced(queue: TimestampQueue, local_tsa: LocalTsa) -> None:
    ((subject, block),) = _subjects(1, seed=6)
    queue.enqueue([(subject, block)])
    with TsaClient(local_tsa.url) as client:
        first = client.timestamp(subject.message())
        second = client.timestamp(subject.message())

    assert queue.record_token(subject, first, tsa_url=local_tsa.url, now=1.0)
    assert not queue.record_token(subject, second, tsa_url=local_tsa.url, now=2.0)
    stored = queue.token(subject.contribution_id, subject.block_hash)
    assert stored is not None and stored.token == first


def test_same_registration_in_another_block_gets_its_own_token(
    queue: TimestampQueue, local_tsa: LocalTsa
) -> None:
    """After a reorg moved the registration: the message names the block hash."""
    ((subject, block),) = _subjects(1, seed=7)
    moved = RegistrationSubject(
        subject.chain_id, subject.contract, subject.contribution_id, subject.commitment, bytes(32)
    )
    assert queue.enqueue([(subject, block), (moved, block + 1)]) == 2

    with TsaClient(local_tsa.url) as client:
        assert TimestampJob(queue, client).run_once().stamped == 2

    one = queue.token(subject.contribution_id, subject.block_hash)
    other = queue.token(moved.contribution_id, moved.block_hash)
    assert one is not None and other is not None
    assert one.token.imprint == subject.imprint() != other.token.imprint == moved.imprint()


def test_queue_keeps_pending_registrations_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    items = _subjects(2, seed=8)
    first = sa.create_engine(f"sqlite:///{path}")
    queue = TimestampQueue(first)
    queue.create()
    queue.enqueue(items, now=10.0)
    first.dispose()

    second = sa.create_engine(f"sqlite:///{path}")
    reopened = TimestampQueue(second)
    reopened.create()

    assert [p.subject for p in reopened.due(now=10.0)] == [s for s, _ in items]
    second.dispose()


def test_queue_database_error_is_translated(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    queue = TimestampQueue(engine)  # table never created

    with pytest.raises(TimestampQueueError, match="timestamp queue database error"):
        queue.counts()
    engine.dispose()


def test_run_loop_stamps_then_stops_on_event(queue: TimestampQueue, local_tsa: LocalTsa) -> None:
    queue.enqueue(_subjects(2, seed=9))
    stop = threading.Event()
    with TsaClient(local_tsa.url) as client:
        job = TimestampJob(queue, client)
        worker = threading.Thread(target=job.run, args=(stop,), kwargs={"interval": 0.05})
        worker.start()
        try:
            for _ in range(200):
                if queue.counts().stamped == 2:
                    break
                threading.Event().wait(0.05)
        finally:
            stop.set()
            worker.join(timeout=10)

    assert not worker.is_alive()
    assert queue.counts().stamped == 2


# ------------------------------------------------------------------------------ from the index


def test_feed_queues_what_the_index_holds_and_tokens_fit_the_bundle(
    memory_env: Any, local_tsa: LocalTsa, tmp_path: Path
) -> None:
    """Registrations indexed by the follower reach the queue once each; a token checks against
    the registration as its proof bundle states it."""
    env = memory_env
    scenario = build_scenario(env)
    store = Store.open(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    engine = sa.create_engine(store.outbox_url)
    try:
        queue = TimestampQueue(engine)
        queue.create()
        follower = follower_for(
            env.chain.w3,
            store,
            ledger_address=env.ledger.address,
            vault_address=env.vault.address,
            start_block=0,
        )
        rebuild_index(follower)
        feed = IndexFeed(store, queue, chain_id=env.chain.chain_id, contract=env.ledger.address)
        indexed = store.index.count_contributions()

        assert indexed > 3
        assert feed.run_once() == indexed
        assert feed.run_once() == 0
        env.register(env.carol, scenario.project_id)
        follower.sync_once()
        assert feed.run_once() == 1
        rebuild_index(follower)  # the index rebuilt from the chain: nothing is queued twice
        assert feed.run_once() == 0

        with TsaClient(local_tsa.url) as client:
            job = TimestampJob(queue, client, feed=feed)
            assert job.run_once().stamped == indexed + 1
        item = scenario["b"]
        bundle = ProofBuilder(env.chain.w3, env.ledger.address).build(
            item.contribution_id, content_hash=item.content_hash, salt=item.salt
        )
        document = bundle.to_json()
        subject = RegistrationSubject(
            chain_id=int(document["chain"]["chainId"]),
            contract=document["chain"]["contract"],
            contribution_id=bytes.fromhex(document["contribution"]["contributionId"][2:]),
            commitment=bytes.fromhex(document["contribution"]["commitment"][2:]),
            block_hash=bytes.fromhex(document["chain"]["blockHash"][2:]),
        )
        stored = queue.token(subject.contribution_id, subject.block_hash)
        assert stored is not None
        anchors = load_trust_anchors(local_tsa.root_path)
        assert check_section(stored.token.to_json(), subject, anchors) == []
    finally:
        engine.dispose()
        store.close()

"""The outbox worker's batched rounds: many operations signed and sent in one JSON-RPC batch,
receipts and block hashes read in one batch each, items failing alone.

The batching only matters against a real node, so most tests run on anvil; one runs the same
rounds on eth-tester, whose provider cannot batch and gets the calls one at a time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.signing import register_data
from ledger.chain.transactions import TxRequest, TxSender, can_batch, fetch_receipts
from ledger.errors import LedgerError, RpcError
from ledger.store import OperationRecord, Store
from ledger.sync.outbox import ChainCall, OpStatus, OutboxConfig, OutboxWorker
from tests.ledger.conftest import Env, _env

LEDGER = "PocLedger"
VAULT = "RoyaltyVault"


@pytest.fixture
def anvil_env(request: pytest.FixtureRequest) -> Iterator[Env]:
    """Deployed contracts on the session anvil, reverted afterwards."""
    yield from _env(request, "anvil")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    try:
        yield opened
    finally:
        opened.close()


def _worker(env: Env, store: Store) -> OutboxWorker:
    return OutboxWorker(
        store=store,
        w3=env.chain.w3,
        relayer=env.relayer,
        contracts={LEDGER: env.ledger.address, VAULT: env.vault.address},
        config=OutboxConfig(poll_interval=0.01),
        is_nonce_used=lambda contract, signer, nonce: env.ledger.is_nonce_used(signer, nonce),
    )


def _registration_call(
    env: Env, project_id: int, nonce: int, *, gas: int | None = None
) -> ChainCall:
    """A registration by bob, signed by bob and relayed (what the API stores)."""
    registration = env.registration(env.bob, project_id)
    auth = env.sign(
        env.bob,
        register_data(
            env.ledger.domain,
            registration=registration,
            signer=env.bob.address,
            nonce=nonce,
            deadline=env.deadline(),
        ),
    )
    return ChainCall(
        contract=LEDGER,
        function="registerBySig",
        args=(registration.as_abi(), auth.as_tuple()),
        gas=gas or env.ledger.gas_limit("register", by_sig=True),
        signer=auth.signer,
        nonce=auth.nonce,
    )


def _accept(store: Store, call: ChainCall, created_at: float) -> str:
    op_id = uuid.uuid4().hex
    store.add_operation(
        OperationRecord(
            id=op_id,
            kind="register",
            actor=str(call.signer),
            project_id=None,
            api_key_id=None,
            idempotency_key=None,
            request_hash=op_id,
            dedupe_key=None,
            payload_json=call.to_json(),
            meta_json=None,
            status=OpStatus.ACCEPTED,
            tx_hash=None,
            block_number=None,
            block_hash=None,
            result_json=None,
            error_code=None,
            error_message=None,
            attempts=0,
            created_at=created_at,
            updated_at=created_at,
            sent_at=None,
            mined_at=None,
        )
    )
    return op_id


def _accept_all(store: Store, calls: list[ChainCall]) -> list[str]:
    # Distinct creation times keep the outbox's order the list's order.
    return [_accept(store, call, 1_000.0 + i) for i, call in enumerate(calls)]


def _registered(op: OperationRecord | None) -> int:
    assert op is not None and op.result_json is not None
    events = json.loads(op.result_json)["events"]
    return sum(1 for e in events if e["event"] == "ContributionRegistered")


def _node_nonce(sender: TxSender) -> int:
    return int(sender.w3.eth.get_transaction_count(sender.address, "pending"))


def _drain(worker: OutboxWorker, rounds: int = 50) -> list[str]:
    """Run rounds until nothing is pending; return the errors the rounds reported."""
    errors = []
    for _ in range(rounds):
        try:
            worker.step()
        except LedgerError as exc:
            errors.append(str(exc))
        pending = worker.store.operations_in(["accepted", "sent", "included"], limit=1)
        if not pending:
            break
    return errors


# ------------------------------------------------------------------------------ anvil


@pytest.mark.anvil
def test_send_round_sends_every_accepted_operation_in_one_batch(
    anvil_env: Env, store: Store
) -> None:
    env = anvil_env
    assert can_batch(env.chain.w3)
    project_id = env.create_project()
    ids = _accept_all(store, [_registration_call(env, project_id, 100 + i) for i in range(25)])
    worker = _worker(env, store)
    start = _node_nonce(env.relayer)

    assert worker.step()

    # One round sent them all and wrote the round's changes at its end.
    ops = [store.operation(op_id) for op_id in ids]
    assert all(op is not None and op.status == OpStatus.SENT for op in ops)
    assert _node_nonce(env.relayer) == start + 25
    assert _drain(worker) == []
    ops = [store.operation(op_id) for op_id in ids]
    assert [op.status if op else None for op in ops] == [OpStatus.CONFIRMED] * 25
    assert sum(_registered(op) for op in ops) == 25
    assert worker.stats.sent == 25 and worker.stats.confirmed == 25


@pytest.mark.anvil
def test_send_batch_refused_item_fails_alone_and_its_nonce_gap_is_filled(anvil_env: Env) -> None:
    env = anvil_env
    relayer = env.relayer
    start = _node_nonce(relayer)
    txs = [TxRequest(to=env.dave.address, value=1, gas=21_000) for _ in range(5)]
    txs[1] = TxRequest(to=env.dave.address, value=1, gas=1_000)  # below intrinsic gas

    results = relayer.send_batch(txs)

    assert isinstance(results[1], RpcError)
    assert "intrinsic gas" in str(results[1]).lower()
    hashes = [r for i, r in enumerate(results) if i != 1]
    assert all(isinstance(h, str) for h in hashes)
    # Without the filler at the refused nonce the three after it would wait forever.
    receipts = relayer.wait_many([str(h) for h in hashes], timeout=10)
    assert all(r.succeeded for r in receipts)
    assert _node_nonce(relayer) == start + 5  # four transfers and the filler
    # The local nonce follows: the next send lands at once.
    assert relayer.transact(TxRequest(to=env.dave.address, value=1, gas=21_000)).succeeded


@pytest.mark.anvil
def test_outbox_holds_refused_operation_and_sends_the_rest(anvil_env: Env, store: Store) -> None:
    env = anvil_env
    project_id = env.create_project()
    calls = [_registration_call(env, project_id, 200 + i) for i in range(4)]
    calls[1] = _registration_call(env, project_id, 299, gas=1_000)  # the node refuses it
    ids = _accept_all(store, calls)
    worker = _worker(env, store)

    with pytest.raises(RpcError, match=r"(?i)intrinsic gas"):
        worker.step()

    errors = _drain(worker, rounds=10)
    statuses = [op.status if op else None for op in map(store.operation, ids)]
    assert statuses == [
        OpStatus.CONFIRMED,
        OpStatus.ACCEPTED,
        OpStatus.CONFIRMED,
        OpStatus.CONFIRMED,
    ]
    assert errors and all("intrinsic gas" in e.lower() for e in errors)
    assert worker.last_error is None or "intrinsic" in worker.last_error


@pytest.mark.anvil
def test_outbox_resends_items_whose_nonce_another_sender_took(anvil_env: Env, store: Store) -> None:
    env = anvil_env
    project_id = env.create_project()
    worker = _worker(env, store)
    worker._check_head()
    env.relayer.transact(TxRequest(to=env.dave.address, value=1, gas=21_000))  # nonce cached
    # The same key used elsewhere: the worker's next two nonces are taken.
    other = TxSender(env.chain.w3, env.relayer.account, chain_id=env.chain.chain_id)
    other.send_many([TxRequest(to=env.dave.address, value=1, gas=21_000)] * 2)
    ids = _accept_all(store, [_registration_call(env, project_id, 300 + i) for i in range(5)])

    assert _drain(worker) == []

    ops = [store.operation(op_id) for op_id in ids]
    assert [op.status if op else None for op in ops] == [OpStatus.CONFIRMED] * 5
    assert sum(_registered(op) for op in ops) == 5
    assert worker.stats.sent == 5 and worker.stats.already_done == 0


@pytest.mark.anvil
def test_outbox_counts_a_landed_duplicate_as_already_done(anvil_env: Env, store: Store) -> None:
    env = anvil_env
    project_id = env.create_project()
    first = _registration_call(env, project_id, 400)
    # The same signed call twice (a re-send): the second finds the first one's traces.
    ids = _accept_all(store, [first, _registration_call(env, project_id, 402), first])
    worker = _worker(env, store)

    assert _drain(worker) == []

    ops = [store.operation(op_id) for op_id in ids]
    assert [op.status if op else None for op in ops] == [OpStatus.CONFIRMED] * 3
    assert ops[2] is not None and json.loads(str(ops[2].result_json))["already_done"] is True
    assert worker.stats.already_done == 1


@pytest.mark.anvil
def test_fetch_receipts_answers_each_hash_in_order(anvil_env: Env) -> None:
    env = anvil_env
    hashes = env.relayer.send_all(
        [TxRequest(to=env.dave.address, value=i + 1, gas=21_000) for i in range(3)]
    )
    env.relayer.wait_many(hashes)
    unknown = "0x" + "ab" * 32

    receipts = fetch_receipts(env.chain.w3, [hashes[2], unknown, hashes[0]])

    assert receipts[1] is None
    assert receipts[0] is not None and receipts[0].tx_hash == hashes[2]
    assert receipts[2] is not None and receipts[2].tx_hash == hashes[0]
    assert receipts[0].block_number > receipts[2].block_number


# ------------------------------------------------------------------------------ eth-tester


def test_outbox_rounds_work_one_call_at_a_time_on_eth_tester(memory_env: Env, store: Store) -> None:
    env = memory_env
    assert not can_batch(env.chain.w3)
    project_id = env.create_project()
    ids = _accept_all(store, [_registration_call(env, project_id, 500 + i) for i in range(4)])
    worker = _worker(env, store)

    assert _drain(worker) == []

    ops = [store.operation(op_id) for op_id in ids]
    assert [op.status if op else None for op in ops] == [OpStatus.CONFIRMED] * 4
    assert sum(_registered(op) for op in ops) == 4

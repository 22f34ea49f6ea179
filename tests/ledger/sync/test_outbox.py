"""The outbox worker's batched rounds: many operations signed and sent in one JSON-RPC batch,
receipts and block hashes read in one batch each, items failing alone.

The batching only matters against a real node, so most tests run on anvil; one runs the same
rounds on eth-tester, whose provider cannot batch and gets the calls one at a time. Every test
with a store runs on SQLite and on PostgreSQL (the `database` fixture).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3.types import RPCEndpoint

from ledger.chain.connection import Backend, ChainConfig, connect_anvil
from ledger.chain.deploy import clients_for, deploy_ledger
from ledger.chain.receipts import can_batch, fetch_receipt, fetch_receipts
from ledger.chain.signing import (
    SignedAuth,
    endorse_data,
    open_dispute_data,
    register_data,
    sign_typed_data,
)
from ledger.chain.transactions import TxRequest, TxSender
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.errors import ChainError, LedgerError, RpcError
from ledger.store import Store
from ledger.store.outbox import OperationRecord
from ledger.sync.calls import ChainCall
from ledger.sync.outbox import OpStatus, OutboxConfig, OutboxWorker
from poc.sandbox.anvil import AnvilProcess
from tests.databases import DatabaseUnderTest
from tests.ledger.conftest import Env, _env, default_policy

LEDGER = "PocLedger"
VAULT = "RoyaltyVault"


@pytest.fixture
def anvil_env(request: pytest.FixtureRequest) -> Iterator[Env]:
    """Deployed contracts on the session anvil, reverted afterwards."""
    yield from _env(request, "anvil")


@pytest.fixture
def store(tmp_path: Path, database: DatabaseUnderTest) -> Iterator[Store]:
    opened = Store.open(database.url(tmp_path))
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
    env: Env, project_id: int, nonce: int, *, gas: int | None = None, deadline: int | None = None
) -> ChainCall:
    """A registration by bob, signed by bob and relayed (what the API stores)."""
    return _registration_call_of(env, env.bob, project_id, nonce, gas=gas, deadline=deadline)


def _registration_call_of(
    env: Env,
    contributor: TxSender,
    project_id: int,
    nonce: int,
    *,
    gas: int | None = None,
    deadline: int | None = None,
) -> ChainCall:
    """A registration by `contributor`, signed by it and relayed."""
    registration = env.registration(contributor, project_id)
    auth = env.sign(
        contributor,
        register_data(
            env.ledger.domain,
            registration=registration,
            signer=contributor.address,
            nonce=nonce,
            deadline=env.deadline() if deadline is None else deadline,
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


def _accept(
    store: Store, call: ChainCall, created_at: float, *, dedupe_key: str | None = None
) -> str:
    op_id = uuid.uuid4().hex
    store.outbox.add_operation(
        OperationRecord(
            id=op_id,
            kind="register",
            actor=str(call.signer),
            project_id=None,
            api_key_id=None,
            idempotency_key=None,
            request_hash=op_id,
            dedupe_key=dedupe_key,
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


def _mine_block_at(env: Env, timestamp: int) -> None:
    """Mine a block whose timestamp is exactly `timestamp` (later than the head's)."""
    if env.chain.backend is Backend.ANVIL:
        env.chain.w3.manager.request_blocking(RPCEndpoint("evm_setNextBlockTimestamp"), [timestamp])
        env.chain.mine()
    else:
        env.chain.increase_time(timestamp - env.now())
    assert env.now() == timestamp


def _next_block_later(env: Env, seconds: int) -> None:
    """Give the next block a timestamp `seconds` after the head's (eth-tester's next block is
    always at least a second later; anvil may mine several in one second)."""
    if env.chain.backend is Backend.ANVIL:
        head = env.now()
        env.chain.w3.manager.request_blocking(
            RPCEndpoint("evm_setNextBlockTimestamp"), [head + seconds]
        )


def _drain(worker: OutboxWorker, rounds: int = 50) -> list[str]:
    """Run rounds until nothing is pending; return the errors the rounds reported."""
    errors = []
    for _ in range(rounds):
        try:
            worker.step()
        except LedgerError as exc:
            errors.append(str(exc))
        pending = worker.store.outbox.operations_in(["accepted", "sent", "included"], limit=1)
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
    ops = [store.outbox.operation(op_id) for op_id in ids]
    assert all(op is not None and op.status == OpStatus.SENT for op in ops)
    assert _node_nonce(env.relayer) == start + 25
    assert _drain(worker) == []
    ops = [store.outbox.operation(op_id) for op_id in ids]
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
    statuses = [op.status if op else None for op in map(store.outbox.operation, ids)]
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

    ops = [store.outbox.operation(op_id) for op_id in ids]
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

    ops = [store.outbox.operation(op_id) for op_id in ids]
    assert [op.status if op else None for op in ops] == [OpStatus.CONFIRMED] * 3
    assert ops[2] is not None and json.loads(str(ops[2].result_json))["already_done"] is True
    assert worker.stats.already_done == 1


@pytest.mark.anvil
def test_outbox_confirms_only_blocks_the_node_has_saved(anvil_env: Env, store: Store) -> None:
    env = anvil_env
    project_id = env.create_project()
    calls = [_registration_call(env, project_id, 500 + i) for i in range(3)]
    # The last one a re-send of the first: "already done" is no more final than its block.
    ids = _accept_all(store, [*calls, calls[0]])
    # What a persisting node reports (the sandbox's anvil: `AnvilProcess.saved_block`).
    saved: list[tuple[int, str] | None] = [None]
    worker = OutboxWorker(
        store=store,
        w3=env.chain.w3,
        relayer=env.relayer,
        contracts={LEDGER: env.ledger.address, VAULT: env.vault.address},
        config=OutboxConfig(poll_interval=0.01, saved_poll_interval=0.0),
        saved_block=lambda: saved[0],
    )

    def statuses() -> list[str | None]:
        return [op.status if op else None for op in map(store.outbox.operation, ids)]

    def block(number: int) -> tuple[int, str]:
        return number, to_hex(env.chain.w3.eth.get_block(number)["hash"])

    for _ in range(5):
        worker.step()
    assert statuses() == [OpStatus.INCLUDED] * 4  # on chain, not on the node's disk
    duplicate = store.outbox.operation(ids[3])
    assert duplicate is not None and json.loads(str(duplicate.result_json))["already_done"]
    mined = [op.block_number for op in map(store.outbox.operation, ids) if op is not None]
    first, last = min(n for n in mined if n is not None), max(n for n in mined if n is not None)

    saved[0] = block(first - 1)  # saved, but below them
    worker.step()
    assert statuses() == [OpStatus.INCLUDED] * 4
    saved[0] = (last, "0x" + "00" * 32)  # high enough, but not this chain's block
    worker.step()
    assert statuses() == [OpStatus.INCLUDED] * 4

    saved[0] = block(last)
    assert _drain(worker) == []
    assert statuses() == [OpStatus.CONFIRMED] * 4


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

    ops = [store.outbox.operation(op_id) for op_id in ids]
    assert [op.status if op else None for op in ops] == [OpStatus.CONFIRMED] * 4
    assert sum(_registered(op) for op in ops) == 4


# ------------------------------------------------------------------------------ failures


def _endorse_call(
    env: Env,
    endorser: TxSender,
    project_id: int,
    contribution_id: bytes,
    *,
    nonce: int,
    rating: int = 4,
    signed_by: TxSender | None = None,
) -> ChainCall:
    """`endorseBySig` as the API stores it; `signed_by` another key makes the signature bad."""
    data = endorse_data(
        env.ledger.domain,
        project_id=project_id,
        contribution_id=contribution_id,
        rating=rating,
        signer=endorser.address,
        nonce=nonce,
        deadline=env.deadline(),
    )
    if signed_by is None:
        auth = env.sign(endorser, data)
    else:
        forged = sign_typed_data(signed_by.account.key, data)
        auth = SignedAuth(endorser.address, nonce, env.deadline(), forged)
    return ChainCall(
        contract=LEDGER,
        function="endorseBySig",
        args=(project_id, contribution_id, rating, auth.as_tuple()),
        gas=env.ledger.gas_limit("endorse", by_sig=True),
        signer=auth.signer,
        nonce=auth.nonce,
    )


def _failure(store: Store, op_id: str) -> tuple[str | None, str]:
    op = store.outbox.operation(op_id)
    assert op is not None and op.status == OpStatus.FAILED, op
    return op.error_code, op.error_message or ""


def test_outbox_failures_carry_the_contracts_error_of_each_family(env: Env, store: Store) -> None:
    """Calls that the contract refuses only once they are mined (no dry run before: the API
    accepted them while the node was down) fail with the error's stable code and its decoded
    text, for every family of errors a relayed call meets."""
    project_id = env.create_project()
    contribution = env.register(env.bob, project_id)
    env.ledger.endorse(env.carol, project_id, contribution, 3)
    env.ledger.cancel_nonce(env.alice, 707)
    cases = {
        "contribution_not_found": _endorse_call(
            env, env.carol, project_id, b"\x07" * 32, nonce=701
        ),
        "not_partner": _registration_call_of(env, env.dave, project_id, 702),
        "already_endorsed": _endorse_call(env, env.carol, project_id, contribution, nonce=703),
        "invalid_rating": _endorse_call(
            env, env.alice, project_id, contribution, nonce=704, rating=9
        ),
        "signature_invalid": _endorse_call(
            env, env.alice, project_id, contribution, nonce=705, signed_by=env.carol
        ),
        "nonce_used": _endorse_call(env, env.alice, project_id, contribution, nonce=707),
    }
    ids = dict(zip(cases, _accept_all(store, list(cases.values())), strict=True))

    assert _drain(_worker(env, store)) == []

    failures = {code: _failure(store, op_id) for code, op_id in ids.items()}
    assert {code: got for code, (got, _) in failures.items()} == {code: code for code in cases}
    for code, (_, message) in failures.items():
        # "PocNotPartner(project_id=1, account=0x…): Raised when …", never "UnknownRevert".
        assert re.match(r"(Poc|Signature)\w+\(.*\): Raised when ", message), (code, message)


def test_outbox_counts_a_resent_signed_endorsement_as_already_done(env: Env, store: Store) -> None:
    """The same signed call twice (a re-send after a lost answer): the second meets its own
    used nonce, and that is success. A nonce its signer cancelled is not (previous test)."""
    project_id = env.create_project()
    contribution = env.register(env.bob, project_id)
    call = _endorse_call(env, env.carol, project_id, contribution, nonce=720)
    ids = _accept_all(store, [call, call])

    assert _drain(_worker(env, store)) == []

    ops = [store.outbox.operation(op_id) for op_id in ids]
    assert [op.status if op else None for op in ops] == [OpStatus.CONFIRMED] * 2
    assert ops[1] is not None and json.loads(str(ops[1].result_json))["already_done"] is True


def test_outbox_failure_when_a_window_closed_between_blocks_is_decoded(
    env: Env, store: Store
) -> None:
    """A dispute whose window closes after the head block but before the dispute's own block:
    replayed on the state before its block (the parent's clock) it succeeds; the replay on its
    own block's state and clock finds the contract's reason."""
    project_id = env.create_project()
    contribution = env.register(env.bob, project_id)
    record = env.ledger.contribution(contribution)
    closes_at = record.registered_at + default_policy().dispute_window
    _mine_block_at(env, closes_at)
    data = open_dispute_data(
        env.ledger.domain,
        project_id=project_id,
        contribution_id=contribution,
        reason_hash=b"\x0d" * 32,
        signer=env.carol.address,
        nonce=730,
        deadline=closes_at + 3_600,
    )
    auth = env.sign(env.carol, data)
    call = ChainCall(
        contract=LEDGER,
        function="openDisputeBySig",
        args=(project_id, contribution, b"\x0d" * 32, auth.as_tuple()),
        gas=env.ledger.gas_limit("openDispute", by_sig=True),
        signer=auth.signer,
        nonce=auth.nonce,
    )
    [op_id] = _accept_all(store, [call])
    _next_block_later(env, 1)

    assert _drain(_worker(env, store)) == []

    code, message = _failure(store, op_id)
    assert code == "dispute_window_closed", message


def test_outbox_failure_of_an_expired_signature_is_signature_expired(
    env: Env, store: Store
) -> None:
    """A signed call that waited in the outbox past its deadline (the node was down) fails
    with the contract's own error, decoded, not as an unknown revert."""
    project_id = env.create_project()
    # Valid at the head block, expired in the next one: the state before the transaction's
    # block (where a replay runs) accepts it, only that block's clock refuses it.
    call = _registration_call(env, project_id, 600, deadline=env.now())
    [op_id] = _accept_all(store, [call])
    _next_block_later(env, 60)

    assert _drain(_worker(env, store)) == []

    code, message = _failure(store, op_id)
    assert code == "signature_expired", message
    assert message.startswith("SignatureExpired(deadline=")


@pytest.mark.anvil
def test_outbox_failure_of_an_expired_signature_on_a_node_without_old_states(
    tmp_path: Path, store: Store
) -> None:
    """A node that keeps no state of older blocks (anvil `--prune-history`; a pruned full node
    once enough blocks passed) cannot replay a failed transaction. The expiry is still known:
    the block's clock passed the signature's deadline, which the contract checks first."""
    node = AnvilProcess(tmp_path / "node", persist=False, extra_args=("--prune-history",))
    with node:
        chain = connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node)
        record = deploy_ledger(chain)
        ledger, vault = clients_for(chain, record)
        env = Env(chain=chain, record=record, ledger=ledger, vault=vault)
        project_id = env.create_project()
        call = _registration_call(env, project_id, 750, deadline=env.now())
        [op_id] = _accept_all(store, [call])
        _next_block_later(env, 60)
        worker = _worker(env, store)
        worker.step()  # sent and mined
        sent = store.outbox.operation(op_id)
        assert sent is not None and sent.tx_hash is not None
        receipt = fetch_receipt(chain.w3, sent.tx_hash)
        assert receipt is not None and not receipt.succeeded
        chain.mine(3)  # the states around its block are gone before the receipt is read
        for block in (receipt.block_number - 1, receipt.block_number):
            with pytest.raises(ChainError, match="BlockOutOfRange"), translating():
                chain.w3.eth.call({"to": record.address("PocLedger")}, block)

        assert _drain(worker) == []

    code, message = _failure(store, op_id)
    assert code == "signature_expired", message


def test_outbox_failure_frees_the_action_for_a_new_attempt(env: Env, store: Store) -> None:
    """A failed operation lets go of its action (`dedupe_key`); a confirmed one keeps it."""
    project_id = env.create_project()
    expired = _registration_call(env, project_id, 740, deadline=env.now())
    fine = _registration_call(env, project_id, 741)
    failed_id, confirmed_id = (
        _accept(store, call, 1_000.0 + i, dedupe_key=f"action-{i}")
        for i, call in enumerate([expired, fine])
    )
    _next_block_later(env, 60)

    assert _drain(_worker(env, store)) == []

    failed, confirmed = store.outbox.operation(failed_id), store.outbox.operation(confirmed_id)
    assert failed is not None and failed.status == OpStatus.FAILED
    assert failed.dedupe_key is None
    assert confirmed is not None and confirmed.status == OpStatus.CONFIRMED
    assert confirmed.dedupe_key == "action-1"

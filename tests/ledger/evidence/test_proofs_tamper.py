"""Field-by-field tampering: change any single leaf of a bundle and verification fails, naming
that field. Every leaf of every kind of bundle (direct, by signature, batched by signature,
batched direct, superseding, withdrawn) is mutated in turn, and offline verification alone
catches each change: every transaction of the scenario is the first of its block, so every log
index is known exactly from its receipt (docs/proofs.md, "Log indexes offline").

Where a transaction is not its block's first, a log index is only bounded offline: the bundle
holds none of the earlier transactions' receipts. `test_tamper_log_index_in_shared_block_*`
shows which changes stay undetectable offline there, and that the node catches them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from ledger.chain.connection import Backend, Chain
from ledger.chain.receipts import TxReceipt
from ledger.chain.transactions import TxRequest, TxSender
from ledger.domain import hashing
from ledger.domain.values import Origin, Registration
from ledger.evidence.block_evidence import decode_receipt, decode_transaction, log_index_bounds
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.schema import integers_from_text
from ledger.evidence.verifier import VerificationReport, iter_leaves, verify_document
from tests.ledger.evidence.proof_scenario import build_scenario

_ENUM_SWAPS = {
    "Background": "Result",
    "Result": "Background",
    "Active": "Withdrawn",
    "Withdrawn": "Active",
    "Superseded": "Active",
    "Invalidated": "Active",
    "Register": "AnchorBatch",
    "AnchorBatch": "Register",
    "transaction": "eip712",
    "eip712": "transaction",
}


def mutate(value: Any) -> Any:
    """A different value of the same kind (so the failure is about meaning, not shape)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        if value.isdecimal() and value.isascii():
            return str(int(value) + 1)  # a format 3 integer: the next one, spelled the same way
        if value.startswith("0x") and len(value) > 2:
            last = value[-1].lower()
            return value[:-1] + ("1" if last == "0" else "0")
        if value in _ENUM_SWAPS:
            return _ENUM_SWAPS[value]
        if value.endswith("Z") and value[:4].isdigit():
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")) + timedelta(seconds=1)
            return moment.isoformat().replace("+00:00", "Z")
        return value + "x"
    raise TypeError(value)


def set_path(document: Any, path: str, value: Any) -> None:
    """Set the leaf at a JSON path like `history[0].args.rating`."""
    parts: list[str | int] = []
    for segment in path.replace("]", "").split("."):
        head, *indices = segment.split("[")
        parts.append(head)
        parts.extend(int(i) for i in indices)
    target = document
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


def names(report: VerificationReport, path: str) -> bool:
    """Whether a failed check blames `path` itself or the list that holds it."""
    return any(path == field or path.startswith(field + "[") for field in report.failed_fields())


def undetected(
    document: dict[str, Any], verify: Callable[[dict[str, Any]], VerificationReport]
) -> list[str]:
    misses = []
    for path, value in iter_leaves(document):
        if value is None:
            continue
        tampered = copy.deepcopy(document)
        set_path(tampered, path, mutate(value))
        report = verify(tampered)
        if report.ok or not names(report, path):
            misses.append(f"{path}: {'passed' if report.ok else sorted(report.failed_fields())}")
    return misses


def _log_index_paths(document: dict[str, Any]) -> list[str]:
    return [path for path, _ in iter_leaves(document) if path.endswith("logIndex")]


def _tx_indexes(document: dict[str, Any]) -> set[int]:
    return {int(value) for path, value in iter_leaves(document) if path.endswith("txIndex")}


def as_format2(document: dict[str, Any]) -> dict[str, Any]:
    """A format 3 document as format 2 wrote it: the same, with its integers as JSON numbers."""
    return {**integers_from_text(document), "version": 2}


@pytest.mark.slow
@pytest.mark.parametrize("version", [2, 3])
def test_tamper_every_field_of_every_bundle_kind_fails_naming_it(
    memory_env: Any, version: int
) -> None:
    scenario = build_scenario(memory_env)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    misses: list[str] = []
    leaves = log_indexes = 0
    for name in ("a", "b", "c", "d", "a2", "e"):
        item = scenario[name]
        document = builder.build(
            item.contribution_id, content_hash=item.content_hash, salt=item.salt
        ).to_json()
        assert document["version"] == 3
        if version == 2:
            document = as_format2(document)
        assert verify_document(document).ok
        # Why offline suffices here, log indexes included: each log is in its block's first
        # transaction, whose receipt fixes the index.
        assert _tx_indexes(document) == {0}
        leaves += sum(1 for _ in iter_leaves(document))
        log_indexes += len(_log_index_paths(document))
        misses += [f"{name}: {miss}" for miss in undetected(document, verify_document)]
    assert leaves > 500
    assert log_indexes > 20
    assert not misses, "\n".join(misses)


@pytest.mark.anvil
@pytest.mark.slow
def test_tamper_on_anvil_bundle_fails_naming_each_field(env: Any) -> None:
    if env.chain.backend.value != "anvil":
        pytest.skip("the eth-tester case is the test above")
    scenario = build_scenario(env)
    builder = ProofBuilder(env.chain.w3, env.ledger.address)
    item = scenario["b"]
    document = builder.build(
        item.contribution_id, content_hash=item.content_hash, salt=item.salt
    ).to_json()
    assert _tx_indexes(document) == {0}
    misses = undetected(document, verify_document)
    assert not misses, "\n".join(misses)


# ------------------------------------------------------------------------------ shared blocks


@contextmanager
def _one_block(chain: Chain) -> Iterator[None]:
    """Transactions sent inside go into one block, mined on leaving, in the order sent."""
    if chain.backend is Backend.MEMORY:
        tester = chain.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        tester.disable_auto_mine_transactions()
        try:
            yield
        finally:
            tester.enable_auto_mine_transactions()  # mines what is pending
        return
    chain.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield
        chain.mine()
    finally:
        chain.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


def _send_in_one_block(
    env: Any, calls: Sequence[tuple[TxSender, str, list[Any], int]]
) -> list[TxReceipt]:
    ledger = env.ledger
    hashes = []
    with _one_block(env.chain):
        for sender, function, args, gas in calls:
            data = bytes.fromhex(ledger.contract.encode_abi(function, args)[2:])
            hashes.append((sender, sender.send(TxRequest(to=ledger.address, data=data, gas=gas))))
    receipts = [sender.wait(tx_hash) for sender, tx_hash in hashes]
    assert len({r.block_number for r in receipts}) == 1
    return receipts


def _bounds(document: dict[str, Any], path: str) -> tuple[int, int]:
    """What `log_index_bounds` allows for the log at `path` (`chain` or a log proof)."""
    proof = document["inclusion"] if path == "chain" else _at(document, path)
    where = document["chain"] if path == "chain" else proof
    receipt = decode_receipt(bytes.fromhex(proof["receipt"][2:]))
    calldata = decode_transaction(bytes.fromhex(proof["transaction"][2:])).data
    # The scenario's transactions emit their cited log first.
    return log_index_bounds(
        tx_index=int(where["txIndex"]), position=0, receipt=receipt, calldata=calldata
    )


def _at(document: Any, path: str) -> Any:
    node = document
    for segment in path.replace("]", "").split("."):
        head, *indices = segment.split("[")
        node = node[head]
        for index in indices:
            node = node[int(index)]
    return node


def _log_index_changes(document: dict[str, Any], w3: Any) -> tuple[list[str], list[str], list[str]]:
    """Every cited log index changed by +1 and by -1: (caught offline, caught online only,
    not caught at all)."""
    offline, online, missed = [], [], []
    for path in _log_index_paths(document):
        for delta in (1, -1):
            tampered = copy.deepcopy(document)
            value = int(_at(tampered, path))
            if value + delta < 0:
                continue
            set_path(tampered, path, str(value + delta))
            label = f"{path} {delta:+d}"
            if names(verify_document(tampered), path):
                offline.append(label)
            elif names(verify_document(tampered, w3=w3), path):
                online.append(label)
            else:
                missed.append(label)
    return offline, online, missed


def test_tamper_log_index_in_shared_block_is_bounded_offline_exact_online(env: Any) -> None:
    """One block: alice registers x (transaction 0), bob registers y (1), carol endorses x (2).

    Caught offline: x's registration index (first transaction: exact), an index below its
    log's position in the receipt or past what its receipt's gas can pay for, and an index that
    contradicts the order of two cited logs of one block. Undetectable offline, and why: y's
    registration and x's endorsement moved by one stay inside their bounds, because the bundle
    holds no receipt of the transaction before them (how many logs it emitted is unknown). The
    node catches those. On anvil only: eth-tester numbers logs per transaction, not per block
    as Ethereum nodes do, which its one-transaction blocks otherwise hide."""
    if env.chain.backend is not Backend.ANVIL:
        pytest.skip("eth-tester's log indexes restart at 0 in each transaction")
    project = env.create_project()
    x, x_id, x_opening = _registration(env.alice, project, "x")
    y, y_id, y_opening = _registration(env.bob, project, "y")
    register_gas = env.ledger.gas_limit("register")
    receipts = _send_in_one_block(
        env,
        [
            (env.alice, "register", [x.as_abi()], register_gas),
            (env.bob, "register", [y.as_abi()], register_gas),
            (env.carol, "endorse", [project, x_id, 4], env.ledger.gas_limit("endorse")),
        ],
    )
    assert [r.tx_index for r in receipts] == [0, 1, 2]
    builder = ProofBuilder(env.chain.w3, env.ledger.address)
    x_doc = builder.build(
        x_id, content_hash=x_opening["content_hash"], salt=x_opening["salt"]
    ).to_json()
    y_doc = builder.build(
        y_id, content_hash=y_opening["content_hash"], salt=y_opening["salt"]
    ).to_json()
    w3 = env.chain.w3
    for document in (x_doc, y_doc):
        report = verify_document(document, w3=w3)
        assert report.ok, [line for line in report.lines() if line.startswith("FAIL")]
    assert x_doc["history"][0]["event"] == "Endorsed"
    assert x_doc["history"][0]["txIndex"] == "2"

    offline, online, missed = _log_index_changes(x_doc, w3)
    assert not missed
    assert "chain.logIndex +1" in offline and "policy.evidence.logIndex +1" in offline
    assert online == ["history[0].logIndex +1", "history[0].logIndex -1"]
    offline, online, missed = _log_index_changes(y_doc, w3)
    assert not missed
    assert online == ["chain.logIndex +1", "chain.logIndex -1"]

    # Outside the bounds is caught offline, at both ends.
    low, high = _bounds(y_doc, "chain")
    assert low < int(y_doc["chain"]["logIndex"]) <= high
    for wrong in (low - 1, high + 1):
        tampered = copy.deepcopy(y_doc)
        tampered["chain"]["logIndex"] = str(wrong)
        assert "chain.logIndex" in verify_document(tampered).failed_fields(), wrong
    # x's endorsement comes at least after all of x's registration logs.
    tampered = copy.deepcopy(x_doc)
    tampered["history"][0]["logIndex"] = x_doc["chain"]["logIndex"]
    fields = verify_document(tampered).failed_fields()
    assert {"history[0].logIndex", "chain.logIndex"} <= fields


def _registration(
    sender: TxSender, project: int, label: str
) -> tuple[Registration, bytes, dict[str, bytes]]:
    """A registration of `sender`, its contribution id, and its opening (content hash, salt)."""
    digest, salt = hashing.sha256_bytes(label.encode()), hashing.new_salt()
    commitment = hashing.commitment(sender.address, project, digest, salt)
    registration = Registration(project, commitment, Origin.RESULT, 0, 8)
    cid = hashing.contribution_id(project, sender.address, commitment)
    return registration, cid, {"content_hash": digest, "salt": salt}


def test_tamper_only_log_index_needs_the_node_past_the_first_transaction(
    memory_env: Any,
) -> None:
    """The online check compares each log index with the node's receipts, exactly."""
    scenario = build_scenario(memory_env)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    item = scenario["a"]
    document = builder.build(
        item.contribution_id, content_hash=item.content_hash, salt=item.salt
    ).to_json()
    document["chain"]["logIndex"] = str(int(document["chain"]["logIndex"]) + 1)
    online = verify_document(document, w3=memory_env.chain.w3)
    failed = {check.name for check in online.checks if not check.passed}
    assert {"log indexes", "online: log indexes"} <= failed
    assert "chain.logIndex" in online.failed_fields()

"""The public anchor with two anvils: the consortium chain (PocLedger) and a public chain
(ChainCheckpoints). Anchor, prove a registration block, verify offline and against the public
node; every tampered field fails and is named; a block never anchored says so; a rewritten
consortium chain no longer matches the checkpoint, while the genuine proof still verifies."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.checkpoints import ChainCheckpointsClient, deploy_checkpoints
from ledger.chain.connection import Backend, ChainConfig, connect_anvil
from ledger.chain.reverts import CheckpointNotContiguous
from ledger.domain.merkle import process_proof
from ledger.errors import ChainError, NotAnchoredError, ProofError
from ledger.evidence.anchor_job import CheckpointAnchorer
from ledger.evidence.checkpoints import (
    BlockHashTree,
    CheckpointProof,
    CheckpointProver,
    block_leaf_hash,
    check_checkpoint,
    check_checkpoint_online,
)
from ledger.evidence.verifier import iter_leaves
from poc.sandbox.anvil import AnvilProcess
from tests.ledger.conftest import Env
from tests.ledger.evidence.conftest import PUBLIC_CHAIN_ID, PublicChain, start_public_node
from tests.ledger.evidence.test_proofs_tamper import mutate, set_path

pytestmark = pytest.mark.anvil

REPO = Path(__file__).resolve().parents[3]
ORACLE = REPO / "tests" / "ledger" / "domain" / "oz_merkle.mjs"


def _register(consortium: Env, project: int | None = None) -> tuple[int, bytes]:
    """A registration on the consortium chain (in a new project unless one is given): its
    block number and hash."""
    project = project or consortium.create_project()
    result = consortium.ledger.register(
        consortium.alice, consortium.registration(consortium.alice, project)
    )
    return result.receipt.block_number, bytes.fromhex(result.receipt.block_hash[2:])


def _anchorer(consortium: Env, public: PublicChain, **options: Any) -> CheckpointAnchorer:
    return CheckpointAnchorer(consortium.chain.w3, public.checkpoints, public.anchorer, **options)


def _prover(consortium: Env, public: PublicChain) -> CheckpointProver:
    return CheckpointProver(
        consortium.chain.w3,
        public.chain.w3,
        public.checkpoints.address,
        anchorer=public.anchorer.address,
        source_chain_id=consortium.chain.chain_id,
        public_from_block=public.deploy_block,
    )


def _problems(document: dict[str, Any], consortium: Env, block: tuple[int, bytes]) -> list[Any]:
    return check_checkpoint(
        document, chain_id=consortium.chain.chain_id, block_number=block[0], block_hash=block[1]
    )


def _fields(problems: list[Any]) -> set[str]:
    return {f for problem in problems for f in problem.fields}


# ------------------------------------------------------------------------------ the tree


def test_block_tree_matches_openzeppelin_standard_merkle_tree() -> None:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@openzeppelin" / "merkle-tree").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node and @openzeppelin/merkle-tree are missing in CI")
        pytest.skip("node and node_modules/@openzeppelin/merkle-tree are needed")
    hashes = [bytes([i]) * 32 for i in range(1, 8)]
    tree = BlockHashTree.of(40, hashes)
    request = {
        "types": ["uint256", "bytes32"],
        "leaves": [[str(40 + i), "0x" + h.hex()] for i, h in enumerate(hashes)],
    }
    completed = subprocess.run(
        [node, str(ORACLE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=60,
    )
    reference = json.loads(completed.stdout)

    assert reference["root"] == "0x" + tree.root.hex()
    assert reference["proofs"] == [
        ["0x" + n.hex() for n in tree.proof(40 + i)] for i in range(len(hashes))
    ]
    for i, digest in enumerate(hashes):
        assert process_proof(block_leaf_hash(40 + i, digest), tree.proof(40 + i)) == tree.root


def test_documented_example_leaf_is_the_computed_one() -> None:
    docs = (REPO / "docs" / "proofs.md").read_text()
    leaf = block_leaf_hash(7, bytes([0x33]) * 32)

    assert f"leaf(7, 0x33…33) = 0x{leaf.hex()}" in docs


# ------------------------------------------------------------------------- anchor, prove, verify


def test_anchor_prove_and_verify_offline_and_online(consortium: Env, public: PublicChain) -> None:
    block = _register(consortium)

    anchored = _anchorer(consortium, public).run_once()
    proof = _prover(consortium, public).prove(*block)
    document = proof.to_json()

    assert anchored is not None
    assert anchored.checkpoint.from_block == 0
    assert anchored.checkpoint.to_block == consortium.chain.w3.eth.block_number
    assert anchored.checkpoint.last_block_hash == bytes(
        consortium.chain.w3.eth.get_block("latest")["hash"]
    )
    assert proof.chain_id == PUBLIC_CHAIN_ID
    assert proof.log.args["anchorer"] == public.anchorer.address
    assert _problems(document, consortium, block) == []
    assert check_checkpoint_online(document, public.chain.w3) == []
    # The section survives JSON.
    assert CheckpointProof.from_json(json.loads(json.dumps(document))) == proof


def test_later_checkpoint_covers_only_new_blocks(consortium: Env, public: PublicChain) -> None:
    anchorer = _anchorer(consortium, public)
    first = anchorer.run_once()
    assert anchorer.run_once() is None  # nothing new: no empty checkpoint
    block = _register(consortium)

    second = anchorer.run_once()
    proof = _prover(consortium, public).prove(*block)

    assert first is not None and second is not None
    assert second.checkpoint.sequence == 2
    assert second.checkpoint.from_block == first.checkpoint.to_block + 1
    assert proof.sequence == 2
    assert _problems(proof.to_json(), consortium, block) == []
    assert check_checkpoint_online(proof.to_json(), public.chain.w3) == []


def test_long_ranges_are_split_into_contiguous_checkpoints(
    consortium: Env, public: PublicChain
) -> None:
    block = _register(consortium)
    anchorer = _anchorer(consortium, public, max_blocks=2)
    posted = []
    while (anchored := anchorer.run_once()) is not None:
        posted.append(anchored.checkpoint)

    assert len(posted) > 1
    assert all(c.to_block - c.from_block + 1 <= 2 for c in posted)
    assert [c.from_block for c in posted[1:]] == [c.to_block + 1 for c in posted[:-1]]
    proof = _prover(consortium, public).prove(*block)
    assert _problems(proof.to_json(), consortium, block) == []


def test_one_block_checkpoint_has_empty_merkle_proof(consortium: Env, public: PublicChain) -> None:
    project = consortium.create_project()
    _anchorer(consortium, public).run_once()
    block = _register(consortium, project)  # one new block

    _anchorer(consortium, public).run_once()
    proof = _prover(consortium, public).prove(*block)

    assert proof.merkle_proof == ()
    assert _problems(proof.to_json(), consortium, block) == []


def test_checkpoint_gas_is_reported(consortium: Env, public: PublicChain) -> None:
    anchorer = _anchorer(consortium, public)
    first = anchorer.run_once()
    _register(consortium)
    second = anchorer.run_once()

    assert first is not None and second is not None
    assert 0 < second.gas_used < first.gas_used < 75_000


def test_run_loop_anchors_new_blocks_then_stops(consortium: Env, public: PublicChain) -> None:
    anchorer = _anchorer(consortium, public)
    stop = threading.Event()
    worker = threading.Thread(target=anchorer.run, args=(stop,), kwargs={"interval": 0.05})
    worker.start()
    try:
        head = consortium.chain.w3.eth.block_number
        for _ in range(200):
            if (
                public.checkpoints.latest(public.anchorer.address, consortium.chain.chain_id)[1]
                >= head
            ):
                break
            stop.wait(0.05)
    finally:
        stop.set()
        worker.join(timeout=20)

    assert not worker.is_alive()
    assert public.checkpoints.latest(public.anchorer.address, consortium.chain.chain_id) == (
        1,
        head,
    )


def test_repeated_post_of_a_landed_checkpoint_is_refused(
    consortium: Env, public: PublicChain
) -> None:
    """A job that crashed after its checkpoint landed and sends it again: the contract says no."""
    anchored = _anchorer(consortium, public).run_once()
    assert anchored is not None
    c = anchored.checkpoint

    with pytest.raises(CheckpointNotContiguous) as info:
        public.checkpoints.post(
            public.anchorer,
            source_chain_id=c.source_chain_id,
            from_block=c.from_block,
            to_block=c.to_block,
            last_block_hash=c.last_block_hash,
            root=c.root,
        )
    assert info.value.expected_from_block == c.to_block + 1


def test_anchoring_waits_out_a_public_chain_outage(consortium: Env, tmp_path: Path) -> None:
    """The public node down: the round fails with a chain error (the loop logs it and tries
    again next round); the node back, the blocks are anchored."""
    node = AnvilProcess(tmp_path / "public", chain_id=PUBLIC_CHAIN_ID).start()
    try:
        chain = connect_anvil(
            ChainConfig(backend=Backend.ANVIL, anvil_chain_id=PUBLIC_CHAIN_ID), node=node
        )
        address, _ = deploy_checkpoints(chain.sender(0))
        anchorer = CheckpointAnchorer(
            consortium.chain.w3, ChainCheckpointsClient(chain.w3, address), chain.sender(1)
        )
        block = _register(consortium)
        node.stop()

        with pytest.raises(ChainError):
            anchorer.run_once()

        node.start()  # the same port, its state reloaded
        anchored = anchorer.run_once()
        assert anchored is not None and anchored.checkpoint.covers(block[0])
    finally:
        node.stop()


# ------------------------------------------------------------------------------ not anchored


def test_block_after_the_last_checkpoint_is_not_anchored_yet(
    consortium: Env, public: PublicChain
) -> None:
    _anchorer(consortium, public).run_once()
    block = _register(consortium)

    with pytest.raises(NotAnchoredError, match=r"not anchored yet: the latest checkpoint \(1\)"):
        _prover(consortium, public).prove(*block)


def test_block_before_the_first_checkpoint_is_not_anchored(
    consortium: Env, public: PublicChain
) -> None:
    block = _register(consortium)
    _register(consortium)
    assert _anchorer(consortium, public, start_block=block[0] + 1).run_once() is not None

    with pytest.raises(NotAnchoredError, match=f"the checkpoints start at block {block[0] + 1}"):
        _prover(consortium, public).prove(*block)


def test_chain_never_anchored_says_so(consortium: Env, public: PublicChain) -> None:
    block = _register(consortium)

    with pytest.raises(NotAnchoredError, match="has posted no checkpoint"):
        _prover(consortium, public).prove(*block)


# ------------------------------------------------------------------------------ tampering


@pytest.fixture
def anchored(consortium: Env, public: PublicChain) -> tuple[dict[str, Any], tuple[int, bytes]]:
    block = _register(consortium)
    _register(consortium)  # a second block, so that the Merkle proof is not empty
    _anchorer(consortium, public).run_once()
    return _prover(consortium, public).prove(*block).to_json(), block


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("merkleProof[0]", "checkpoint.merkleProof"),
        ("leafHash", "checkpoint.leafHash"),
        ("log.receipt", "checkpoint.log.receipt"),
        ("log.receiptProof[0]", "checkpoint.log.receiptProof"),
        ("log.header", "checkpoint.log.header"),
        ("log.args.root", "checkpoint.log.args.root"),
        ("log.args.fromBlock", "checkpoint.log.args.fromBlock"),
        ("log.args.sourceChainId", "checkpoint.log.args.sourceChainId"),
        ("contract", "checkpoint.contract"),
        ("chainId", "checkpoint.chainId"),
    ],
)
def test_tampered_checkpoint_fails_naming_the_field(
    anchored: tuple[dict[str, Any], tuple[int, bytes]],
    consortium: Env,
    path: str,
    named: str,
) -> None:
    document, block = anchored
    value = dict(iter_leaves(document))[path]
    tampered = copy.deepcopy(document)
    set_path(tampered, path, mutate(value))

    problems = _problems(tampered, consortium, block)

    assert problems
    assert named in _fields(problems), problems


def test_every_single_field_tamper_fails_and_is_named(
    anchored: tuple[dict[str, Any], tuple[int, bytes]], consortium: Env, public: PublicChain
) -> None:
    """Offline first, then against the public node (the log index needs it, as in bundles)."""
    document, block = anchored
    missed = []
    for path, value in iter_leaves(document):
        tampered = copy.deepcopy(document)
        set_path(tampered, path, mutate(value))
        problems = _problems(tampered, consortium, block) or check_checkpoint_online(
            tampered, public.chain.w3
        )
        full = f"checkpoint.{path}"
        if not any(full == f or full.startswith(f + "[") for f in _fields(problems)):
            missed.append(f"{path}: {[p.message for p in problems]}")

    assert not missed


def test_checkpoint_of_another_block_fails(
    anchored: tuple[dict[str, Any], tuple[int, bytes]], consortium: Env
) -> None:
    document, (number, block_hash) = anchored

    problems = _problems(document, consortium, (number + 1, block_hash))

    assert "checkpoint.leafHash" in _fields(problems)


def test_garbage_checkpoint_section_fails_without_crashing(consortium: Env) -> None:
    garbage: list[dict[str, Any]] = [
        {},
        {"chainId": "x"},
        {"log": []},
        {"merkleProof": None, "leafHash": 3},
    ]
    for document in garbage:
        assert _problems(document, consortium, (1, bytes(32)))


def test_checkpoint_forged_on_a_copy_of_the_public_chain_fails_online(
    anchored: tuple[dict[str, Any], tuple[int, bytes]],
    consortium: Env,
    public: PublicChain,
    tmp_path: Path,
) -> None:
    """A forger runs its own chain with the public chain's id, the same contract and the same
    anchorer address, and builds a proof that holds together offline. The real public chain
    does not have its block."""
    _, block = anchored
    node = start_public_node(tmp_path / "forger")
    try:
        forged_chain = connect_anvil(
            ChainConfig(backend=Backend.ANVIL, anvil_chain_id=PUBLIC_CHAIN_ID), node=node
        )
        address, receipt = deploy_checkpoints(forged_chain.sender(0))
        client = ChainCheckpointsClient(forged_chain.w3, address)
        CheckpointAnchorer(consortium.chain.w3, client, forged_chain.sender(1)).run_once()
        forged = CheckpointProver(
            consortium.chain.w3,
            forged_chain.w3,
            address,
            anchorer=forged_chain.sender(1).address,
            source_chain_id=consortium.chain.chain_id,
            public_from_block=receipt.block_number,
        ).prove(*block)
    finally:
        node.stop()
    document = forged.to_json()

    assert document["log"]["args"]["anchorer"] == public.anchorer.address
    assert _problems(document, consortium, block) == []
    online = check_checkpoint_online(document, public.chain.w3)
    assert "checkpoint.log.blockHash" in _fields(online) or "checkpoint.log.receipt" in _fields(
        online
    ), online


def test_look_alike_contract_is_refused_online(
    anchored: tuple[dict[str, Any], tuple[int, bytes]], consortium: Env, public: PublicChain
) -> None:
    """The same log from an address whose code is not ChainCheckpoints: the genuine proof
    points at the genuine contract, so the check is on the code at the stated address."""
    document, _ = anchored
    elsewhere = copy.deepcopy(document)
    elsewhere["contract"] = public.anchorer.address  # an account, no code

    problems = check_checkpoint_online(elsewhere, public.chain.w3)

    assert "checkpoint.contract" in _fields(problems)


# ------------------------------------------------------------------------------ a rewritten chain


def test_rewritten_consortium_chain_no_longer_matches_the_public_checkpoint(
    consortium: Env, public: PublicChain
) -> None:
    """Every consortium node rewritten after the checkpoint: the block the registration was in
    has another hash. The genuine proof still verifies against the public chain (that hash
    existed by then); no proof can be built for the rewritten block, and the genuine proof does
    not fit it."""
    chain = consortium.chain
    before = chain.snapshot()
    original = _register(consortium)
    _anchorer(consortium, public).run_once()
    genuine = _prover(consortium, public).prove(*original).to_json()

    chain.revert(before)
    rewritten = _register(consortium)  # the same steps, another document in block R

    assert rewritten[0] == original[0] and rewritten[1] != original[1]
    assert _problems(genuine, consortium, original) == []
    assert check_checkpoint_online(genuine, public.chain.w3) == []
    with pytest.raises(ProofError, match="no longer give the root of public checkpoint 1"):
        _prover(consortium, public).prove(*rewritten)
    assert "checkpoint.leafHash" in _fields(_problems(genuine, consortium, rewritten))

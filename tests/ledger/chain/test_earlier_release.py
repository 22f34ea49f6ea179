"""Contracts deployed from release 1.1.0 stay readable: their `PolicySet` has the `Policy` without
`parentShareBps` (another topic0 and hash), and the library decodes, hashes and scores it."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from ledger.chain.artifacts import load_release_artifact
from ledger.chain.events import DEFAULT_DECODER, get_events
from ledger.chain.transactions import TxRequest
from ledger.domain import hashing
from ledger.domain.events import PolicySet, ProjectCreated
from ledger.domain.values import LEGACY_POLICY_ABI, Policy
from ledger.scoring.history import scoring_history
from ledger.scoring.scheme import score
from tests.ledger.conftest import Env, default_policy


def _deploy_1_1_0(env: Env) -> Any:
    artifact = load_release_artifact("1.1.0", "PocLedger")
    address = (
        env.deployer.transact(
            TxRequest(to=None, data=bytes(HexBytes(artifact.bytecode)), gas=12_000_000)
        )
    ).contract_address
    return env.chain.w3.eth.contract(address=address, abi=artifact.abi)


def test_policy_of_release_1_1_0_decodes_hashes_and_scores(memory_env: Env) -> None:
    env = memory_env
    ledger = _deploy_1_1_0(env)
    policy = default_policy()
    legacy = Policy(**{**policy.__dict__, "parent_share_bps": None})
    data = ledger.encode_abi(
        "createProject",
        [b"\x33" * 32, [env.alice.address, env.bob.address], legacy.as_abi()],
    )
    env.alice.transact(TxRequest(to=ledger.address, data=bytes(HexBytes(data)), gas=2_000_000))

    events = get_events(env.chain.w3, ledger.address, 0)
    (policy_set,) = [e for e in events if isinstance(e, PolicySet)]
    assert policy_set.policy == legacy and policy_set.policy.parent_share == 0
    assert policy_set.policy_hash == hashing.policy_hash(legacy)
    assert hashing.policy_hash(legacy) == keccak(encode([LEGACY_POLICY_ABI], [legacy.as_abi()]))
    assert hashing.policy_hash(legacy) != hashing.policy_hash(policy)
    assert hashing.decode_policy(hashing.encode_policy(legacy)) == legacy
    assert hashing.decode_policy(hashing.encode_policy(policy)) == policy
    # Stated in the shape of its release (no parentShareBps), as bundles of 1.1.0 state it.
    assert "parentShareBps" not in DEFAULT_DECODER.abi_arguments(policy_set)["policy"]
    assert any(isinstance(e, ProjectCreated) for e in events)

    now = int(env.chain.w3.eth.get_block("latest")["timestamp"])
    result = score(scoring_history(events), as_of=now)
    assert result.policy == legacy and result.counted_count == 0

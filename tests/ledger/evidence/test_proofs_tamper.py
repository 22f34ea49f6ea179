"""Field-by-field tampering: change any single leaf of a bundle and verification fails, naming
that field. Every leaf of every kind of bundle (direct, by signature, batched by signature,
batched direct, superseding) is mutated in turn."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from ledger.evidence.builder import ProofBuilder
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


def _offline_then_online(w3: Any) -> Callable[[dict[str, Any]], VerificationReport]:
    # Offline first; the node is asked only when the bundle alone cannot tell (log indexes).
    def verify(document: dict[str, Any]) -> VerificationReport:
        report = verify_document(document)
        return report if not report.ok else verify_document(document, w3=w3)

    return verify


@pytest.mark.slow
def test_tamper_every_field_of_every_bundle_kind_fails_naming_it(memory_env: Any) -> None:
    scenario = build_scenario(memory_env)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    verify = _offline_then_online(memory_env.chain.w3)
    misses: list[str] = []
    leaves = 0
    for name in ("a", "b", "c", "d", "a2"):
        item = scenario[name]
        document = builder.build(
            item.contribution_id, content_hash=item.content_hash, salt=item.salt
        ).to_json()
        assert verify(document).ok
        leaves += sum(1 for _ in iter_leaves(document))
        misses += [f"{name}: {miss}" for miss in undetected(document, verify)]
    assert leaves > 500
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
    misses = undetected(document, _offline_then_online(env.chain.w3))
    assert not misses, "\n".join(misses)


def test_tamper_only_log_index_needs_the_node(memory_env: Any) -> None:
    """Offline catches every change but the block-wide log index, which only the node's
    receipts can confirm; online catches that too."""
    scenario = build_scenario(memory_env)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    item = scenario["a"]
    document = builder.build(
        item.contribution_id, content_hash=item.content_hash, salt=item.salt
    ).to_json()
    document["chain"]["logIndex"] += 1
    online = verify_document(document, w3=memory_env.chain.w3)
    assert not online.ok
    assert "chain.logIndex" in online.failed_fields()

"""Code size and storage layout: what keeps PocLedger deployable and its two code halves agreed.

Read from the committed artifacts (tests/toolchain checks they match the sources): the runtime
code of every deployable contract against EIP-170's limit, with room left in PocLedger for the
work ahead; the storage layout PocGovernance assumes when it runs in PocLedger's storage by
DELEGATECALL; and the one record PocLedger writes as a single packed word.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.artifacts import available_artifacts, load_artifact
from tests.contracts.support import artifact, mock_names

ARTIFACTS = Path(__file__).resolve().parents[2] / "ledger" / "artifacts"

# EIP-170: the most runtime code a contract may have; EIP-3860: the most creation code.
MAX_RUNTIME_BYTES = 24_576
MAX_INITCODE_BYTES = 49_152
# Room PocLedger keeps for what is planned (a card hash in the signed Register struct, a
# `parentShareBps` policy field, views for a knowledge-exchange contract).
LEDGER_HEADROOM_BYTES = 4_096


def _code_size(code: str) -> int:
    return len(bytes.fromhex(code.removeprefix("0x")))


@cache
def _raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ARTIFACTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


DEPLOYABLE = tuple(
    name for name in (*available_artifacts(), *mock_names()) if artifact(name).is_deployable
)


# ------------------------------------------------------------------------------ code size


def test_every_product_contract_is_checked() -> None:
    assert {"PocLedger", "PocGovernance", "RoyaltyVault"} <= set(DEPLOYABLE)


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_runtime_code_fits_the_eip170_limit(name: str) -> None:
    size = _code_size(artifact(name).deployed_bytecode)
    assert 0 < size <= MAX_RUNTIME_BYTES, f"{name}: {size} bytes of runtime code"


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_creation_code_fits_the_eip3860_limit(name: str) -> None:
    # PocLedger's creation code carries PocGovernance's: its constructor creates the module.
    size = _code_size(artifact(name).bytecode)
    assert size <= MAX_INITCODE_BYTES, f"{name}: {size} bytes of creation code"


def test_ledger_keeps_4_kib_of_headroom_under_the_limit() -> None:
    size = _code_size(load_artifact("PocLedger").deployed_bytecode)
    assert MAX_RUNTIME_BYTES - size >= LEDGER_HEADROOM_BYTES, f"PocLedger: {size} bytes"


def test_ledger_creation_code_contains_the_governance_module() -> None:
    module = load_artifact("PocGovernance").bytecode.removeprefix("0x")
    assert module in load_artifact("PocLedger").bytecode


# ------------------------------------------------------------------------------ storage layout


def _layout(name: str) -> list[tuple[str, str, int, Any]]:
    """(label, slot, offset, type) of every state variable, types resolved recursively and
    without the compiling contract's name (which differs between the two halves)."""
    layout = _raw(name)["storageLayout"]
    types = layout["types"] or {}

    def resolve(type_id: str) -> Any:
        entry = types[type_id]
        shape: dict[str, Any] = {"label": entry["label"], "bytes": entry["numberOfBytes"]}
        if "members" in entry:
            shape["members"] = [
                (m["label"], m["slot"], m["offset"], resolve(m["type"])) for m in entry["members"]
            ]
        for part in ("key", "value", "base"):
            if part in entry:
                shape[part] = resolve(entry[part])
        return shape

    return [(v["label"], v["slot"], v["offset"], resolve(v["type"])) for v in layout["storage"]]


def test_governance_module_has_the_ledgers_storage_layout() -> None:
    # The module reads and writes PocLedger's storage: one slot apart and it would corrupt it.
    ledger = _layout("PocLedger")
    first = [label for label, *_ in ledger][:3]
    assert first == ["_nameFallback", "_versionFallback", "_nonceBitmap"]
    assert _layout("PocGovernance") == ledger


def test_contribution_record_offsets_match_the_single_word_store() -> None:
    # PocLedger._storeContribution writes the record as one word shifted by these byte offsets.
    types = _raw("PocLedger")["storageLayout"]["types"]
    (record,) = (t for key, t in types.items() if key.startswith("t_struct(Contribution)"))
    fields = [(m["label"], m["slot"], m["offset"], types[m["type"]]["numberOfBytes"])
              for m in record["members"]]  # fmt: skip
    assert record["numberOfBytes"] == "32"
    assert fields == [
        ("contributor", "0", 0, "20"),
        ("projectId", "0", 20, "4"),
        ("registeredAt", "0", 24, "5"),
        ("status", "0", 29, "1"),
    ]

"""NatSpec as the compiler reads it: every external function of our contracts and interfaces
says what it does, names each parameter and each return value.

The artifacts carry solc's `devdoc` (@param, @return, @dev) and `userdoc` (@notice) for each
function of the ABI; an implementation that says `@inheritdoc` gets its interface's text, so a
missing or misnamed tag in an interface shows here for both. Test contracts (contracts/test/) are
not product code and are left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_utils.abi import abi_to_signature

from ledger.chain.artifacts import available_artifacts, load_artifact

ARTIFACTS = Path(__file__).resolve().parents[2] / "ledger" / "artifacts"

# Functions our contracts inherit from OpenZeppelin and do not declare themselves.
UPSTREAM = {"eip712Domain()": "ERC-5267, from OpenZeppelin's EIP712 (documented in IERC5267)"}

PRODUCT = tuple(
    name
    for name in available_artifacts()
    if not load_artifact(name).source_name.startswith("contracts/test/")
)


def _functions(name: str) -> list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(signature, ABI entry, devdoc entry, userdoc entry) of every function of `name`'s ABI.
    A public constant's getter is documented under `stateVariables`, by its name."""
    raw = json.loads((ARTIFACTS / f"{name}.json").read_text(encoding="utf-8"))
    devdoc, userdoc = raw["devdoc"], raw["userdoc"]
    found = []
    for entry in raw["abi"]:
        if entry["type"] != "function":
            continue
        signature = abi_to_signature(entry)
        if signature in UPSTREAM:
            continue
        dev = devdoc.get("methods", {}).get(signature)
        if dev is None:
            dev = devdoc.get("stateVariables", {}).get(entry["name"], {})
        user = userdoc.get("methods", {}).get(signature, {})
        found.append((signature, entry, dev, user))
    return found


def test_product_contracts_and_interfaces_are_checked() -> None:
    assert {"PocLedger", "PocGovernance", "RoyaltyVault", "IPocLedger", "IRoyaltyVault"} <= set(
        PRODUCT
    )
    assert len(_functions("PocLedger")) > 40


@pytest.mark.parametrize("name", PRODUCT)
def test_every_function_documents_each_parameter(name: str) -> None:
    missing = [
        f"{signature}: @param {param['name'] or '(unnamed)'}"
        for signature, entry, dev, _ in _functions(name)
        for param in entry["inputs"]
        if not dev.get("params", {}).get(param["name"], "").strip()
    ]
    assert not missing, f"{name}: {missing}"


@pytest.mark.parametrize("name", PRODUCT)
def test_every_function_documents_each_return_value(name: str) -> None:
    missing = []
    for signature, entry, dev, _ in _functions(name):
        returns = dev.get("returns", {})
        # Named outputs are documented under their names, unnamed ones as _0, _1, ...
        keys = [output["name"] or f"_{i}" for i, output in enumerate(entry["outputs"])]
        missing += [
            f"{signature}: @return {key}" for key in keys if not returns.get(key, "").strip()
        ]
    assert not missing, f"{name}: {missing}"


@pytest.mark.parametrize("name", PRODUCT)
def test_every_function_has_a_notice(name: str) -> None:
    missing = [signature for signature, _, _, user in _functions(name) if not user.get("notice")]
    assert not missing, f"{name}: functions without @notice: {missing}"


def test_implementations_inherit_the_interface_text() -> None:
    # @inheritdoc: the ledger's own functions read exactly as the interface documents them.
    interface = {signature: dev for signature, _, dev, _ in _functions("IPocLedger")}
    for signature, _, dev, _ in _functions("PocLedger"):
        if signature in interface and "params" in interface[signature]:
            assert dev["params"] == interface[signature]["params"], signature

"""docs/proofs.md states what a re-implementation of the verifier needs (EIP-712 types, function
selectors, event signatures, the policy's fields): each statement is held to the code and the
ABI here, so the document cannot drift from what the verifier checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from eth_utils.abi import function_abi_to_4byte_selector

from ledger.chain.signing import DOMAIN_VERSION, LEDGER_DOMAIN_NAME, encode_type
from ledger.evidence.bundle import bundle_event_abis, ledger_functions
from ledger.evidence.schema import BUNDLE_EVENTS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "proofs.md").read_text(encoding="utf-8")


def _signature(abi_input: Any) -> str:
    kind = str(abi_input["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_signature(c) for c in abi_input["components"])
        return f"({inner}){kind[5:]}"
    return kind


def test_documented_eip712_types_are_the_signed_ones() -> None:
    assert encode_type("Register") in DOC
    assert encode_type("AnchorBatch") in DOC
    assert f'name `"{LEDGER_DOMAIN_NAME}"`, version `"{DOMAIN_VERSION}"`' in DOC


def test_documented_selectors_are_the_ledger_functions() -> None:
    rows = dict(re.findall(r"\| `(0x[0-9a-f]{8})` \| `(\w+)\(", DOC))
    by_name = {f["name"]: f for f in ledger_functions().by_selector.values()}

    assert set(rows.values()) == {
        "register",
        "registerBySig",
        "anchorBatch",
        "anchorBatchBySig",
        "revealBatched",
    }
    for selector, name in rows.items():
        assert "0x" + function_abi_to_4byte_selector(by_name[name]).hex() == selector, name


def test_documented_event_signatures_are_the_abi() -> None:
    events = bundle_event_abis()
    for name in BUNDLE_EVENTS:
        abi = events[name]
        signature = f"{name}({','.join(_signature(i) for i in abi['inputs'])})"
        indexed = [str(i["name"]) for i in abi["inputs"] if i.get("indexed")]
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{signature}`"))
        assert all(f"**{arg}**" in row for arg in indexed), name
        assert all(str(i["name"]) in row for i in abi["inputs"]), name

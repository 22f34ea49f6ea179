"""Meta-test: every custom error the deployable contracts can raise has a test asserting it.

Tests declare the errors they assert with `@covers("Contract.Error")`; the conftest fails a test
that declares an error it never asserted. This module imports every test module of the suite
and compares the declarations with the errors in the compiled ABIs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import tests.contracts
from tests.contracts.support import COVERAGE, UNREACHABLE, error_names

CONTRACTS = ("PocLedger", "RoyaltyVault", "PocExchange", "ChainCheckpoints")
ROOT = Path(__file__).resolve().parents[2]


def _load_all_test_modules() -> None:
    for module in pkgutil.iter_modules(tests.contracts.__path__):
        if module.name.startswith("test_"):
            importlib.import_module(f"tests.contracts.{module.name}")


def _declared_errors(source: str) -> set[str]:
    text = (ROOT / source).read_text(encoding="utf-8")
    return set(re.findall(r"^\s*error\s+(\w+)\s*\(", text, flags=re.M))


@pytest.mark.parametrize("contract", CONTRACTS)
def test_every_abi_error_has_a_test(contract: str) -> None:
    _load_all_test_modules()
    expected = {f"{contract}.{name}" for name in error_names(contract)}
    untested = sorted(expected - COVERAGE.keys() - UNREACHABLE.keys())
    assert not untested, f"custom errors without a test: {untested}"


def test_unreachable_errors_are_real_and_untested() -> None:
    _load_all_test_modules()
    for error in UNREACHABLE:
        contract, _, name = error.partition(".")
        assert name in error_names(contract), f"{error} is not in the ABI any more"
        assert error not in COVERAGE, f"{error} is tested: drop it from UNREACHABLE"


@pytest.mark.parametrize(
    "source, contracts",
    [
        ("contracts/interfaces/IPocLedger.sol", ("PocLedger",)),
        ("contracts/interfaces/IRoyaltyVault.sol", ("RoyaltyVault",)),
        ("contracts/interfaces/IPocExchange.sol", ("PocExchange",)),
        (
            "contracts/interfaces/IPartnerSignatures.sol",
            ("PocLedger", "RoyaltyVault", "PocExchange"),
        ),
        ("contracts/interfaces/IChainCheckpoints.sol", ("ChainCheckpoints",)),
    ],
)
def test_source_errors_reach_the_abis(source: str, contracts: tuple[str, ...]) -> None:
    # Guards the meta-test itself: an error declared in the sources but missing from the
    # artifacts (stale compile) would otherwise escape it.
    declared = _declared_errors(source)
    assert declared
    for contract in contracts:
        assert declared <= error_names(contract), (contract, declared - error_names(contract))

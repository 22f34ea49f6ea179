"""The revert table: every ABI error has a class, and every class decodes with its arguments
from real revert data on eth-tester and on anvil, through eth_call and through transactions."""

from __future__ import annotations

import dataclasses
import pickle
import re
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.abi import abi_to_signature, get_abi_input_names

from ledger.chain import reverts
from ledger.chain.connection import Chain
from ledger.chain.deploy import deploy_contract
from ledger.chain.events import python_name
from ledger.chain.reverts import (
    REVERT_TABLE,
    UNMAPPED_ABI_ERRORS,
    DecodedRevertError,
    PanicError,
    PocNotPartner,
    RevertReason,
    UnknownRevertError,
    decode_revert,
    decoding_reverts,
    revert_classes,
)
from ledger.chain.transactions import TxRequest
from ledger.domain.values import checksum
from ledger.errors import ContractRevertError, TransactionRevertedError
from tests import evm_snippets

# CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY CALLDATASIZE PUSH1 0 REVERT: every call reverts
# with its own calldata, so one contract can raise any error we hand it.
_ECHO_REVERT = bytes.fromhex("3660006000373660" + "00fd")


def _sample(kind: str, index: int) -> Any:
    if kind == "address":
        return checksum("0x" + f"{index + 1:02x}" * 20)
    if kind == "bytes32":
        return bytes([index + 1]) * 32
    if kind == "string":
        return f"reason {index}"
    if kind == "uint8":
        return 1  # valid in every enum the contracts use
    if kind.startswith("uint"):
        return 2 ** (int(kind[4:]) - 1) + index
    raise AssertionError(f"no sample for {kind}")


def _cases() -> list[tuple[str, bytes, dict[str, Any]]]:
    cases = []
    for entry in REVERT_TABLE.values():
        values = [_sample(kind, i) for i, kind in enumerate(entry.input_types)]
        data = entry.selector + encode(list(entry.input_types), values)
        names = [f.name for f in dataclasses.fields(entry.error_class)]  # type: ignore[arg-type]
        cases.append((entry.signature, data, dict(zip(names, values, strict=True))))
    return cases


def _plain(arguments: dict[str, Any]) -> dict[str, Any]:
    # Enums compare equal to their ints; normalise for a readable assertion.
    return {k: int(v) if isinstance(v, int) else v for k, v in arguments.items()}


# ------------------------------------------------------------------------------ the table


def test_every_abi_error_has_a_class() -> None:
    assert UNMAPPED_ABI_ERRORS == ()
    signatures = {abi_to_signature(e) for e in reverts.abi_errors()}
    assert signatures <= {entry.signature for entry in REVERT_TABLE.values()}


def test_class_fields_match_abi_argument_names() -> None:
    for entry in reverts.abi_errors():
        cls = next(c for c in revert_classes() if c.solidity_name == entry["name"])
        fields = [f.name.rstrip("_") for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        assert fields == [python_name(n or "") for n in get_abi_input_names(entry)], cls.__name__


def test_every_class_is_in_the_table_with_a_unique_code() -> None:
    classes = revert_classes()
    mapped = {entry.error_class for entry in REVERT_TABLE.values()}
    assert set(classes) == mapped
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", code) for code in codes)


def test_every_class_has_a_raised_when_docstring() -> None:
    for cls in (*revert_classes(), UnknownRevertError, *DecodedRevertError.__subclasses__()):
        doc = (cls.__doc__ or "").strip()
        assert doc.startswith("Raised when") and "\n" not in doc, cls.__name__
        assert issubclass(cls, ContractRevertError)


# ------------------------------------------------------------------------------ decoding


def test_unknown_selector_keeps_raw_data() -> None:
    data = bytes.fromhex("deadbeef") + (42).to_bytes(32, "big")

    error = decode_revert(data)

    assert isinstance(error, UnknownRevertError)
    assert error.data == data and error.selector == data[:4] and error.code == "unknown_revert"


def test_malformed_arguments_give_unknown_with_the_name() -> None:
    data = reverts.selector_of("PocNotPartner(uint32,address)") + b"\x01\x02"

    error = decode_revert(data)

    assert isinstance(error, UnknownRevertError) and error.name == "PocNotPartner"


def test_builtin_errors_decode() -> None:
    reason = decode_revert(evm_snippets.error_string("nope"))
    assert isinstance(reason, RevertReason) and reason.reason == "nope"
    panic = decode_revert(reverts.selector_of("Panic(uint256)") + encode(["uint256"], [0x11]))
    assert isinstance(panic, PanicError) and panic.panic_code == 0x11
    assert panic.meaning == "arithmetic overflow or underflow"


def test_decoded_error_pickles_and_renders() -> None:
    error = PocNotPartner(3, checksum("0x" + "ab" * 20))

    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(copy, PocNotPartner) and copy.arguments == error.arguments
    assert str(error).startswith("PocNotPartner(project_id=3, account='0xAB")
    assert error.json_arguments() == {"project_id": 3, "account": error.account}


def test_revert_without_data_stays_a_chain_error() -> None:
    with pytest.raises(TransactionRevertedError), decoding_reverts():
        raise TransactionRevertedError("out of gas?", revert_data=b"")


# ------------------------------------------------------------------------------ on a chain


@pytest.fixture
def echo(chain: Chain) -> str:
    address, _ = deploy_contract(
        chain.sender(0), [], evm_snippets.creation_code(_ECHO_REVERT), gas=200_000
    )
    return address


def test_every_error_decodes_from_eth_call(chain: Chain, echo: str) -> None:
    for signature, data, expected in _cases():
        with pytest.raises(DecodedRevertError) as caught, decoding_reverts():
            chain.w3.eth.call({"to": echo, "data": data})
        error = caught.value
        assert error.solidity_name == signature.split("(")[0], signature
        assert _plain(error.arguments) == _plain(expected), signature
        assert error.revert_data == data
        assert isinstance(error.__cause__, TransactionRevertedError)


def test_every_error_decodes_from_a_mined_transaction(chain: Chain, echo: str) -> None:
    sender = chain.sender(0)
    for signature, data, expected in _cases():
        with pytest.raises(DecodedRevertError) as caught, decoding_reverts():
            sender.transact(TxRequest(to=checksum(echo), data=data, gas=100_000))
        error = caught.value
        assert error.solidity_name == signature.split("(")[0], signature
        assert _plain(error.arguments) == _plain(expected), signature
        assert error.tx_hash is not None

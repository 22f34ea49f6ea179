"""EIP-712 typed data without a chain: type strings equal the contracts' typehash preimages,
the payloads are JSON, and keys, signatures and nonces are checked."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_utils.crypto import keccak

from ledger.chain import signing
from ledger.chain.signing import ACTION_TYPES, Eip712Domain, NonceAllocator, SignedAuth
from ledger.domain.values import Origin, Registration
from ledger.errors import SigningError

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
KEY = "0x" + "42" * 32
ADDRESS = Account.from_key(KEY).address
DOMAIN = Eip712Domain.ledger(31337, "0x" + "cd" * 20)


def _registration() -> Registration:
    return Registration(
        7,
        bytes(range(32)),
        Origin.BACKGROUND,
        1,
        500,
        (b"\x01" * 32,),
        uri="https://x/1",
        card_hash=b"\x0c" * 32,
    )


def _register_data(*, nonce: int = 5) -> signing.TypedData:
    return signing.register_data(
        DOMAIN, registration=_registration(), signer=ADDRESS, nonce=nonce, deadline=2_000_000_000
    )


def test_type_strings_equal_the_contracts_typehashes() -> None:
    # Every signed action's type hash is declared in StructHashes (the ledger's and the vault's)
    # or ExchangeStructHashes, the places that hash them.
    sources = "".join(
        (CONTRACTS / "libraries" / name).read_text()
        for name in ("StructHashes.sol", "ExchangeStructHashes.sol")
    )
    in_solidity = set(re.findall(r'_TYPEHASH\s*=\s*keccak256\(\s*"([^"]+)"', sources))

    assert in_solidity == {signing.encode_type(name) for name in ACTION_TYPES}
    assert all(fields[-3:] == signing._AUTH_FIELDS for fields in ACTION_TYPES.values())


def test_struct_hash_equals_the_contracts_encoding() -> None:
    # StructHashes.register, written out with eth_abi.
    r = _registration()
    expected = keccak(
        encode(
            [
                *("bytes32", "uint32", "bytes32", "bytes32", "uint8", "uint8", "uint64"),
                *("bytes32", "bytes32", "bytes32", "address", "uint256", "uint256"),
            ],
            [
                signing.type_hash("Register"),
                r.project_id,
                r.commitment,
                r.card_hash,
                int(r.origin),
                r.category,
                r.value,
                keccak(b"".join(r.parents)),
                r.supersedes,
                keccak(r.uri.encode()),
                ADDRESS,
                5,
                2_000_000_000,
            ],
        )
    )

    assert signing.struct_hash(_register_data()) == expected


def test_typed_data_is_plain_json() -> None:
    data = _register_data()

    assert json.loads(json.dumps(data)) == data
    assert data["primaryType"] == "Register"
    assert data["domain"] == {
        "name": "PocLedger",
        "version": "1",
        "chainId": 31337,
        "verifyingContract": DOMAIN.verifying_contract,
    }


def test_sign_and_recover_round_trip() -> None:
    data = _register_data()

    auth = signing.sign_auth(KEY, data)

    assert len(auth.signature) == 65 and auth.signature[-1] in (27, 28)
    assert (auth.signer, auth.nonce, auth.deadline) == (ADDRESS, 5, 2_000_000_000)
    assert signing.recover_signer(data, auth.signature) == ADDRESS
    signing.verify_auth(data, auth)
    assert auth.as_tuple() == (ADDRESS, 5, 2_000_000_000, auth.signature)


def test_signing_for_another_signer_is_refused() -> None:
    with pytest.raises(SigningError, match="the key belongs to"):
        signing.sign_auth("0x" + "43" * 32, _register_data())


def test_verify_auth_rejects_a_signature_for_other_fields() -> None:
    auth = signing.sign_auth(KEY, _register_data())

    with pytest.raises(SigningError, match="differ"):
        signing.verify_auth(_register_data(nonce=6), auth)
    other = SignedAuth.from_typed_data(_register_data(nonce=6), auth.signature)
    with pytest.raises(SigningError, match="signed by"):
        signing.verify_auth(_register_data(nonce=6), other)


def test_action_of_the_other_contract_is_refused() -> None:
    vault = Eip712Domain.vault(31337, "0x" + "ee" * 20)
    with pytest.raises(SigningError, match="RoyaltyVault"):
        signing.register_data(
            vault, registration=_registration(), signer=ADDRESS, nonce=1, deadline=1
        )


def test_domain_separators_differ_per_contract_and_chain() -> None:
    address = "0x" + "cd" * 20
    separators = {
        Eip712Domain.ledger(1, address).separator(),
        Eip712Domain.ledger(2, address).separator(),
        Eip712Domain.vault(1, address).separator(),
    }
    assert len(separators) == 3


def test_nonce_allocator_is_sequential_per_signer_and_thread_safe() -> None:
    allocator = NonceAllocator(start=256)
    seen: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(100):
            nonce = allocator.allocate(ADDRESS)
            with lock:
                seen.append(nonce)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(seen) == list(range(256, 656))
    assert allocator.peek(ADDRESS) == 656
    assert allocator.allocate("0x" + "99" * 20) == 256
    allocator.reset(ADDRESS)
    assert allocator.allocate(ADDRESS) == 256

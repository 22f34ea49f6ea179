"""Sealed files: scrypt and AES-256-GCM exactly as docs/design.md says (re-opened here with
hashlib and the cryptography package alone), refused when the passphrase is wrong or any part
of the file changed, and bounded against hostile cost parameters."""

from __future__ import annotations

import hashlib
import json
import time
import unicodedata
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import OpeningFormatError, SealedFileError
from ledger.openings.files import derived_opening
from ledger.openings.sealed import (
    ScryptParams,
    seal,
    seal_openings,
    seal_secret,
    unseal,
    unseal_openings,
    unseal_secret,
)
from ledger.openings.secret import ProofSecret

# Cheap parameters keep the tests quick; one test uses the defaults.
FAST = ScryptParams(n=1 << 10, r=8, p=1)
PASSPHRASE = "vlas en vezel 2024"


def _openings(count: int = 3) -> list[Any]:
    secret = ProofSecret.generate()
    return [
        derived_opening(
            secret,
            chain_id=31337,
            ledger="0x" + "ab" * 20,
            project_id=1,
            contributor="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            content_hash=hashlib.sha256(f"file {i}".encode()).digest(),
            file_name=f"file-{i}.txt",
        )
        for i in range(count)
    ]


def _documented_unseal(data: bytes, passphrase: str) -> bytes:
    """Open a sealed file as docs/design.md describes it, with hashlib's scrypt."""
    document = json.loads(data)
    kdf, cipher = document["kdf"], document["cipher"]
    key = hashlib.scrypt(
        unicodedata.normalize("NFC", passphrase).encode(),
        salt=bytes.fromhex(kdf["salt"][2:]),
        n=kdf["N"],
        r=kdf["r"],
        p=kdf["p"],
        maxmem=1 << 30,
        dklen=32,
    )
    aad = f"poc-ledger/sealed/v1/{document['content']}".encode()
    return AESGCM(key).decrypt(
        bytes.fromhex(cipher["nonce"][2:]), bytes.fromhex(document["ciphertext"][2:]), aad
    )


def test_sealed_openings_round_trip_and_open_as_documented() -> None:
    openings = _openings()
    data = seal_openings(openings, PASSPHRASE, params=FAST)
    assert unseal_openings(data, PASSPHRASE) == openings
    plaintext = json.loads(_documented_unseal(data, PASSPHRASE))
    assert plaintext == {"openings": [o.to_json() for o in openings]}
    document = json.loads(data)
    assert document["type"] == "poc-ledger/sealed" and document["version"] == 1
    assert document["content"] == "openings"
    assert document["kdf"]["name"] == "scrypt" and document["cipher"]["name"] == "aes-256-gcm"
    # Nothing of the openings shows in the file.
    for opening in openings:
        assert opening.salt.hex() not in data.decode()
        assert "file-0" not in data.decode()


def test_sealed_secret_round_trips_with_the_default_cost() -> None:
    secret = ProofSecret.generate()
    started = time.monotonic()
    data = seal_secret(secret, PASSPHRASE)
    assert json.loads(data)["kdf"] | {"salt": None} == {
        "name": "scrypt",
        "N": 131072,
        "r": 8,
        "p": 1,
        "salt": None,
    }
    assert unseal_secret(data, PASSPHRASE) == secret
    assert json.loads(_documented_unseal(data, PASSPHRASE)) == {
        "secret": "0x" + secret.value.hex(),
        "secretId": secret.secret_id,
    }
    assert time.monotonic() - started < 60


def test_passphrase_is_normalised_to_nfc() -> None:
    composed, decomposed = "caf\u00e9 au lait!", "cafe\u0301 au lait!"
    data = seal(b"x", composed, content="openings", params=FAST)
    assert unseal(data, decomposed, content="openings") == b"x"


def test_wrong_passphrase_is_refused() -> None:
    data = seal_openings(_openings(1), PASSPHRASE, params=FAST)
    with pytest.raises(SealedFileError, match="passphrase is wrong"):
        unseal_openings(data, PASSPHRASE + "!")


def test_short_passphrase_is_refused_when_sealing() -> None:
    with pytest.raises(SealedFileError, match="at least 8"):
        seal(b"x", "short", content="openings", params=FAST)


def _flip_hex(value: str) -> str:
    last = value[-1]
    return value[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["kdf"].update(salt=_flip_hex(d["kdf"]["salt"])),
        lambda d: d["kdf"].update(N=d["kdf"]["N"] * 2),
        lambda d: d["kdf"].update(r=d["kdf"]["r"] + 1),
        lambda d: d["cipher"].update(nonce=_flip_hex(d["cipher"]["nonce"])),
        lambda d: d.update(ciphertext=_flip_hex(d["ciphertext"])),
        lambda d: d.update(ciphertext="0x" + "ab" + d["ciphertext"][4:]),
        lambda d: d.update(ciphertext=d["ciphertext"][:-2]),
    ],
    ids=["kdf-salt", "N", "r", "nonce", "tag", "first-byte", "truncated"],
)
def test_any_change_to_a_sealed_file_is_refused(tamper: Any) -> None:
    document = json.loads(seal_openings(_openings(1), PASSPHRASE, params=FAST))
    tamper(document)
    with pytest.raises(SealedFileError):
        unseal_openings(json.dumps(document), PASSPHRASE)


def test_sealed_secret_cannot_be_read_as_openings_even_if_relabelled() -> None:
    data = seal_secret(ProofSecret.generate(), PASSPHRASE, params=FAST)
    with pytest.raises(OpeningFormatError, match="holds 'proof-secret'"):
        unseal_openings(data, PASSPHRASE)
    document = json.loads(data)
    document["content"] = "openings"
    # The associated data names the content: a relabelled file does not open.
    with pytest.raises(SealedFileError):
        unseal_openings(json.dumps(document), PASSPHRASE)


@pytest.mark.parametrize(
    ("kdf", "match"),
    [
        ({"N": 1 << 30}, "1 GiB"),
        ({"N": 1 << 20, "r": 16}, "1 GiB"),
        ({"N": 1000}, "power of two"),
        ({"N": 0}, "positive"),
        ({"p": -1}, "positive"),
        ({"r": "8"}, "positive"),
        ({"N": True}, "positive"),
        ({"name": "pbkdf2"}, "only scrypt"),
        ({"salt": "0x00"}, "kdf.salt"),
    ],
)
def test_hostile_kdf_parameters_are_refused_before_any_work(
    kdf: dict[str, Any], match: str
) -> None:
    document = json.loads(seal_openings(_openings(1), PASSPHRASE, params=FAST))
    document["kdf"].update(kdf)
    started = time.monotonic()
    with pytest.raises(OpeningFormatError, match=match):
        unseal_openings(json.dumps(document), PASSPHRASE)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "data",
    [b"", b"[]", b'{"type": "poc-ledger/sealed"}', b'{"type": "poc-ledger/sealed", "version": 1}'],
)
def test_what_is_no_sealed_file_is_refused(data: bytes) -> None:
    with pytest.raises(OpeningFormatError):
        unseal_openings(data, PASSPHRASE)


def test_sealed_plaintext_that_is_not_openings_is_refused() -> None:
    data = seal(b'{"openings": [1]}', PASSPHRASE, content="openings", params=FAST)
    with pytest.raises(OpeningFormatError, match="opening object"):
        unseal_openings(data, PASSPHRASE)
    data = seal(b'{"openings": [{"type": "x"}]}', PASSPHRASE, content="openings", params=FAST)
    with pytest.raises(OpeningFormatError, match="missing fields"):
        unseal_openings(data, PASSPHRASE)


def test_two_seals_of_the_same_content_differ() -> None:
    openings = _openings(1)
    first = json.loads(seal_openings(openings, PASSPHRASE, params=FAST))
    second = json.loads(seal_openings(openings, PASSPHRASE, params=FAST))
    assert first["kdf"]["salt"] != second["kdf"]["salt"]
    assert first["cipher"]["nonce"] != second["cipher"]["nonce"]
    assert first["ciphertext"] != second["ciphertext"]

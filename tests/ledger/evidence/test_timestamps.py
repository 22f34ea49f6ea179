"""RFC 3161 timestamps: the message, the client against a real TSA (OpenSSL's `ts -reply`,
`poc.sandbox.tsa`), and our token check held to `openssl ts -verify`'s verdicts on valid and
tampered tokens."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from eth_utils.crypto import keccak

from ledger.errors import TimestampError, TsaUnavailableError
from ledger.evidence.timestamps import (
    MESSAGE_FORMAT,
    RegistrationSubject,
    TimestampToken,
    TsaClient,
    check_section,
    check_token,
    load_trust_anchors,
    verify_token,
)
from poc.sandbox.tsa import LocalTsa
from tests.ledger.evidence.openssl_ts import openssl_ts_verify
from tests.ledger.evidence.test_proofs_tamper import mutate

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _subject(seed: int = 1) -> RegistrationSubject:
    rng = random.Random(seed)
    return RegistrationSubject(
        chain_id=31337,
        contract=CONTRACT,
        contribution_id=rng.randbytes(32),
        commitment=rng.randbytes(32),
        block_hash=rng.randbytes(32),
    )


@pytest.fixture(scope="module")
def issued(local_tsa: LocalTsa) -> tuple[RegistrationSubject, TimestampToken]:
    subject = _subject()
    with TsaClient(local_tsa.url) as client:
        return subject, client.timestamp(subject.message())


def _flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


def _verdicts(response: bytes, message: bytes, tsa: LocalTsa) -> tuple[bool, bool, str, str]:
    ours = check_token(response, message, load_trust_anchors(tsa.root_path))
    theirs, output = openssl_ts_verify(response, message, tsa.root_path)
    return not ours, theirs, "; ".join(f"{p.part}: {p.message}" for p in ours), output


# ------------------------------------------------------------------------------ the message


def test_message_is_the_documented_abi_encoding() -> None:
    subject = _subject(7)
    message = subject.message()

    words = [message[i : i + 32] for i in range(0, len(message), 32)]
    assert len(message) == 192
    assert words[0] == keccak(b"poc-ledger registration timestamp v1")
    assert MESSAGE_FORMAT == "poc-ledger registration timestamp v1"
    assert int.from_bytes(words[1], "big") == 31337
    assert words[2] == bytes(12) + bytes.fromhex(CONTRACT[2:])
    assert words[3:] == [subject.contribution_id, subject.commitment, subject.block_hash]
    assert subject.imprint() == hashlib.sha256(message).digest()


@pytest.mark.parametrize(
    "field", ["chain_id", "contract", "contribution_id", "commitment", "block_hash"]
)
def test_message_changes_with_every_field(field: str) -> None:
    base = _subject(3)
    changed = {
        "chain_id": replace(base, chain_id=base.chain_id + 1),
        "contract": replace(base, contract="0x" + "11" * 20),
        "contribution_id": replace(base, contribution_id=bytes(32)),
        "commitment": replace(base, commitment=bytes(32)),
        "block_hash": replace(base, block_hash=bytes(32)),
    }[field]

    assert changed.imprint() != base.imprint()


def test_subject_with_short_hash_is_refused() -> None:
    with pytest.raises(ValueError, match="block hash must be 32 bytes"):
        RegistrationSubject(31337, CONTRACT, bytes(32), bytes(32), bytes(31))


# ------------------------------------------------------------------------------ valid tokens


def test_token_from_real_tsa_verifies_with_ours_and_openssl(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    subject, token = issued

    ours_ok, theirs_ok, ours, theirs = _verdicts(token.response, subject.message(), local_tsa)

    assert ours_ok, ours
    assert theirs_ok, theirs
    assert token.imprint == subject.imprint()
    assert token.hash_algorithm == "sha256"
    assert token.policy == "2.999.1.1"
    assert "timestamp authority" in token.tsa


def test_token_json_round_trips_and_rereads_the_response(
    issued: tuple[RegistrationSubject, TimestampToken],
) -> None:
    _, token = issued
    document = token.to_json()

    assert document["messageFormat"] == MESSAGE_FORMAT
    assert document["genTime"].endswith("Z")
    assert isinstance(document["serialNumber"], str)
    assert base64.b64decode(document["response"]) == token.response
    assert TimestampToken.from_json(document) == token
    # The readable fields are re-read from the response, never taken from the JSON.
    assert TimestampToken.from_json({**document, "genTime": "1999-01-01T00:00:00Z"}) == token


def test_verify_token_returns_the_token(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    subject, token = issued

    verified = verify_token(
        token.response, subject.message(), load_trust_anchors(local_tsa.root_path)
    )

    assert verified == token


# ------------------------------------------------------------------------------ bad tokens


def test_token_over_another_registration_fails_imprint_in_ours_and_openssl(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    _, token = issued
    other = _subject(2).message()

    ours_ok, theirs_ok, ours, _ = _verdicts(token.response, other, local_tsa)

    assert not ours_ok and not theirs_ok
    assert ours.startswith("imprint: ")


def test_token_from_untrusted_tsa_fails_signature_in_ours_and_openssl(
    local_tsa: LocalTsa, tmp_path: Path
) -> None:
    subject = _subject(4)
    with LocalTsa(tmp_path / "rogue") as rogue, TsaClient(rogue.url) as client:
        token = client.timestamp(subject.message())

    ours_ok, theirs_ok, ours, _ = _verdicts(token.response, subject.message(), local_tsa)

    assert not ours_ok and not theirs_ok
    assert ours.startswith("signature: ")


def _locate(response: bytes, needle: bytes, occurrence: int = 0) -> int:
    position = -1
    for _ in range(occurrence + 1):
        position = response.index(needle, position + 1)
    return position


@pytest.mark.parametrize(
    ("case", "part"),
    [
        ("signature value", "signature"),
        ("genTime", "signature"),
        ("imprint", "imprint"),
        ("TSA name in the token", "signature"),
        ("TSA certificate", "signature"),
        ("status", "status"),
        ("truncated", "response"),
    ],
)
def test_tampered_token_fails_in_ours_and_openssl(
    issued: tuple[RegistrationSubject, TimestampToken],
    local_tsa: LocalTsa,
    case: str,
    part: str,
) -> None:
    subject, token = issued
    response = token.response
    gen_time = token.gen_time.strftime("%Y%m%d%H%M%S").encode()
    name = b"sandbox timestamp authority"
    tampered = {
        "signature value": lambda: _flip(response, len(response) - 2),
        "genTime": lambda: _flip(response, _locate(response, gen_time) + 13),
        "imprint": lambda: _flip(response, _locate(response, subject.imprint()) + 5),
        # The name occurs in TSTInfo (signed) first, then in the TSA's own certificate.
        "TSA name in the token": lambda: _flip(response, _locate(response, name, 0) + 3),
        "TSA certificate": lambda: _flip(response, _locate(response, name, 1) + 3),
        "status": lambda: _flip(response, _locate(response, b"\x30\x03\x02\x01\x00") + 4, 0x02),
        "truncated": lambda: response[: len(response) // 2],
    }[case]()

    ours_ok, theirs_ok, ours, theirs = _verdicts(tampered, subject.message(), local_tsa)

    assert not theirs_ok, theirs
    assert not ours_ok
    assert ours.startswith(f"{part}: "), ours


def test_single_byte_tampers_never_pass_ours_where_openssl_refuses(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    """A sample of positions across the whole response, each byte changed in turn. Ours
    accepts a tampered token only where OpenSSL does too (bytes nothing signs and both ignore,
    such as the signature algorithm's OID); where they differ, ours refuses an unsigned
    envelope that is not valid DER, which OpenSSL overlooks."""
    subject, token = issued
    response = token.response
    positions = range(0, len(response), max(1, len(response) // 160))
    too_lenient = []
    stricter = []
    for position in positions:
        tampered = _flip(response, position, 0x04)
        ours_ok, theirs_ok, ours, theirs = _verdicts(tampered, subject.message(), local_tsa)
        if ours_ok and not theirs_ok:
            too_lenient.append((position, theirs))
        elif theirs_ok and not ours_ok:
            stricter.append((position, ours))

    assert not too_lenient
    assert all(problem.startswith("response: ") for _, problem in stricter), stricter


def test_granted_with_modifications_is_a_token_for_ours_and_openssl(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    subject, token = issued
    status = _locate(token.response, b"\x30\x03\x02\x01\x00") + 4
    with_mods = _flip(token.response, status, 0x01)

    ours_ok, theirs_ok, ours, theirs = _verdicts(with_mods, subject.message(), local_tsa)

    assert theirs_ok, theirs
    assert ours_ok, ours


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00", b"\x30\x80", b"\x30\x82\xff\xff" + bytes(64), bytes(range(256)) * 4],
)
def test_garbage_response_fails_without_crashing(garbage: bytes, local_tsa: LocalTsa) -> None:
    problems = check_token(garbage, b"message", load_trust_anchors(local_tsa.root_path))

    assert [p.part for p in problems] == ["response"]


def test_random_bytes_never_crash_the_check(local_tsa: LocalTsa) -> None:
    anchors = load_trust_anchors(local_tsa.root_path)
    rng = random.Random(11)
    for _ in range(200):
        problems = check_token(rng.randbytes(rng.randrange(1, 600)), b"m", anchors)
        assert problems


def test_check_without_trust_anchors_fails_signature(
    issued: tuple[RegistrationSubject, TimestampToken],
) -> None:
    subject, token = issued

    problems = check_token(token.response, subject.message(), ())

    assert [p.part for p in problems] == ["signature"]


def test_trust_anchors_that_are_not_pem_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "roots.pem"
    path.write_text("not a certificate")

    with pytest.raises(TimestampError, match=r"no certificate|not PEM"):
        load_trust_anchors(path)


# ------------------------------------------------------------------------------ the client


def test_client_with_anchors_of_another_tsa_refuses_its_token(
    local_tsa: LocalTsa, tmp_path: Path
) -> None:
    with LocalTsa(tmp_path / "other") as other:
        anchors = load_trust_anchors(other.root_path)
    with (
        TsaClient(local_tsa.url, trust_anchors=anchors) as client,
        pytest.raises(TimestampError, match="signature"),
    ):
        client.timestamp(b"anything")


def test_client_refuses_a_replayed_answer(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    """An answer captured from the real TSA and played back for a new request: the nonce
    does not match."""
    subject, token = issued

    def replay(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=token.response, headers={"Content-Type": "application/timestamp-reply"}
        )

    with (
        TsaClient(local_tsa.url, transport=httpx.MockTransport(replay)) as client,
        pytest.raises(TimestampError, match="nonce"),
    ):
        client.timestamp(subject.message())


def test_client_says_unavailable_when_tsa_is_down(tmp_path: Path) -> None:
    tsa = LocalTsa(tmp_path / "down").start()
    url = tsa.url
    tsa.stop()

    with (
        TsaClient(url, timeout=2) as client,
        pytest.raises(TsaUnavailableError, match="cannot reach the TSA"),
    ):
        client.timestamp(b"anything")


def test_tsa_answers_415_to_a_body_that_is_no_query(local_tsa: LocalTsa) -> None:
    reply = httpx.post(local_tsa.url, content=b"hello", headers={"Content-Type": "text/plain"})

    assert reply.status_code == 415


def test_client_says_unavailable_when_tsa_fails_inside(tmp_path: Path) -> None:
    """A TSA whose signing key broke answers HTTP 500: worth retrying later, not a bad token."""
    with LocalTsa(tmp_path / "broken") as tsa:
        (tsa.directory / "tsa.key").write_text("not a key")
        with TsaClient(tsa.url) as client, pytest.raises(TsaUnavailableError, match="HTTP 500"):
            client.timestamp(b"anything")


def test_documented_example_imprint_is_the_computed_one() -> None:
    """docs/proofs.md gives a worked example for re-implementers; it must stay true."""
    docs = (Path(__file__).resolve().parents[3] / "docs" / "proofs.md").read_text()
    subject = RegistrationSubject(31337, CONTRACT, b"\x11" * 32, b"\x22" * 32, b"\x33" * 32)

    assert f"`0x{subject.imprint().hex()}`" in docs
    assert f"= 0x{keccak(MESSAGE_FORMAT.encode()).hex()}" in docs


# ------------------------------------------------------------------------------ the bundle section


def test_section_of_genuine_token_has_no_problem(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    subject, token = issued

    problems = check_section(token.to_json(), subject, load_trust_anchors(local_tsa.root_path))

    assert problems == []


def test_every_single_field_tamper_of_the_section_fails_and_is_named(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    subject, token = issued
    anchors = load_trust_anchors(local_tsa.root_path)
    document = token.to_json()
    missed = []
    for name, value in document.items():
        tampered = dict(document)
        if name == "response":
            raw = bytearray(base64.b64decode(value))
            raw[len(raw) // 2] ^= 0x01
            tampered[name] = base64.b64encode(bytes(raw)).decode()
        else:
            tampered[name] = mutate(value)
        fields = {f for p in check_section(tampered, subject, anchors) for f in p.fields}
        if f"timestamp.{name}" not in fields:
            missed.append(name)

    assert not missed


def test_section_for_another_registration_fails_naming_the_imprint(
    issued: tuple[RegistrationSubject, TimestampToken], local_tsa: LocalTsa
) -> None:
    _, token = issued

    problems = check_section(token.to_json(), _subject(99), load_trust_anchors(local_tsa.root_path))

    assert "timestamp.messageImprint" in {f for p in problems for f in p.fields}


@pytest.mark.parametrize("response", [None, 5, "", "not base64!", "AAAA"])
def test_section_with_malformed_response_fails_without_crashing(
    response: object, local_tsa: LocalTsa
) -> None:
    problems = check_section(
        {"response": response}, _subject(1), load_trust_anchors(local_tsa.root_path)
    )

    assert problems and problems[0].fields == ("timestamp.response",)

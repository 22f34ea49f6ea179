"""Every signing mistake has its own code, and the mismatch says what the service expected
(docs/api.md, "Errors"): a signature by another key, over another domain, malformed, malleated,
expired, or a signed split posted back without the fields it was scored at. Nothing is
written in any of these cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_account import Account

from ledger.chain.signing import sign_typed_data, typed_data_digest, typed_data_from_json
from ledger.domain.codec import to_hex
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from tests.api.flows import api_contribution, api_project, write
from tests.api.support import Consortium, Member

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass
class _Attempt:
    """A registration prepared by `member` for signing; `post` sends it with a signature."""

    consortium: Consortium
    member: Member
    project_id: int
    body: dict[str, Any]
    data: Any

    @classmethod
    def prepared(cls, consortium: Consortium, member: Member) -> _Attempt:
        project_id = consortium.project_on_chain()
        commit = commitment(member.address, project_id, sha256_bytes(b"signing test"), new_salt())
        body = {"commitment": to_hex(commit), "origin": "result", "category": 0, "value": "40"}
        response = consortium.client.post(
            f"/v1/projects/{project_id}/contributions/prepare", json=body, headers=member.headers
        )
        assert response.status_code == 200, response.text
        return cls(consortium, member, project_id, body, response.json())

    def signed_by(self, key: bytes, typed_data: dict[str, Any] | None = None) -> bytes:
        return sign_typed_data(key, typed_data or self.data["typedData"])

    def post(self, signature: bytes | str, **changes: Any) -> httpx.Response:
        """Post the registration (with `changes` to its body) signed by `signature`."""
        response: httpx.Response = self.consortium.client.post(
            f"/v1/projects/{self.project_id}/contributions",
            json={
                **self.body,
                **changes,
                "signature": signature if isinstance(signature, str) else to_hex(signature),
                "nonce": self.data["nonce"],
                "deadline": self.data["deadline"],
            },
            headers=self.member.headers,
        )
        return response

    def nothing_written(self) -> None:
        ops = self.consortium.client.get("/v1/operations", headers=self.member.headers).json()
        assert [op for op in ops if op["kind"] == "register"] == []


def test_prepare_writes_wide_integers_as_decimal_strings(consortium: Consortium) -> None:
    data = _Attempt.prepared(consortium, consortium.partner_b).data

    message, domain = data["typedData"]["message"], data["typedData"]["domain"]
    assert message["nonce"] == data["nonce"] and isinstance(message["nonce"], str)
    assert message["deadline"] == data["deadline"] and isinstance(message["deadline"], str)
    assert message["value"] == "40" and domain["chainId"] == str(consortium.chain.chain_id)
    assert isinstance(message["projectId"], int) and isinstance(message["origin"], int)
    # The digest is that of the typed data as served (decimal strings read as integers).
    assert data["digest"] == to_hex(typed_data_digest(typed_data_from_json(data["typedData"])))


def test_register_signed_by_another_key_is_422_signature_mismatch_with_digest(
    consortium: Consortium,
) -> None:
    member, other = consortium.partner_c, consortium.partner_b
    attempt = _Attempt.prepared(consortium, member)

    response = attempt.post(attempt.signed_by(other.account.key))

    assert response.status_code == 422, response.text
    error = response.json()
    assert error["code"] == "signature_mismatch"
    details = {d["code"]: d for d in error["details"]}
    assert details["recovered_address"]["actual"] == other.address
    assert details["recovered_address"]["expected"] == member.address
    assert details["expected_digest"]["expected"] == attempt.data["digest"]
    attempt.nothing_written()


def test_register_with_an_altered_field_is_422_signature_mismatch(consortium: Consortium) -> None:
    member = consortium.partner_b
    attempt = _Attempt.prepared(consortium, member)

    response = attempt.post(attempt.signed_by(member.account.key), value="41")

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "signature_mismatch"
    # The service's digest is of the altered body: not the one the partner signed.
    expected = {d["code"]: d for d in error["details"]}["expected_digest"]["expected"]
    assert expected != attempt.data["digest"]


def test_register_signed_for_another_chain_is_422_signature_wrong_domain(
    consortium: Consortium,
) -> None:
    member = consortium.partner_b
    attempt = _Attempt.prepared(consortium, member)
    typed = attempt.data["typedData"]
    foreign = {**typed, "domain": {**typed["domain"], "chainId": "1"}}

    response = attempt.post(attempt.signed_by(member.account.key, foreign))

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "signature_wrong_domain"
    signed = {d["code"]: d for d in error["details"]}["domain_signed"]
    assert signed["actual"].startswith("1:")
    attempt.nothing_written()


def test_register_with_a_malleated_signature_is_422_signature_malleable(
    consortium: Consortium,
) -> None:
    member = consortium.partner_b
    attempt = _Attempt.prepared(consortium, member)
    signature = attempt.signed_by(member.account.key)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    twin = r + (SECP256K1_ORDER - s).to_bytes(32, "big") + bytes([55 - v])
    # The twin is a valid ECDSA signature of the same key: only its form gives it away.
    digest = bytes.fromhex(attempt.data["digest"][2:])
    assert Account._recover_hash(digest, signature=twin) == member.address

    response = attempt.post(twin)

    assert response.status_code == 422
    assert response.json()["code"] == "signature_malleable"
    attempt.nothing_written()


@pytest.mark.parametrize(
    "signature",
    ["0x" + "11" * 64 + "1b" + "00" * 2, "0x" + "11" * 64 + "05"],
    ids=["67-bytes", "v-is-5"],
)
def test_register_with_a_malformed_signature_is_422_signature_malformed(
    consortium: Consortium, signature: str
) -> None:
    attempt = _Attempt.prepared(consortium, consortium.partner_b)

    response = attempt.post(signature)

    assert response.status_code == 422
    assert response.json()["code"] == "signature_malformed"


def test_register_with_a_value_above_2_53_as_a_json_number_is_422(
    consortium: Consortium,
) -> None:
    member = consortium.partner_b
    attempt = _Attempt.prepared(consortium, member)

    # A uint64 above 2^53 sent as a JSON number may have been rounded by the sender's parser:
    # refused before the signature is even looked at.
    response = attempt.post(attempt.signed_by(member.account.key), value=2**60)

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_request"
    assert error["details"][0]["location"] == "body.value"
    assert "decimal string" in error["details"][0]["message"]


def test_propose_split_signed_without_computed_at_block_names_the_missing_field(
    consortium: Consortium,
) -> None:
    b = consortium.partner_b
    project_id = api_project(consortium)
    by_b = api_contribution(consortium, b, project_id, "b-doc")
    write(
        consortium, consortium.coordinator, f"/v1/contributions/{by_b}/endorsements", {"rating": 4}
    )
    consortium.chain.increase_time(8 * 24 * 3600)
    consortium.sync()
    prepared = consortium.client.post(
        f"/v1/projects/{project_id}/splits/prepare", json={}, headers=b.headers
    )
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    signature = sign_typed_data(b.account.key, data["typedData"])

    response = consortium.client.post(
        f"/v1/projects/{project_id}/splits",
        json={
            "policyVersion": data["typedData"]["message"]["policyVersion"],
            "signature": "0x" + signature.hex(),
            "nonce": data["nonce"],
            "deadline": data["deadline"],
        },
        headers=b.headers,
    )

    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "missing_signed_field"
    assert [d["location"] for d in error["details"]] == ["body.computedAtBlock"]
    assert (
        consortium.client.get(f"/v1/projects/{project_id}/splits", headers=b.headers).json() == []
    )

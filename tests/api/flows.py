"""Helpers of the API suite for multi-step flows: writes that wait, a project made through the
API, contributions registered through it, documents shared through the exchange as a partner's
client shares them."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ledger.domain import hashing
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from ledger.exchange import envelope, keys
from tests.api.support import AGREEMENT, POLICY_JSON, Consortium, Member


def write(
    consortium: Consortium, member: Member, url: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST `body` as `member`, wait until confirmed, bring the index up to date."""
    sep = "&" if "?" in url else "?"
    response = consortium.client.post(
        f"{url}{sep}wait=true", json=body or {}, headers=member.headers
    )
    assert response.status_code == 200, response.text
    op: dict[str, Any] = response.json()
    assert op["status"] == "confirmed", op
    consortium.sync()
    return op


def api_project(consortium: Consortium, *, accept: bool = True) -> int:
    """Create a project of the three partners through the API (and have all accept it)."""
    body = {
        "agreementHash": "0x" + AGREEMENT.hex(),
        "partners": [m.address for m in consortium.partners],
        "policy": POLICY_JSON,
    }
    op = write(consortium, consortium.coordinator, "/v1/projects", body)
    project_id = int(op["resourceId"])
    if accept:
        for member in consortium.partners:
            write(consortium, member, f"/v1/projects/{project_id}/agreement/acceptances")
    return project_id


def registration(
    member: Member,
    project_id: int,
    label: str,
    value: int = 40,
    card: dict[str, Any] | None = None,
) -> dict[str, Any]:
    commit = commitment(member.address, project_id, sha256_bytes(label.encode()), new_salt())
    body = {
        "commitment": "0x" + commit.hex(),
        "origin": "result",
        "category": 0,
        "value": str(value),
    }
    return body if card is None else {**body, "card": card}


def api_contribution(
    consortium: Consortium,
    member: Member,
    project_id: int,
    label: str,
    card: dict[str, Any] | None = None,
) -> str:
    """Register a contribution through the API (with `card`, if given); return its id."""
    op = write(
        consortium,
        member,
        f"/v1/projects/{project_id}/contributions",
        registration(member, project_id, label, card=card),
    )
    return str(op["resourceId"])


# ------------------------------------------------------------------------------ exchange

DOCUMENT = (
    b"%PDF-1.4\n% retting know-how of partner A: 72 hours at 31 degrees, then a 0.4 % NaOH wash\n"
    * 50
)
NAME = "retting-protocol-confidential.pdf"


@dataclass
class Shared:
    project_id: int
    disclosure_id: str
    commitment: str
    file_key: bytes
    salt: bytes
    sealed: bytes


def publish_encryption_key(consortium: Consortium, member: Member) -> X25519PrivateKey:
    private = keys.generate_private_key()
    public = "0x" + keys.public_key_bytes(private).hex()
    op = write(
        consortium, member, f"/v1/partners/{member.address}/encryption-keys", {"publicKey": public}
    )
    assert op["kind"] == "publish_encryption_key"
    return private


def share_document(
    consortium: Consortium,
    sharer: Member,
    project_id: int,
    recipients: list[Member],
    references: list[str] | None = None,
) -> Shared:
    """What a sharer's client does: seal, upload, wrap to each recipient's published key,
    disclose (and wait for it)."""
    client = consortium.client
    file_key, salt = envelope.new_file_key(), hashing.new_salt()
    sink = io.BytesIO()
    digest = envelope.seal_stream(io.BytesIO(DOCUMENT), sink, file_key, segment_log2=12)
    sealed = sink.getvalue()
    commitment = hashing.commitment(sharer.address, project_id, digest.sha256, salt)
    disclosure_id = hashing.disclosure_id(project_id, sharer.address, commitment)
    uploaded = client.put(
        f"/v1/projects/{project_id}/documents/0x{commitment.hex()}",
        content=sealed,
        headers={**sharer.headers, "Content-Type": "application/octet-stream"},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["disclosureId"] == "0x" + disclosure_id.hex()
    key_envelope = envelope.KeyEnvelope(file_key, salt, NAME, "application/pdf", len(DOCUMENT))
    wrapped = {}
    for recipient in recipients:
        published = client.get(
            f"/v1/partners/{recipient.address}/encryption-keys", headers=sharer.headers
        ).json()[-1]
        blob = envelope.wrap_key(
            key_envelope,
            bytes.fromhex(published["publicKey"][2:]),
            disclosure_id=disclosure_id,
            recipient=recipient.address,
        )
        wrapped[recipient.address] = base64.b64encode(blob).decode()
    body = {
        "contentCommitment": "0x" + commitment.hex(),
        "recipients": [r.address for r in recipients],
        "contributionIds": references or [],
        "wrappedKeys": wrapped,
    }
    op = write(consortium, sharer, f"/v1/projects/{project_id}/disclosures", body)
    assert op["resourceId"] == "0x" + disclosure_id.hex()
    return Shared(
        project_id, "0x" + disclosure_id.hex(), "0x" + commitment.hex(), file_key, salt, sealed
    )


def upload_document(consortium: Consortium, member: Member, project_id: int) -> str:
    """Seal a fresh document and upload it (not disclosed); return its commitment."""
    salt = hashing.new_salt()
    plain = f"draft of {member.address} {salt.hex()}".encode()
    sealed = envelope.seal_bytes(plain, envelope.new_file_key(), segment_log2=12)
    commit = hashing.commitment(member.address, project_id, hashing.sha256_bytes(plain), salt)
    response = consortium.client.put(
        f"/v1/projects/{project_id}/documents/0x{commit.hex()}",
        content=sealed,
        headers=member.headers,
    )
    assert response.status_code == 201, response.text
    return "0x" + commit.hex()

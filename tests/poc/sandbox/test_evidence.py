"""The sandbox's evidence services: its TSA, its public chain with the checkpoint contract, its
seal certificate; all kept across a restart, and redeployed (with a message) when the public
chain's state is lost."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from ledger.chain.checkpoints import ChainCheckpointsClient
from ledger.chain.connection import Chain
from ledger.evidence.anchor_job import CheckpointAnchorer
from ledger.evidence.checkpoints import CheckpointProver, check_checkpoint_online
from ledger.evidence.seal import SealIdentity, seal_pdf, validate_seal
from ledger.evidence.timestamps import TsaClient, load_trust_anchors
from poc.sandbox.evidence import PUBLIC_CHAIN_ID, start_evidence
from tests.ledger.evidence.openssl_ts import openssl_ts_verify

pytestmark = pytest.mark.anvil


def test_evidence_services_work_and_survive_a_restart(tmp_path: Path, anvil_chain: Chain) -> None:
    messages: list[str] = []
    with start_evidence(tmp_path, log=messages.append) as evidence:
        assert evidence.public_chain.chain_id == PUBLIC_CHAIN_ID
        client = ChainCheckpointsClient(evidence.public_chain.w3, evidence.checkpoints_address)
        sender = evidence.public_chain.sender(evidence.anchorer)
        anchored = CheckpointAnchorer(anvil_chain.w3, client, sender).run_once()
        assert anchored is not None
        with TsaClient(evidence.tsa_url) as tsa:
            token = tsa.timestamp(b"registration message")
        roots = evidence.tsa_roots.read_bytes()
        address = evidence.checkpoints_address
        seal = (evidence.seal_key.read_bytes(), evidence.seal_certificate.read_bytes())

    with start_evidence(tmp_path, log=messages.append) as again:
        assert again.checkpoints_address == address
        assert again.tsa_roots.read_bytes() == roots
        assert (again.seal_key.read_bytes(), again.seal_certificate.read_bytes()) == seal
        # The checkpoint posted before the restart is still there, and still proves.
        prover = CheckpointProver(
            anvil_chain.w3,
            again.public_chain.w3,
            again.checkpoints_address,
            anchorer=again.anchorer.address,
            source_chain_id=anvil_chain.chain_id,
            public_from_block=again.checkpoints.deploy_block,
        )
        head = anchored.checkpoint.to_block
        proof = prover.prove(head, bytes(anvil_chain.w3.eth.get_block(head)["hash"]))
        assert check_checkpoint_online(proof.to_json(), again.public_chain.w3) == []
        # A token from before the restart still verifies against the kept root.
        ok, output = openssl_ts_verify(token.response, b"registration message", again.tsa_roots)
        assert ok, output
        # The demo seal seals, with the sandbox's TSA.
        identity = SealIdentity.from_pem(again.seal_key, again.seal_certificate)
        sealed = seal_pdf(_tiny_pdf(), identity, tsa_url=again.tsa_url)
        report = validate_seal(
            sealed,
            trust_roots=load_trust_anchors(again.seal_certificate),
            tsa_roots=load_trust_anchors(again.tsa_roots),
        )
        assert report.ok, report.summary
    assert messages == []


def test_lost_public_chain_state_is_said_and_the_contract_deployed_again(
    tmp_path: Path,
) -> None:
    with start_evidence(tmp_path, log=print) as evidence:
        first = evidence.checkpoints
    # The public chain's saved state is lost; its record is not.
    for state in (tmp_path / "public-chain").glob("anvil-state*"):
        state.unlink()
    messages: list[str] = []

    with start_evidence(tmp_path, log=messages.append) as evidence:
        second = evidence.checkpoints

    assert second.genesis_hash != first.genesis_hash
    assert len(messages) == 1 and "public chain state was lost" in messages[0]
    assert list(tmp_path.glob("public-deployment.json.lost-*"))


def _tiny_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Certificate of contribution (test)")
    page.showPage()
    page.save()
    return buffer.getvalue()

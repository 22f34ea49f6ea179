"""The service with its evidence sources configured (a local TSA, a second anvil as the public
chain, a seal): the background leader timestamps and anchors what the chain registers, exports
carry the token and the checkpoint, POST /v1/proofs/verify checks them, certificates are sealed;
a TSA outage blocks no registration and the token comes later."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.settings import ApiSettings
from ledger.chain.checkpoints import deploy_checkpoints
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.deployment_record import DeploymentRecord
from ledger.domain.codec import to_hex
from ledger.domain.hashing import commitment, contribution_id, new_salt, sha256_bytes
from ledger.evidence.timestamps import RegistrationSubject
from ledger.store import Store
from poc.sandbox.anvil import AnvilProcess
from poc.sandbox.pki import make_self_signed_seal, write_private
from poc.sandbox.tsa import LocalTsa
from poc.wiring import create_app
from tests.api.support import Consortium, call
from tests.ledger.evidence.openssl_ts import openssl_ts_verify

pytestmark = pytest.mark.anvil

PUBLIC_CHAIN_ID = 31338
WAIT = 60.0


@dataclass
class Public:
    chain: Chain
    checkpoints: str
    deploy_block: int


@pytest.fixture(scope="module")
def _public_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Public]:
    node = AnvilProcess(
        tmp_path_factory.mktemp("public"), persist=False, chain_id=PUBLIC_CHAIN_ID
    ).start()
    try:
        chain = connect_anvil(
            ChainConfig(backend=Backend.ANVIL, anvil_chain_id=PUBLIC_CHAIN_ID), node=node
        )
        address, receipt = deploy_checkpoints(chain.sender(0))
        yield Public(chain, address, receipt.block_number)
    finally:
        node.stop()


@pytest.fixture
def public(_public_session: Public) -> Iterator[Public]:
    # The consortium chain is reverted after each test: so is the public one, or its
    # checkpoints would name blocks the next test's chain does not have.
    snapshot = _public_session.chain.snapshot()
    try:
        yield _public_session
    finally:
        _public_session.chain.revert(snapshot)


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[LocalTsa]:
    with LocalTsa(tmp_path / "tsa") as started:
        yield started


@pytest.fixture
def settings(tmp_path: Path, tsa: LocalTsa, public: Public) -> ApiSettings:
    operator = make_self_signed_seal("Operator seal (API test)", "poc-ledger tests")
    write_private(tmp_path / "seal.key", operator.key_pem)
    (tmp_path / "seal.pem").write_bytes(operator.certificate_pem)
    return ApiSettings(
        data_dir=tmp_path,
        index_poll_interval=0.02,
        outbox_poll_interval=0.01,
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        max_in_flight_per_key=10_000,
        failed_auth_burst=10_000,
        keystore_scrypt_n=1 << 4,
        wait_timeout=20,
        tsa_url=tsa.url,
        tsa_roots=tsa.root_path,
        timestamp_interval=0.1,
        public_rpc_url=public.chain.node.url if public.chain.node else None,
        checkpoints_address=public.checkpoints,
        checkpoints_from_block=public.deploy_block,
        anchor_key=SecretStr(to_hex(public.chain.accounts[1].key)),
        anchor_interval=0.2,
        seal_key=tmp_path / "seal.key",
        seal_certificate=tmp_path / "seal.pem",
    )


@pytest.fixture
def client(
    settings: ApiSettings, store: Store, deployed: tuple[Chain, DeploymentRecord]
) -> Iterator[TestClient]:
    chain, record = deployed
    app = create_app(settings, store=store, chain=chain, deployment=record)
    with TestClient(app) as client:
        yield client


@dataclass(frozen=True)
class Registered:
    contribution_id: bytes
    subject: RegistrationSubject
    opening: dict[str, str]


def _register(consortium: Consortium, project_id: int) -> Registered:
    member = consortium.partner_b
    content, salt = sha256_bytes(b"a lab notebook page"), new_salt()
    commit = commitment(member.address, project_id, content, salt)
    registration: tuple[object, ...] = (project_id, commit, bytes(32), 1, 0, 40, [], bytes(32), "")
    receipt = call(
        consortium.chain, consortium.record, member.account, "PocLedger", "register", registration
    )
    cid = contribution_id(project_id, member.address, commit)
    subject = RegistrationSubject(
        chain_id=consortium.chain.chain_id,
        contract=consortium.record.address("PocLedger"),
        contribution_id=cid,
        commitment=commit,
        block_hash=bytes.fromhex(receipt.block_hash[2:]),
    )
    return Registered(cid, subject, {"contentHash": to_hex(content), "salt": to_hex(salt)})


def _bundle(consortium: Consortium, item: Registered) -> dict[str, Any]:
    response = consortium.client.post(
        f"/v1/exports/contributions/{to_hex(item.contribution_id)}/bundle",
        json=item.opening,
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _until(
    consortium: Consortium, item: Registered, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The bundle once `ready` says so (the background leader's jobs run on their own)."""
    deadline = time.monotonic() + WAIT
    while True:
        consortium.sync()
        document = _bundle(consortium, item)
        if ready(document):
            return document
        assert time.monotonic() < deadline, f"not ready after {WAIT} s: {sorted(document)}"
        time.sleep(0.2)


def _both(document: dict[str, Any]) -> bool:
    return "timestamp" in document and "checkpoint" in document


def test_background_jobs_put_token_and_checkpoint_in_the_exported_bundle(
    consortium: Consortium, tsa: LocalTsa
) -> None:
    project = consortium.project_on_chain()
    item = _register(consortium, project)
    consortium.grant_auditor(project)

    document = _until(consortium, item, _both)
    verified = consortium.client.post(
        "/v1/proofs/verify", json={"bundle": document}, headers=consortium.auditor_headers
    )
    checks = {c["name"]: c for c in verified.json()["checks"]}
    response = base64.b64decode(document["timestamp"]["response"])
    theirs_ok, theirs = openssl_ts_verify(response, item.subject.message(), tsa.root_path)

    assert verified.status_code == 200
    assert verified.json()["ok"], verified.json()
    for name in ("timestamp", "public anchor", "online: public anchor"):
        assert checks[name]["passed"] and not checks[name]["skipped"], checks[name]
    assert theirs_ok, theirs


def test_verify_route_names_a_tampered_token_field(consortium: Consortium) -> None:
    project = consortium.project_on_chain()
    item = _register(consortium, project)
    consortium.grant_auditor(project)
    document = _until(consortium, item, _both)
    document["timestamp"]["genTime"] = "2001-01-01T00:00:00Z"

    verified = consortium.client.post(
        "/v1/proofs/verify", json={"bundle": document}, headers=consortium.auditor_headers
    )
    failed = [c for c in verified.json()["checks"] if not c["passed"]]

    assert verified.status_code == 200 and not verified.json()["ok"]
    assert [c["name"] for c in failed] == ["timestamp"]
    assert failed[0]["fields"] == ["timestamp.genTime"]


def test_certificate_export_is_sealed_and_pdfsig_says_valid(
    consortium: Consortium, tmp_path: Path
) -> None:
    project = consortium.project_on_chain()
    item = _register(consortium, project)
    consortium.grant_auditor(project)
    _until(consortium, item, _both)

    response = consortium.client.post(
        f"/v1/exports/contributions/{to_hex(item.contribution_id)}/certificate",
        json=item.opening,
        headers=consortium.auditor_headers,
    )
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.content)
    pdfsig = subprocess.run(
        ["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60, check=False
    )

    assert response.status_code == 200, response.text
    assert "Signature is Valid." in pdfsig.stdout, pdfsig.stdout
    assert "Operator seal (API test)" in pdfsig.stdout


def test_tsa_outage_blocks_no_registration_and_the_token_comes_later(
    consortium: Consortium, tsa: LocalTsa
) -> None:
    project = consortium.project_on_chain()
    consortium.grant_auditor(project)
    tsa.stop()

    item = _register(consortium, project)  # lands on chain whatever the TSA does
    services = consortium.client.app.state.services  # type: ignore[attr-defined]
    queue = services.evidence.timestamps
    deadline = time.monotonic() + WAIT
    while (pending := queue.pending(item.contribution_id, item.subject.block_hash)) is None or (
        pending.last_error is None
    ):
        consortium.sync()
        assert time.monotonic() < deadline, "the job never tried the TSA"
        time.sleep(0.1)
    without = _bundle(consortium, item)
    sealed = consortium.client.post(
        f"/v1/exports/contributions/{to_hex(item.contribution_id)}/certificate",
        json=item.opening,
        headers=consortium.auditor_headers,
    )
    tsa.start()  # same port, same PKI
    later = _until(consortium, item, lambda document: "timestamp" in document)

    assert "timestamp" not in without
    assert "cannot reach the TSA" in str(pending.last_error)
    # A certificate is never issued half-sealed: without the TSA, no seal and no PDF.
    assert sealed.status_code == 503
    assert sealed.json()["code"] == "seal_unavailable"
    assert consortium.client.post(
        "/v1/proofs/verify", json={"bundle": later}, headers=consortium.auditor_headers
    ).json()["ok"]

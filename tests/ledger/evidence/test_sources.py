"""Bundles with their evidence from outside the consortium chain: the RFC 3161 token the
timestamp job obtained and the public checkpoint the anchoring job posted, added by
`EvidenceSources`, checked by the verifier offline and online (and the token by `openssl ts
-verify`); tampered sections fail naming the field; a bundle built before either exists lacks
them and still verifies; a sealed export validates in pdfsig."""

from __future__ import annotations

import base64
import copy
import io
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine
from web3 import Web3

from api.i18n import certificate_text
from ledger.domain import hashing
from ledger.domain.values import Origin, Registration
from ledger.evidence.anchor_job import CheckpointAnchorer
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import ProofBundle
from ledger.evidence.independent import ANCHOR_CHECK, ONLINE_ANCHOR_CHECK, TIMESTAMP_CHECK
from ledger.evidence.packs import Opening, export_contribution
from ledger.evidence.seal import SealIdentity
from ledger.evidence.sources import EvidenceSources, PublicAnchor
from ledger.evidence.timestamp_job import TimestampJob, TimestampQueue
from ledger.evidence.timestamps import RegistrationSubject, TsaClient, load_trust_anchors
from ledger.evidence.verifier import VerificationReport, verify_document
from poc.sandbox.pki import make_self_signed_seal, write_private
from poc.sandbox.tsa import LocalTsa
from tests.ledger.conftest import Env
from tests.ledger.evidence.conftest import PublicChain
from tests.ledger.evidence.openssl_ts import openssl_ts_verify

pytestmark = pytest.mark.anvil


@dataclass(frozen=True)
class Registered:
    contribution_id: bytes
    content: bytes
    opening: Opening
    subject: RegistrationSubject
    block_number: int


def _register(consortium: Env) -> Registered:
    project = consortium.create_project()
    content = f"lab notebook {secrets.token_hex(8)}".encode()
    content_hash, salt = hashing.sha256_bytes(content), hashing.new_salt()
    alice = consortium.alice
    registration = Registration(
        project,
        hashing.commitment(alice.address, project, content_hash, salt),
        Origin.RESULT,
        0,
        8,
    )
    result = consortium.ledger.register(alice, registration)
    subject = RegistrationSubject(
        chain_id=consortium.chain.chain_id,
        contract=consortium.ledger.address,
        contribution_id=result.value,
        commitment=registration.commitment,
        block_hash=bytes.fromhex(result.receipt.block_hash[2:]),
    )
    return Registered(
        result.value, content, Opening(content_hash, salt), subject, result.receipt.block_number
    )


@dataclass
class Services:
    sources: EvidenceSources
    queue: TimestampQueue
    job: TimestampJob
    anchorer: CheckpointAnchorer
    tsa: LocalTsa


@pytest.fixture
def services(consortium: Env, public: PublicChain, local_tsa: LocalTsa, tmp_path: Path) -> Services:
    queue = TimestampQueue(create_engine(f"sqlite:///{tmp_path / 'outbox.sqlite3'}"))
    queue.create()
    roots = load_trust_anchors(local_tsa.root_path)
    job = TimestampJob(queue, TsaClient(local_tsa.url, trust_anchors=roots))
    anchorer = CheckpointAnchorer(consortium.chain.w3, public.checkpoints, public.anchorer)
    sources = EvidenceSources(
        timestamps=queue,
        tsa_url=local_tsa.url,
        tsa_roots=roots,
        public=PublicAnchor(
            public.chain.w3,
            public.checkpoints.address,
            public.anchorer.address,
            public.deploy_block,
        ),
    )
    return Services(sources, queue, job, anchorer, local_tsa)


def _stamp_and_anchor(services: Services, item: Registered) -> None:
    services.queue.enqueue([(item.subject, item.block_number)])
    assert services.job.run_once().stamped == 1
    assert services.anchorer.run_once() is not None


def _bundle(consortium: Env, services: Services, item: Registered) -> dict[str, Any]:
    built = ProofBuilder(consortium.chain.w3, consortium.ledger.address).build(
        item.contribution_id, content_hash=item.opening.content_hash, salt=item.opening.salt
    )
    return services.sources.completer(consortium.chain.w3)(built).to_json()


def _by_name(report: VerificationReport) -> dict[str, Any]:
    return {check.name: check for check in report.checks}


def _verify(
    document: dict[str, Any],
    services: Services,
    *,
    w3: Web3 | None = None,
    public_w3: Web3 | None = None,
) -> VerificationReport:
    return verify_document(
        document, tsa_roots=services.sources.tsa_roots, w3=w3, public_w3=public_w3
    )


# ------------------------------------------------------------------------------ genuine bundles


def test_bundle_with_token_and_checkpoint_verifies_offline_online_and_in_openssl(
    consortium: Env, public: PublicChain, services: Services
) -> None:
    item = _register(consortium)
    _stamp_and_anchor(services, item)

    document = _bundle(consortium, services, item)
    report = _verify(document, services, w3=consortium.chain.w3, public_w3=public.chain.w3)
    checks = _by_name(report)
    response = base64.b64decode(document["timestamp"]["response"])
    theirs_ok, theirs = openssl_ts_verify(response, item.subject.message(), services.tsa.root_path)

    assert report.ok, report.lines()
    for name in (TIMESTAMP_CHECK, ANCHOR_CHECK, ONLINE_ANCHOR_CHECK):
        assert checks[name].passed and not checks[name].skipped, checks[name].line()
    assert report.skipped == 0
    assert theirs_ok, theirs
    assert document["checkpoint"]["log"]["args"]["anchorer"] == public.anchorer.address
    fb, tb = (
        document["checkpoint"]["log"]["args"]["fromBlock"],
        document["checkpoint"]["log"]["args"]["toBlock"],
    )
    assert int(fb) <= item.block_number <= int(tb)  # format 3: uint64 as decimal strings
    # The sections survive the bundle's own JSON round trip.
    assert ProofBundle.from_json(document).to_json() == document


def test_bundle_verified_without_trust_anchors_or_public_node_says_skip(
    consortium: Env, services: Services
) -> None:
    item = _register(consortium)
    _stamp_and_anchor(services, item)
    document = _bundle(consortium, services, item)

    report = verify_document(document, w3=consortium.chain.w3)
    checks = _by_name(report)

    assert report.ok and report.skipped == 2
    assert checks[TIMESTAMP_CHECK].skipped
    assert "--tsa-roots" in checks[TIMESTAMP_CHECK].detail
    assert checks[TIMESTAMP_CHECK].line().startswith("SKIP  timestamp: ")
    assert checks[ONLINE_ANCHOR_CHECK].skipped
    assert checks[ANCHOR_CHECK].passed and not checks[ANCHOR_CHECK].skipped


def test_bundle_built_before_token_and_checkpoint_lacks_them_and_verifies(
    consortium: Env, services: Services
) -> None:
    item = _register(consortium)
    services.queue.enqueue([(item.subject, item.block_number)])  # queued, not yet stamped

    document = _bundle(consortium, services, item)
    report = _verify(document, services)

    assert "timestamp" not in document and "checkpoint" not in document
    assert report.ok, report.lines()
    assert not {TIMESTAMP_CHECK, ANCHOR_CHECK} & set(_by_name(report))


def test_unreachable_public_chain_leaves_the_checkpoint_out(
    consortium: Env, services: Services
) -> None:
    item = _register(consortium)
    _stamp_and_anchor(services, item)
    down = Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2}))
    assert services.sources.public is not None
    sources = EvidenceSources(
        timestamps=services.queue,
        tsa_roots=services.sources.tsa_roots,
        public=PublicAnchor(
            down, services.sources.public.contract, services.sources.public.anchorer
        ),
    )
    built = ProofBuilder(consortium.chain.w3, consortium.ledger.address).build(
        item.contribution_id, content_hash=item.opening.content_hash, salt=item.opening.salt
    )

    document = sources.completer(consortium.chain.w3)(built).to_json()

    assert "checkpoint" not in document
    assert "timestamp" in document


# ------------------------------------------------------------------------------ tampered bundles


def _flip_in_base64(text: str, position: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[position] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("path", "change", "blamed"),
    [
        (("timestamp", "genTime"), lambda v: v.replace("20", "19", 1), "timestamp.genTime"),
        (("timestamp", "tsa"), lambda v: "CN=Qualified TSA", "timestamp.tsa"),
        (("timestamp", "response"), lambda v: _flip_in_base64(v, -40), "timestamp.response"),
        (
            ("checkpoint", "leafHash"),
            lambda v: "0x" + "11" * 32,
            "checkpoint.leafHash",
        ),
        (
            ("checkpoint", "log", "args", "root"),
            lambda v: "0x" + "22" * 32,
            "checkpoint.log.args.root",
        ),
    ],
)
def test_tampered_section_fails_naming_the_field(
    consortium: Env, services: Services, path: tuple[str, ...], change: Any, blamed: str
) -> None:
    item = _register(consortium)
    _stamp_and_anchor(services, item)
    document = _bundle(consortium, services, item)
    tampered = copy.deepcopy(document)
    node = tampered
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = change(node[path[-1]])

    report = _verify(tampered, services)

    assert not report.ok
    assert blamed in report.failed_fields(), report.lines()


def test_token_of_another_registration_fails_in_ours_and_openssl(
    consortium: Env, services: Services
) -> None:
    first, second = _register(consortium), _register(consortium)
    _stamp_and_anchor(services, first)
    services.queue.enqueue([(second.subject, second.block_number)])
    services.job.run_once()
    document = _bundle(consortium, services, second)
    document["timestamp"] = _bundle(consortium, services, first)["timestamp"]

    report = _verify(document, services)
    response = base64.b64decode(document["timestamp"]["response"])
    theirs_ok, _ = openssl_ts_verify(response, second.subject.message(), services.tsa.root_path)

    assert not report.ok and not theirs_ok
    assert "timestamp.messageImprint" in report.failed_fields()


def test_token_of_an_untrusted_tsa_fails_signature(
    consortium: Env, services: Services, tmp_path: Path
) -> None:
    item = _register(consortium)
    with LocalTsa(tmp_path / "rogue") as rogue, TsaClient(rogue.url) as client:
        forged = client.timestamp(item.subject.message())
    document = _bundle(consortium, services, item)
    document["timestamp"] = forged.to_json()

    report = _verify(document, services)
    check = _by_name(report)[TIMESTAMP_CHECK]

    assert not check.passed and "signature" in check.detail
    assert check.fields == ("timestamp.response",)


def test_garbage_sections_fail_without_crashing(consortium: Env, services: Services) -> None:
    item = _register(consortium)
    document = _bundle(consortium, services, item)
    document["timestamp"] = {"response": "not base64!"}
    document["checkpoint"] = {"chainId": "x"}

    report = _verify(document, services)

    assert not report.ok
    assert report.checks[0].name == "format"
    assert {"timestamp", "checkpoint.chainId"} & report.failed_fields()


# ------------------------------------------------------------------------------ sealed exports


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    completed = subprocess.run(
        ["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    return completed.stdout


def test_exported_certificate_is_sealed_and_names_the_bundle_with_its_evidence(
    consortium: Env, services: Services, tmp_path: Path
) -> None:
    item = _register(consortium)
    _stamp_and_anchor(services, item)
    operator = make_self_signed_seal("Operator seal (test)", "poc-ledger tests")
    write_private(tmp_path / "seal.key", operator.key_pem)
    (tmp_path / "seal.pem").write_bytes(operator.certificate_pem)
    sources = EvidenceSources(
        timestamps=services.queue,
        tsa_url=services.tsa.url,
        tsa_roots=services.sources.tsa_roots,
        public=services.sources.public,
        seal_identity=SealIdentity.from_pem(tmp_path / "seal.key", tmp_path / "seal.pem"),
    )
    builder = ProofBuilder(consortium.chain.w3, consortium.ledger.address)

    bundle, json_file, pdf = export_contribution(
        builder, item.contribution_id, item.opening, text=certificate_text("nl"), evidence=sources
    )
    report = _pdfsig(pdf.data, tmp_path)
    tampered = bytearray(pdf.data)
    tampered[len(tampered) // 3] ^= 0x01

    assert bundle.timestamp is not None and bundle.checkpoint is not None
    # The certificate tells the timestamp and the public record in plain words.
    first_page = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "Onafhankelijke tijdstempel" in first_page
    assert "bevestigt dat de registratie bestond op" in first_page
    assert "de plaatsvervanger van een publieke keten in de sandbox" in first_page
    assert "Signature is Valid." in report, report
    assert "Operator seal (test)" in report or "Total document signed" in report
    assert "Signature is Valid." not in _pdfsig(bytes(tampered), tmp_path)
    assert json_file.sha256 == bundle.sha256


# ------------------------------------------------------------------------------ poc verify


def test_poc_verify_checks_token_and_checkpoint_with_roots_and_public_node(
    consortium: Env,
    public: PublicChain,
    services: Services,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from poc.cli.main import main

    assert consortium.chain.node is not None and public.chain.node is not None
    item = _register(consortium)
    _stamp_and_anchor(services, item)
    path = tmp_path / "bundle.json"
    path.write_bytes(ProofBundle.from_json(_bundle(consortium, services, item)).to_bytes())
    original = tmp_path / "original.bin"
    original.write_bytes(item.content)
    online = ["--rpc-url", consortium.chain.node.url]

    full = main(
        [
            "verify",
            str(path),
            "--file",
            str(original),
            *online,
            "--tsa-roots",
            str(services.tsa.root_path),
            "--public-rpc-url",
            public.chain.node.url,
        ]
    )
    full_out = capsys.readouterr()
    bare = main(["verify", str(path), *online])
    bare_out = capsys.readouterr()
    wrong_roots = main(["verify", str(path), "--tsa-roots", str(tmp_path / "missing.pem")])
    wrong_out = capsys.readouterr()

    assert full == 0, full_out.out
    assert "PASS  timestamp: RFC 3161 token" in full_out.out
    assert "PASS  public anchor: block" in full_out.out
    assert "PASS  online: public anchor" in full_out.out
    assert "SKIP" not in full_out.out and "FAIL" not in full_out.out
    assert bare == 0
    assert "SKIP  timestamp:" in bare_out.out and "SKIP  online: public anchor" in bare_out.out
    assert "2 skipped" in bare_out.err
    assert wrong_roots != 0
    assert "cannot read the trust anchors" in wrong_out.err

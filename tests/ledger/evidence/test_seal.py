"""Sealed PDF certificates (PAdES B-T): pyhanko's validator and poppler's `pdfsig` both report
a valid seal on a sealed certificate, and both find it broken once one signed byte changes.
The timestamp comes from a real TSA (OpenSSL's `ts -reply`)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from api.i18n import certificate_text
from ledger.errors import SealError
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.certificate import render_certificate
from ledger.evidence.seal import SEAL_FIELD, SealIdentity, seal_pdf, validate_seal
from ledger.evidence.timestamps import load_trust_anchors
from poc.sandbox.pki import Issued, make_self_signed_seal, pkcs12_bytes, write_private
from poc.sandbox.tsa import LocalTsa
from tests.ledger.evidence.proof_scenario import build_scenario


@pytest.fixture(scope="module")
def operator() -> Issued:
    return make_self_signed_seal("Demo operator (sandbox)", "poc-ledger sandbox")


@pytest.fixture
def identity(operator: Issued, tmp_path: Path) -> SealIdentity:
    write_private(tmp_path / "seal.key", operator.key_pem)
    (tmp_path / "seal.pem").write_bytes(operator.certificate_pem)
    return SealIdentity.from_pem(tmp_path / "seal.key", tmp_path / "seal.pem")


@pytest.fixture
def certificate_pdf(memory_env: Any) -> bytes:
    """A real certificate: the PDF of a proof bundle from the consortium scenario."""
    scenario = build_scenario(memory_env)
    item = scenario["a"]
    bundle = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address).build(
        item.contribution_id, content_hash=item.content_hash, salt=item.salt
    )
    return render_certificate(bundle, text=certificate_text("en"))


def _pdfsig(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    """pdfsig's report of the first signature: {"Signature Validation": "...", ...}."""
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    report: dict[str, str] = {"exit": str(result.returncode), "output": result.stdout}
    for line in result.stdout.splitlines():
        key, _, value = line.strip().lstrip("- ").partition(": ")
        if value:
            report.setdefault(key, value)
    return report


def _validate(pdf: bytes, operator: Issued, tsa: LocalTsa) -> Any:
    return validate_seal(
        pdf,
        trust_roots=[operator.certificate],
        tsa_roots=load_trust_anchors(tsa.root_path),
    )


def test_sealed_certificate_is_valid_for_pyhanko_and_pdfsig(
    certificate_pdf: bytes,
    identity: SealIdentity,
    operator: Issued,
    local_tsa: LocalTsa,
    tmp_path: Path,
) -> None:
    sealed = seal_pdf(certificate_pdf, identity, tsa_url=local_tsa.url)

    report = _validate(sealed, operator, local_tsa)
    theirs = _pdfsig(sealed, tmp_path)

    assert report.ok, report.summary
    assert report.timestamp is not None
    assert "Demo operator (sandbox)" in report.signer
    assert theirs["Signature Validation"] == "Signature is Valid.", theirs["output"]
    assert theirs["Signature Field Name"] == SEAL_FIELD
    assert theirs["Signer Certificate Common Name"] == "Demo operator (sandbox)"
    assert theirs["Signature Type"] == "ETSI.CAdES.detached"
    assert theirs["Signing Hash Algorithm"] == "SHA-256"
    assert "Total document signed" in theirs["output"]
    # An incremental update: the certificate's own bytes come first, unchanged.
    assert sealed.startswith(certificate_pdf)


@pytest.mark.parametrize("where", ["file header comment", "trailer comment"])
def test_one_changed_byte_in_signed_range_is_invalid_for_pyhanko_and_pdfsig(
    certificate_pdf: bytes,
    identity: SealIdentity,
    operator: Issued,
    local_tsa: LocalTsa,
    tmp_path: Path,
    where: str,
) -> None:
    sealed = seal_pdf(certificate_pdf, identity, tsa_url=local_tsa.url)
    # Comments: the PDF still parses, only the signed bytes differ.
    marker = {
        "file header comment": b"ReportLab Generated PDF",
        "trailer comment": b"ReportLab generated PDF document -- digest",
    }[where]
    position = sealed.index(marker) + 3
    tampered = bytearray(sealed)
    tampered[position] ^= 0x20

    report = _validate(bytes(tampered), operator, local_tsa)
    theirs = _pdfsig(bytes(tampered), tmp_path)

    assert not report.ok
    assert not report.intact
    assert theirs["Signature Validation"] == "Digest Mismatch.", theirs["output"]


def test_byte_changed_inside_a_stream_is_refused_by_pyhanko_and_pdfsig(
    certificate_pdf: bytes,
    identity: SealIdentity,
    operator: Issued,
    local_tsa: LocalTsa,
    tmp_path: Path,
) -> None:
    """A change that also breaks the PDF's syntax: pyhanko refuses the file, pdfsig still
    hashes the signed ranges and finds the digest wrong."""
    sealed = seal_pdf(certificate_pdf, identity, tsa_url=local_tsa.url)
    stream = sealed.index(b"stream\n", sealed.index(b"/FlateDecode")) + 40
    tampered = bytearray(sealed)
    tampered[stream] ^= 0x55

    theirs = _pdfsig(bytes(tampered), tmp_path)
    try:
        report = _validate(bytes(tampered), operator, local_tsa)
    except SealError:
        pass
    else:
        assert not report.ok

    assert theirs["Signature Validation"] == "Digest Mismatch.", theirs["output"]


def test_seal_by_untrusted_operator_is_not_trusted(
    certificate_pdf: bytes, identity: SealIdentity, local_tsa: LocalTsa
) -> None:
    stranger = make_self_signed_seal("Someone else", "elsewhere")
    sealed = seal_pdf(certificate_pdf, identity, tsa_url=local_tsa.url)

    report = validate_seal(
        sealed,
        trust_roots=[stranger.certificate],
        tsa_roots=load_trust_anchors(local_tsa.root_path),
    )

    assert report.intact and report.valid
    assert not report.trusted
    assert not report.ok


def test_seal_timestamp_from_untrusted_tsa_is_not_trusted(
    certificate_pdf: bytes,
    identity: SealIdentity,
    operator: Issued,
    local_tsa: LocalTsa,
    tmp_path: Path,
) -> None:
    sealed = seal_pdf(certificate_pdf, identity, tsa_url=local_tsa.url)
    with LocalTsa(tmp_path / "other") as other:
        other_roots = load_trust_anchors(other.root_path)

    report = validate_seal(sealed, trust_roots=[operator.certificate], tsa_roots=other_roots)

    assert report.timestamped
    assert not report.timestamp_trusted
    assert not report.ok


def test_content_appended_after_the_seal_is_reported(
    certificate_pdf: bytes, identity: SealIdentity, operator: Issued, local_tsa: LocalTsa
) -> None:
    sealed = seal_pdf(certificate_pdf, identity, tsa_url=local_tsa.url)
    # A second, unsigned revision: same file plus an update the seal does not cover.
    appended = sealed + b"\n% appended after sealing\n"

    report = _validate(appended, operator, local_tsa)

    assert not report.covers_file
    assert not report.ok


def test_identity_from_pkcs12_seals_the_same(
    certificate_pdf: bytes, operator: Issued, local_tsa: LocalTsa, tmp_path: Path
) -> None:
    path = tmp_path / "seal.p12"
    write_private(path, pkcs12_bytes(operator, friendly_name="seal", password=b"s3cret"))
    identity = SealIdentity.from_pkcs12(path, b"s3cret")

    sealed = seal_pdf(certificate_pdf, identity, tsa_url=local_tsa.url)

    assert _validate(sealed, operator, local_tsa).ok


def test_pkcs12_with_wrong_password_is_refused(operator: Issued, tmp_path: Path) -> None:
    path = tmp_path / "seal.p12"
    write_private(path, pkcs12_bytes(operator, friendly_name="seal", password=b"right"))

    with pytest.raises(SealError, match="wrong password"):
        SealIdentity.from_pkcs12(path, b"wrong")


def test_missing_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SealError, match="cannot read the seal key"):
        SealIdentity.from_pem(tmp_path / "absent.key", tmp_path / "absent.pem")


def test_sealing_with_tsa_down_fails_and_issues_nothing(
    certificate_pdf: bytes, identity: SealIdentity, tmp_path: Path
) -> None:
    tsa = LocalTsa(tmp_path / "down").start()
    url = tsa.url
    tsa.stop()

    with pytest.raises(SealError, match="TSA"):
        seal_pdf(certificate_pdf, identity, tsa_url=url, tsa_timeout=2)


def test_pdf_without_seal_is_refused(certificate_pdf: bytes, operator: Issued) -> None:
    with pytest.raises(SealError, match="expected one seal"):
        validate_seal(certificate_pdf, trust_roots=[operator.certificate], tsa_roots=[])


def test_garbage_is_refused_as_unreadable(operator: Issued) -> None:
    with pytest.raises(SealError, match="cannot read the PDF"):
        validate_seal(b"%PDF-1.7\nnot really", trust_roots=[operator.certificate], tsa_roots=[])

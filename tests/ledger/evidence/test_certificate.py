"""The PDF certificate as a judge reads it: a first page in plain words in Dutch or English
(the title and description of the contribution's card, the project, organisations by name,
issue date in UTC, what it proves and does not, what to check), the technical detail in an
annex, the issue time in the PDF's metadata. Read back with pypdf and with poppler's pdftotext,
as a reader's tools would."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from api.i18n import certificate_text, translations
from ledger.domain.codec import to_hex
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import ProofBundle
from ledger.evidence.certificate import CertificateDetails, render_certificate
from tests.ledger.evidence.proof_scenario import Scenario, build_scenario

ISSUED = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
# Words an outsider does not know, kept to the annex.
JARGON = ("EIP-712", "Merkle", "Patricia", "chain id", "keten-id", "0x", "log index", "RLP")


@pytest.fixture
def scenario(memory_env: Any) -> Scenario:
    return build_scenario(memory_env)


def _bundle(env: Any, scenario: Scenario, name: str) -> ProofBundle:
    item = scenario[name]
    builder = ProofBuilder(env.chain.w3, env.ledger.address)
    return builder.build(
        item.contribution_id, content_hash=item.content_hash, salt=item.salt, card=item.card
    )


def _names(env: Any) -> dict[str, str]:
    return {env.alice.address: "Vlasverwerking Dewaele NV", env.bob.address: "UGent Lab Textiles"}


def _render(bundle: ProofBundle, language: str = "en", **details: Any) -> bytes:
    text = certificate_text("nl" if language == "nl" else "en")
    details.setdefault("issued_at", ISSUED)
    return render_certificate(bundle, text=text, details=CertificateDetails(**details))


def _pages(pdf: bytes) -> list[str]:
    # Whitespace collapsed so that wrapped table cells and sentences still match.
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(done.stdout.split())


def test_first_page_in_english_is_plain_and_names_organisations(
    memory_env: Any, scenario: Scenario
) -> None:
    bundle = _bundle(memory_env, scenario, "a")
    pdf = _render(bundle, project_name="FlaxComp", names=_names(memory_env))
    first = _pages(pdf)[0]
    before_footnotes = first.split("Addresses on the ledger")[0]

    # The title, description, file and keywords are the card's, which the partner signed.
    assert first.startswith("Certificate of contribution Flax retting trial results")
    assert "Field trial of dew retting on 4 plots." in first
    assert "from the contribution card the partner signed" in first
    # Only the project name is the exporter's, and the page says so.
    assert "Project name as given at export" in first
    assert "FlaxComp (project " in first
    assert "Vlasverwerking Dewaele NV" in first
    assert "UGent Lab Textiles" in first  # an endorser, by name
    assert "Issued on 2026-03-14 at 09:26:53 UTC." in first
    assert "What this proves" in first and "What this does not prove" in first
    assert "What to check" in first
    assert "Replaced by a later version" in first  # the status in words
    for word in JARGON:
        assert word not in before_footnotes, word
    # The addresses are in the footnotes, numbered.
    assert memory_env.alice.address in first.split("Addresses on the ledger")[1]


def test_first_page_in_dutch_has_no_english_sentence(memory_env: Any, scenario: Scenario) -> None:
    bundle = _bundle(memory_env, scenario, "b")
    pdf = _render(bundle, "nl", names=_names(memory_env), project_name="FlaxComp")
    first = _pages(pdf)[0]
    english = set(translations()["en"].items())

    assert first.startswith("Certificaat van bijdrage")
    assert "Uitgereikt op 2026-03-14 om 09:26:53 UTC." in first
    assert "Wat dit bewijst" in first and "Wat dit niet bewijst" in first
    assert "Ongeldig verklaard na een betwisting" in first
    assert "gegrond, de bijdrage werd ongeldig verklaard" in first
    for key, sentence in english:
        if key.startswith("certificate.") and len(sentence) > 12 and "{" not in sentence:
            assert sentence not in first, key


def test_annex_holds_the_technical_detail(memory_env: Any, scenario: Scenario) -> None:
    bundle = _bundle(memory_env, scenario, "a")
    annex = " ".join(_pages(_render(bundle, names=_names(memory_env)))[1:])

    assert annex.startswith("Annex: technical details")
    assert bundle.contribution.contributor in annex
    assert to_hex(bundle.contribution.content_hash) in annex
    assert to_hex(bundle.contribution.contribution_id) in annex
    assert bundle.contribution.card_hash is not None
    assert to_hex(bundle.contribution.card_hash) in annex  # the card's fingerprint
    assert "retting-protocol.pdf (application/pdf, 52 113 bytes)" in annex
    assert "Keywords flax, retting" in annex
    assert to_hex(bundle.chain.tx_hash) in annex
    assert to_hex(bundle.chain.block_hash) in annex
    assert bundle.chain.contract in annex
    assert f"UGent Lab Textiles ({memory_env.bob.address})" in annex
    assert memory_env.carol.address in annex  # an endorser without a name: its address
    assert to_hex(scenario["a2"].contribution_id) in annex  # replaced by
    assert to_hex(scenario["b"].contribution_id) in annex  # used by
    assert "poc verify" in annex and "block explorer" in annex
    assert bundle.sha256 in annex
    assert "No timestamp yet." in annex and "Not anchored yet." in annex


def test_issue_time_is_the_pdf_creation_date_and_title_names_it(
    memory_env: Any, scenario: Scenario
) -> None:
    bundle = _bundle(memory_env, scenario, "d")
    reader = PdfReader(io.BytesIO(_render(bundle, "nl")))
    metadata = reader.metadata

    assert metadata is not None
    assert metadata.creation_date == ISSUED
    assert metadata.modification_date == ISSUED
    assert metadata.title == "Certificaat van bijdrage: Pilot run 0"
    assert metadata.subject == "Certificaat van bijdrage (Proof-of-Contribution)"


def test_untitled_contribution_is_named_by_its_id(memory_env: Any, scenario: Scenario) -> None:
    bundle = _bundle(memory_env, scenario, "c")
    first = _pages(_render(bundle))[0]
    cid = to_hex(bundle.contribution.contribution_id)

    assert f"Contribution {cid[:10]}…{cid[-4:]}" in first
    assert "not part of the record on the ledger" not in first  # nothing given, no note
    assert "contribution card" not in first  # registered without one
    assert "an organisation without a declared name" in first  # carol declared none


def test_card_left_out_of_the_bundle_is_said_and_not_replaced(
    memory_env: Any, scenario: Scenario
) -> None:
    item = scenario["a"]
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    bundle = builder.build(item.contribution_id, content_hash=item.content_hash, salt=item.salt)
    first = _pages(_render(bundle))[0]
    cid = to_hex(bundle.contribution.contribution_id)

    assert bundle.card is None
    assert f"Contribution {cid[:10]}…{cid[-4:]}" in first
    assert "registered with a card (title and description) that is not in this" in first


def test_batched_contribution_names_the_batch_in_the_annex(
    memory_env: Any, scenario: Scenario
) -> None:
    bundle = _bundle(memory_env, scenario, "c")
    assert bundle.batch is not None
    annex = " ".join(_pages(_render(bundle))[1:])

    assert to_hex(bundle.batch.root) in annex, annex[annex.find("Batch") :][:400]
    assert f"one of {bundle.batch.count} records anchored together" in annex


def test_pdftotext_reads_the_same_facts(
    memory_env: Any, scenario: Scenario, tmp_path: Path
) -> None:
    bundle = _bundle(memory_env, scenario, "b")
    text = _pdftotext(_render(bundle, names=_names(memory_env)), tmp_path)

    assert "Certificate of contribution" in text
    assert "UGent Lab Textiles" in text
    assert "Issued on 2026-03-14 at 09:26:53 UTC." in text
    assert re.search(r"upheld, the contribution\s+was invalidated", text)
    assert bundle.sha256 in text.replace(" ", "")


def test_card_text_is_escaped_and_bounded(memory_env: Any, scenario: Scenario) -> None:
    # A card's words are the partner's own: markup in them is shown, never obeyed, and a long
    # description is cut on the page (the whole card is in the bundle). The certificate is
    # drawn from the bundle as given; the verifier checks the card against its signed hash.
    bundle = _bundle(memory_env, scenario, "d")
    assert bundle.card is not None
    hostile = "<b>bold</b> & <font size='80'>"
    card = {**bundle.card, "title": hostile, "description": hostile + "x" * 5_000}
    project = hostile + "y" * 5_000

    first = _pages(_render(dataclasses.replace(bundle, card=card), project_name=project))[0]

    assert first.count("<b>bold</b> & <font size='80'>") >= 3  # title, description, project
    assert "x" * 5_000 not in first and "y" * 5_000 not in first


def test_same_bundle_and_issue_time_give_the_same_bytes(
    memory_env: Any, scenario: Scenario
) -> None:
    bundle = _bundle(memory_env, scenario, "d")
    assert _render(bundle) == _render(bundle)

"""The PDF certificate states the facts of its bundle in words a non-technical reader follows;
the tests read them back with pypdf."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from ledger.domain.codec import to_hex
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import ProofBundle
from ledger.evidence.certificate import render_certificate
from tests.ledger.evidence.proof_scenario import Scenario, build_scenario


@pytest.fixture
def scenario(memory_env: Any) -> Scenario:
    return build_scenario(memory_env)


def _bundle(env: Any, scenario: Scenario, name: str) -> ProofBundle:
    item = scenario[name]
    builder = ProofBuilder(env.chain.w3, env.ledger.address)
    return builder.build(item.contribution_id, content_hash=item.content_hash, salt=item.salt)


def _text(pdf: bytes) -> str:
    # Whitespace collapsed so that wrapped table cells and sentences still match.
    raw = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(raw.split())


def test_certificate_states_who_what_when_where(memory_env: Any, scenario: Scenario) -> None:
    bundle = _bundle(memory_env, scenario, "a")
    text = _text(render_certificate(bundle))
    assert "Vlasverwerking Dewaele NV" in text
    assert "BE0412.345.678" in text
    assert bundle.contribution.contributor in text
    assert "person-hours" in text
    assert "40 hour" in text
    assert "Background" in text
    assert to_hex(bundle.contribution.content_hash) in text
    assert to_hex(bundle.contribution.contribution_id) in text
    assert bundle.chain.block_timestamp and "UTC" in text
    assert str(bundle.chain.block_number) in text
    assert "chain id 131277322940537" in text
    assert bundle.chain.contract in text
    assert to_hex(bundle.chain.tx_hash) in text
    assert to_hex(bundle.chain.block_hash) in text


def test_certificate_states_endorsements_links_and_how_to_verify(
    memory_env: Any, scenario: Scenario
) -> None:
    bundle = _bundle(memory_env, scenario, "a")
    bob = memory_env.bob.address
    text = _text(render_certificate(bundle, names={bob: "UGent Lab Textiles"}))
    assert f"UGent Lab Textiles ({bob})" in text  # endorser named
    assert memory_env.carol.address in text  # endorser without a name: address alone
    assert "Rating" in text
    assert to_hex(scenario["a2"].contribution_id) in text  # replaced by
    assert to_hex(scenario["b"].contribution_id) in text  # used by
    assert "poc verify" in text
    assert "block explorer" in text
    assert bundle.sha256 in text
    assert "Superseded" in text


def test_certificate_states_disputes_and_outcome(memory_env: Any, scenario: Scenario) -> None:
    bundle = _bundle(memory_env, scenario, "b")
    text = _text(render_certificate(bundle))
    assert "EIP-712" in text
    assert "upheld" in text
    assert "Invalidated" in text
    assert "funding" in text and "EUR-cent" in text
    assert "ipfs://bafy-demo" in text


def test_certificate_of_batched_contribution_names_the_batch(
    memory_env: Any, scenario: Scenario
) -> None:
    bundle = _bundle(memory_env, scenario, "c")
    assert bundle.batch is not None
    text = _text(render_certificate(bundle))
    assert "not declared on the ledger" in text  # carol has no identity
    assert to_hex(bundle.batch.root) in text


def test_certificate_is_reproducible(memory_env: Any, scenario: Scenario) -> None:
    bundle = _bundle(memory_env, scenario, "d")
    assert render_certificate(bundle) == render_certificate(bundle)

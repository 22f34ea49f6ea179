"""Exports: per contribution, per partner, and the project evidence pack (manifest integrity,
bundles that verify, split history with input-set hashes, Results Ownership List)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest

from api.i18n import certificate_text
from ledger.domain import hashing
from ledger.domain.codec import to_hex
from ledger.domain.values import SplitInput
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.packs import (
    Opening,
    check_manifest,
    export_contribution,
    export_partner,
    export_project,
    verifier_page,
)
from ledger.evidence.verifier import verify_document
from tests.ledger.evidence.proof_scenario import Scenario, build_scenario

TEXT = certificate_text("en")


@pytest.fixture
def scenario(memory_env: Any) -> Scenario:
    return build_scenario(memory_env)


def _openings(scenario: Scenario, *skip: str) -> dict[bytes, Opening]:
    return {
        item.contribution_id: Opening(item.content_hash, item.salt)
        for name, item in scenario.items.items()
        if name not in skip
    }


def _split(env: Any, project: int) -> bytes:
    shares = {env.alice.address: 5_000, env.bob.address: 3_000, env.carol.address: 2_000}
    input_set = hashing.sha256_bytes(b"scoring input set")
    split = SplitInput.sorted_from(
        shares,
        policy_version=1,
        computed_at_block=env.chain.block_number(),
        input_set_hash=input_set,
    )
    proposal = env.vault.propose_split(env.alice, project, split).value
    env.vault.approve_split(env.bob, project, proposal)  # 2 of 3: the policy's two thirds
    return input_set


def test_export_contribution_gives_bundle_and_certificate(
    memory_env: Any, scenario: Scenario
) -> None:
    item = scenario["b"]
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    bundle, json_file, pdf = export_contribution(
        builder, item.contribution_id, Opening(item.content_hash, item.salt), text=TEXT
    )
    assert json_file.name == f"bundles/{to_hex(item.contribution_id)}.json"
    assert verify_document(json.loads(json_file.data), file=item.content).ok
    assert pdf.data.startswith(b"%PDF")
    assert pdf.name == f"certificates/certificate-{to_hex(item.contribution_id)[2:14]}-en.pdf"
    assert json_file.sha256 == bundle.sha256


def test_evidence_pack_manifest_covers_every_file(memory_env: Any, scenario: Scenario) -> None:
    input_set = _split(memory_env, scenario.project_id)
    archive = export_project(
        memory_env.chain.w3,
        memory_env.ledger.address,
        scenario.project_id,
        _openings(scenario, "d"),
        vault=memory_env.vault.address,
        text=TEXT,
    )
    assert check_manifest(archive.data) == []
    z = zipfile.ZipFile(io.BytesIO(archive.data))
    manifest = json.loads(z.read("manifest.json"))
    assert {f["path"] for f in manifest["files"]} == set(z.namelist()) - {"manifest.json"}
    assert manifest["unopened"] == [to_hex(scenario["d"].contribution_id)]
    assert manifest["bundled"] == 5
    for name in ("a", "b", "c", "a2", "e"):
        cid = to_hex(scenario[name].contribution_id)
        assert f"certificates/{cid}.pdf" in z.namelist()
        document = json.loads(z.read(f"bundles/{cid}.json"))
        assert verify_document(document, w3=memory_env.chain.w3).ok
    splits = json.loads(z.read("split-history.json"))["splits"]
    assert splits[0]["inputSetHash"] == to_hex(input_set)
    assert splits[0]["finalized"]["splitVersion"] == 1
    assert "README.md" in z.namelist()
    assert b"poc verify" in z.read("README.md")
    assert z.read("verifier.html") == verifier_page()


def test_tampered_pack_fails_its_manifest(memory_env: Any, scenario: Scenario) -> None:
    archive = export_project(
        memory_env.chain.w3,
        memory_env.ledger.address,
        scenario.project_id,
        _openings(scenario),
        text=TEXT,
    )
    source = zipfile.ZipFile(io.BytesIO(archive.data))
    out = io.BytesIO()
    victim = f"bundles/{to_hex(scenario['a'].contribution_id)}.json"
    with zipfile.ZipFile(out, "w") as tampered:
        for name in source.namelist():
            data = source.read(name)
            tampered.writestr(
                name, data.replace(b'"value": "40"', b'"value": "41"') if name == victim else data
            )
    problems = check_manifest(out.getvalue())
    assert len(problems) == 1 and problems[0].startswith(victim)


def test_results_ownership_list_follows_parent_links(memory_env: Any, scenario: Scenario) -> None:
    archive = export_project(
        memory_env.chain.w3, memory_env.ledger.address, scenario.project_id, {}, text=TEXT
    )
    z = zipfile.ZipFile(io.BytesIO(archive.data))
    rows = list(csv.DictReader(io.StringIO(z.read("results-ownership-list.csv").decode())))
    by_id = {row["result"]: row for row in rows}
    # Only Results are listed; the Background `a` appears as what they build on.
    assert to_hex(scenario["a"].contribution_id) not in by_id
    b = by_id[to_hex(scenario["b"].contribution_id)]
    assert b["owner"] == "UGent Lab Textiles"
    assert b["status"] == "Invalidated"
    assert to_hex(scenario["a"].contribution_id) in b["background_it_builds_on"]
    assert b["date_utc"].endswith("Z")
    d = by_id[to_hex(scenario["d"].contribution_id)]
    assert "Dewaele Flax Group NV" in d["background_it_builds_on"]
    assert archive.unopened  # nothing was opened: no bundles, the list still complete
    assert b"Results Ownership List" in z.read("results-ownership-list.md")


def test_partner_export_holds_only_that_partner(memory_env: Any, scenario: Scenario) -> None:
    archive = export_partner(
        memory_env.chain.w3,
        memory_env.ledger.address,
        scenario.project_id,
        memory_env.alice.address,
        _openings(scenario),
        text=TEXT,
    )
    assert check_manifest(archive.data) == []
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    bundles = sorted(n for n in names if n.startswith("bundles/"))
    expected = sorted(
        f"bundles/{to_hex(scenario[n].contribution_id)}.json" for n in ("a", "d", "a2")
    )
    assert bundles == expected


def test_export_pack_is_reproducible_for_one_issue_time(
    memory_env: Any, scenario: Scenario
) -> None:
    args = (
        memory_env.chain.w3,
        memory_env.ledger.address,
        scenario.project_id,
        _openings(scenario),
    )
    issued = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = export_project(*args, text=TEXT, issued_at=issued)
    assert first.data == export_project(*args, text=TEXT, issued_at=issued).data

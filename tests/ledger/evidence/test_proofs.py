"""Proof bundles built from eth-tester and from anvil verify offline and online; the receipt
proof is checked against the node's own header; wrong inputs are refused by name."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hexbytes import HexBytes

from ledger.chain.artifacts import load_artifact, load_release_artifact
from ledger.chain.transactions import TxRequest
from ledger.errors import ProofError
from ledger.evidence.block_evidence import BlockHeader, encode_header, fetch_block_evidence
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import BUNDLE_VERSION, ProofBundle, bundle_bytes
from ledger.evidence.online import code_matches
from ledger.evidence.schema import BUNDLE_SCHEMA, BUNDLE_SCHEMAS, schema_text
from ledger.evidence.verifier import verify_document
from tests.ledger.evidence.proof_scenario import Scenario, build_scenario

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def scenario(env: Any) -> Scenario:
    return build_scenario(env)


def _bundle(env: Any, scenario: Scenario, name: str) -> ProofBundle:
    item = scenario[name]
    builder = ProofBuilder(env.chain.w3, env.ledger.address)
    return builder.build(item.contribution_id, content_hash=item.content_hash, salt=item.salt)


@pytest.mark.parametrize("name", ["a", "b", "c", "d", "a2"])
def test_verify_bundle_passes_offline_and_online(env: Any, scenario: Scenario, name: str) -> None:
    bundle = _bundle(env, scenario, name)
    document = json.loads(bundle.to_bytes())
    offline = verify_document(document, file=scenario[name].content)
    online = verify_document(document, file=scenario[name].content, w3=env.chain.w3)
    assert offline.ok, offline.lines()
    assert online.ok, online.lines()
    names = [check.name for check in online.checks]
    assert {
        "file",
        "commitment",
        "registration",
        "authorisation",
        "online: contract code",
        "online: blocks and receipts",
        "online: status",
    } <= set(names)


def test_bundle_states_the_facts_of_each_kind_of_registration(env: Any, scenario: Scenario) -> None:
    a = _bundle(env, scenario, "a")
    assert a.authorisation.method == "transaction"
    assert a.identity is not None and a.identity.name == "Vlasverwerking Dewaele NV"
    assert a.identity.company_number == "BE0412.345.678"  # the later rename is not used
    assert a.contribution.status.name == "SUPERSEDED"
    assert a.superseded_by() == scenario["a2"].contribution_id
    assert sorted(e.args["rating"] for e in a.endorsements()) == [4, 5]
    assert [unhex_list(c.args["parents"]) for c in a.children()] == [
        [scenario["a"].contribution_id]
    ] * 2
    b = _bundle(env, scenario, "b")
    assert b.authorisation.method == "eip712"
    assert b.authorisation.primary_type == "Register"
    assert b.contribution.category.name == "funding"
    assert b.contribution.category.unit == "EUR-cent"
    assert b.contribution.status.name == "INVALIDATED"
    assert [e.event for e in b.disputes()] == ["DisputeOpened", "DisputeVoted", "DisputeResolved"]
    c = _bundle(env, scenario, "c")
    assert c.batch is not None and c.batch.count == 3
    assert c.authorisation.primary_type == "AnchorBatch"
    assert c.identity is None
    assert c.contribution.registered_at == c.batch.anchor.block_timestamp
    d = _bundle(env, scenario, "d")
    assert d.batch is not None and d.authorisation.method == "transaction"


def unhex_list(values: list[str]) -> list[bytes]:
    return [bytes(HexBytes(v)) for v in values]


def test_bundle_round_trips_through_json(env: Any, scenario: Scenario) -> None:
    bundle = _bundle(env, scenario, "c")
    again = ProofBundle.from_json(json.loads(bundle.to_bytes()))
    assert again.to_bytes() == bundle.to_bytes()
    assert again.sha256 == bundle.sha256
    jsonschema.validate(json.loads(bundle.to_bytes()), BUNDLE_SCHEMA)


def test_build_refuses_a_wrong_salt(env: Any, scenario: Scenario) -> None:
    item = scenario["a"]
    builder = ProofBuilder(env.chain.w3, env.ledger.address)
    with pytest.raises(ProofError, match="do not open the commitment"):
        builder.build(item.contribution_id, content_hash=item.content_hash, salt=bytes(32))


def test_build_refuses_an_unknown_contribution(env: Any, scenario: Scenario) -> None:
    builder = ProofBuilder(env.chain.w3, env.ledger.address)
    with pytest.raises(ProofError, match="no contribution"):
        builder.build(b"\x01" * 32, content_hash=bytes(32), salt=bytes(32))


def test_verify_fails_when_the_file_differs(env: Any, scenario: Scenario) -> None:
    document = _bundle(env, scenario, "a").to_json()
    report = verify_document(document, file=b"another file")
    assert not report.ok
    assert "contribution.contentHash" in report.failed_fields()


def test_header_rebuilt_from_node_fields_hashes_to_block_hash(env: Any, scenario: Scenario) -> None:
    w3 = env.chain.w3
    for number in range(0, w3.eth.block_number + 1):
        block = w3.eth.get_block(number)
        assert BlockHeader.decode(encode_header(block)).hash == bytes(block["hash"]), number


def test_receipt_proof_checked_against_node_header_not_bundle(env: Any, scenario: Scenario) -> None:
    """A bundle whose header, hash and proofs are self-consistent but describe a block the node
    does not have passes offline and fails online, at the node's header."""
    bundle = _bundle(env, scenario, "a")
    document = bundle.to_json()
    # Swap in another block's header and the matching numbers: consistent with themselves.
    other = fetch_block_evidence(env.chain.w3, bundle.policy.evidence.block_hash)
    forged = copy.deepcopy(document)
    forged["inclusion"]["header"] = "0x" + other.header.hex()
    forged["chain"]["blockHash"] = "0x" + other.block_hash.hex()
    report = verify_document(forged, w3=env.chain.w3)
    assert not report.ok
    online = next(c for c in report.checks if c.name == "online: blocks and receipts")
    assert not online.passed
    assert "chain.blockHash" in online.fields


def test_receipt_proof_fails_against_node_root_when_proof_is_foreign(
    env: Any, scenario: Scenario
) -> None:
    # A receipt proof from another block fails against the node's receiptsRoot too.
    a = _bundle(env, scenario, "a")
    b = _bundle(env, scenario, "b")
    document = a.to_json()
    document["inclusion"]["receiptProof"] = b.to_json()["inclusion"]["receiptProof"]
    report = verify_document(document, w3=env.chain.w3)
    failed = {c.name for c in report.checks if not c.passed}
    assert {"registration", "online: blocks and receipts"} <= failed


def test_online_verify_fails_on_another_chain(env: Any, scenario: Scenario) -> None:
    document = _bundle(env, scenario, "a").to_json()
    document["chain"]["chainId"] = str(int(document["chain"]["chainId"]) + 1)
    report = verify_document(document, w3=env.chain.w3)
    chain_check = next(c for c in report.checks if c.name == "online: chain id")
    assert not chain_check.passed


def test_online_status_fails_when_the_contribution_changed_since_export(
    env: Any, scenario: Scenario
) -> None:
    document = _bundle(env, scenario, "c").to_json()
    env.ledger.withdraw_contribution(env.carol, scenario.project_id, scenario["c"].contribution_id)
    report = verify_document(document, w3=env.chain.w3)
    failed = {c.name: c for c in report.checks if not c.passed}
    assert set(failed) == {"online: status", "online: history complete"}
    assert "Withdrawn" in failed["online: status"].detail


def _deploy_runtime(env: Any, runtime: bytes) -> str:
    """A contract whose runtime code is `runtime`, as anyone could deploy one: creation code
    that copies what follows it into memory and returns it."""
    creation = (
        bytes.fromhex("61") + len(runtime).to_bytes(2, "big") + bytes.fromhex("80600c6000396000f3")
    )
    receipt = env.deployer.transact(TxRequest(to=None, data=creation + runtime, gas=6_000_000))
    assert receipt.contract_address is not None
    return str(receipt.contract_address)


def _code_check(report: Any) -> Any:
    (check,) = (c for c in report.checks if c.name == "online: contract code")
    return check


def test_online_code_check_covers_the_governance_module(env: Any, scenario: Scenario) -> None:
    document = _bundle(env, scenario, "a").to_json()
    check = _code_check(verify_document(document, w3=env.chain.w3))
    module = (
        env.chain.w3.eth.contract(address=env.ledger.address, abi=load_artifact("PocLedger").abi)
        .functions.governance()
        .call()
    )
    assert check.passed, check.detail
    assert "PocLedger 2.0.0" in check.detail and f"module {module} is PocGovernance" in check.detail


def test_online_code_check_refuses_a_ledger_that_delegates_to_other_code(
    env: Any, scenario: Scenario
) -> None:
    # The ledger's own code with another module address in its immutable: byte for byte the
    # ledger's code up to immutables, but its governance would run whatever that address holds.
    w3 = env.chain.w3
    genuine = bytes(w3.eth.get_code(env.ledger.address))
    ledger = w3.eth.contract(address=env.ledger.address, abi=load_artifact("PocLedger").abi)
    module = bytes(HexBytes(ledger.functions.governance().call()))
    other = bytes(HexBytes(env.vault.address))
    assert genuine.count(module) >= 1  # once per place the code reads the immutable
    forged = _deploy_runtime(env, genuine.replace(module, other))
    artifact = bytes(HexBytes(load_artifact("PocLedger").deployed_bytecode))
    assert code_matches(bytes(w3.eth.get_code(forged)), artifact)[0]
    document = _bundle(env, scenario, "a").to_json()
    document["chain"]["contract"] = forged
    check = _code_check(verify_document(document, w3=w3))
    assert not check.passed
    assert "governance module" in check.detail and "not PocGovernance's" in check.detail


def test_online_code_check_recognises_a_deployment_of_release_1_0_0(
    env: Any, scenario: Scenario
) -> None:
    # Contracts deployed from release 1.0.0 (one contract, no module, no version()) stay in use:
    # the verifier knows their code from the artifact kept for that release.
    old = load_release_artifact("1.0.0", "PocLedger")
    address = (
        env.chain.sender(0)
        .transact(TxRequest(to=None, data=bytes(HexBytes(old.bytecode)), gas=8_000_000))
        .contract_address
    )
    document = _bundle(env, scenario, "a").to_json()
    document["chain"]["contract"] = address
    check = _code_check(verify_document(document, w3=env.chain.w3))
    assert check.passed, check.detail
    assert "PocLedger 1.0.0" in check.detail and "module" not in check.detail


def test_code_matches_masks_only_zero_push32_immutables() -> None:
    expected = bytes([0x60, 0x01, 0x7F]) + bytes(32) + bytes([0x00])
    filled = bytes([0x60, 0x01, 0x7F]) + b"\x11" * 32 + bytes([0x00])
    assert code_matches(filled, expected) == (True, 1)
    assert code_matches(bytes([0x60, 0x02]) + filled[2:], expected)[0] is False
    assert code_matches(filled[:-1], expected)[0] is False


def test_published_schema_equals_the_module_schema() -> None:
    published = ROOT / "docs" / "proof-bundle.schema.json"
    assert published.read_text() == schema_text()
    assert BUNDLE_SCHEMA["properties"]["version"] == {"const": BUNDLE_VERSION}
    # The formats still read have their published schemas too, equal to those the verifier uses.
    for version in (1, 2):
        earlier = ROOT / "docs" / f"proof-bundle-v{version}.schema.json"
        assert json.loads(earlier.read_text()) == BUNDLE_SCHEMAS[version]


def test_bundle_bytes_are_stable() -> None:
    assert bundle_bytes({"b": 1, "a": "é"}) == '{\n  "b": 1,\n  "a": "é"\n}\n'.encode()


def test_poc_verify_command_against_anvil(
    env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from poc.cli.main import main

    if env.chain.node is None:
        pytest.skip("needs a node reachable by URL")
    anvil_env = env
    scenario = build_scenario(anvil_env)
    bundle = _bundle(anvil_env, scenario, "b")
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle.to_bytes())
    original = tmp_path / "original.bin"
    original.write_bytes(scenario["b"].content)
    url = anvil_env.chain.node.url
    assert main(["verify", str(path), "--file", str(original), "--rpc-url", url]) == 0
    out = capsys.readouterr().out
    assert "PASS  online: contract code" in out
    assert "FAIL" not in out
    document = json.loads(path.read_bytes())
    document["contribution"]["value"] = str(int(document["contribution"]["value"]) + 1)
    path.write_text(json.dumps(document))
    assert main(["verify", str(path), "--rpc-url", url]) == 1
    assert "contribution.value" in capsys.readouterr().out

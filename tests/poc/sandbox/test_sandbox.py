"""The sandbox's chain half, in process: data directory, deploy-once, the demo seed, restarts.

The whole `poc sandbox` process (uvicorn, signals, the printed keys) is tested in
tests/e2e/test_sandbox_process.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from api.settings import ApiSettings
from ledger.agreement.answers import SECONDS_PER_DAY, Language
from ledger.agreement.document import AgreementDocument, verify_agreement_hash
from ledger.agreement.render import markdown_to_text
from ledger.chain.clients import LEDGER_CONTRACT as LEDGER
from ledger.chain.clients import PocLedgerClient
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_external, connect_memory
from ledger.chain.deploy import deploy_ledger, exchange_client_for
from ledger.chain.deployment_record import DeploymentRecord
from ledger.domain.codec import to_hex
from ledger.domain.events import ContributionRegistered, Endorsed, IdentitySet
from ledger.domain.exchange import ExchangeSettings
from ledger.domain.hashing import agreement_hash, commitment, sha256_bytes, sha256_file
from ledger.domain.values import Origin
from ledger.errors import AnvilError, ConfigurationError
from ledger.openings.files import derived_opening
from poc.sandbox import demo
from poc.sandbox.anvil import AnvilProcess, find_anvil
from poc.sandbox.data_dir import SandboxPaths, claim_data_dir, prepare_data_dir
from poc.sandbox.run import (
    ChainKind,
    DeployOutcome,
    ResetSwitch,
    SandboxOptions,
    deployment_problem,
    ensure_deployed,
    run_sandbox,
    start_chain,
)
from poc.sandbox.seed import (
    SANDBOX_KEYSTORE_PASSWORD,
    SeedRecord,
    issue_sandbox_keys,
    register_demo_agreement,
    sandbox_keystore,
    sandbox_secret_custody,
    seed_demo,
)
from poc.wiring import proof_secret_custody
from tests.ledger.agreement.readback import read_terms

ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def _quiet(_: str) -> None:
    pass


def _needs_anvil() -> None:
    try:
        find_anvil()
    except AnvilError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


@pytest.fixture
def paths(tmp_path: Path) -> SandboxPaths:
    return prepare_data_dir(tmp_path / "data")


# -- the data directory ----------------------------------------------------------------------


def test_prepare_data_dir_marks_new_directory(tmp_path: Path) -> None:
    paths = prepare_data_dir(tmp_path / "fresh")
    assert paths.marker.is_file()
    assert paths.root == (tmp_path / "fresh").resolve()


def test_prepare_data_dir_refuses_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("not the sandbox's")
    for reset in (False, True):
        with pytest.raises(ConfigurationError, match="not made by the sandbox"):
            prepare_data_dir(tmp_path, reset=reset)
    assert (tmp_path / "precious.txt").read_text() == "not the sandbox's"


def test_prepare_data_dir_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigurationError, match="not a directory"):
        prepare_data_dir(tmp_path / "file")


def test_prepare_data_dir_reset_wipes_sandbox_directory(paths: SandboxPaths) -> None:
    (paths.root / "deployment.json").write_text("{}")
    (paths.root / "chain").mkdir()
    again = prepare_data_dir(paths.root, reset=True)
    assert sorted(p.name for p in again.root.iterdir()) == [".poc-sandbox"]


def test_claim_data_dir_refuses_a_second_sandbox(tmp_path: Path) -> None:
    with claim_data_dir(tmp_path / "data") as paths:
        assert paths.lock.read_text().strip() == str(os.getpid())
        with (
            pytest.raises(ConfigurationError, match=f"another sandbox \\(pid {os.getpid()}\\)"),
            claim_data_dir(tmp_path / "data", reset=True),
        ):
            pass
        assert paths.marker.exists()
    # Released with its holder.
    with claim_data_dir(tmp_path / "data", reset=True) as again:
        assert sorted(p.name for p in again.root.iterdir()) == [".poc-sandbox", ".poc-sandbox.lock"]


def test_claim_data_dir_refuses_foreign_directory_without_writing(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("mine")
    with (
        pytest.raises(ConfigurationError, match="not made by the sandbox"),
        claim_data_dir(tmp_path),
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]


def test_sandbox_options_rpc_url_means_external() -> None:
    options = SandboxOptions(rpc_url="http://127.0.0.1:8545")
    assert options.chain is ChainKind.EXTERNAL
    with pytest.raises(ConfigurationError, match="--rpc-url"):
        SandboxOptions(chain=ChainKind.EXTERNAL)
    with pytest.raises(ConfigurationError, match="--port"):
        SandboxOptions(port=70_000)


def test_start_chain_external_without_key_fails_clearly(
    paths: SandboxPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("POC_PRIVATE_KEY", "POC_KEYSTORE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="needs a funded key"):
        start_chain(ChainKind.EXTERNAL, paths, "http://127.0.0.1:9")


# -- deploy once -----------------------------------------------------------------------------


def test_ensure_deployed_deploys_then_reuses(memory_chain: Chain, paths: SandboxPaths) -> None:
    record, outcome = ensure_deployed(memory_chain, paths, log=_quiet)
    assert outcome is DeployOutcome.DEPLOYED
    assert DeploymentRecord.read(paths.deployment) == record
    again, outcome = ensure_deployed(memory_chain, paths, log=_quiet)
    assert outcome is DeployOutcome.REUSED
    assert again == record


def test_ensure_deployed_deploys_the_exchange_bound_to_the_ledger(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    exchange = exchange_client_for(memory_chain, record)
    assert exchange.ledger() == record.address("PocLedger")
    assert exchange.version() == "1.0.0"


def test_ensure_deployed_adds_the_exchange_to_an_older_sandbox(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    # A sandbox whose record was written before PocExchange existed keeps its ledger and gains
    # the exchange beside it.
    older = deploy_ledger(memory_chain, 0, path=paths.deployment)
    messages: list[str] = []
    record, outcome = ensure_deployed(memory_chain, paths, log=messages.append)
    assert outcome is DeployOutcome.REUSED
    assert record.address("PocLedger") == older.address("PocLedger")
    assert "PocExchange" in record.addresses
    assert DeploymentRecord.read(paths.deployment) == record
    assert any("PocExchange deployed" in m for m in messages)
    assert ensure_deployed(memory_chain, paths, log=_quiet) == (record, DeployOutcome.REUSED)


def test_ensure_deployed_redeploys_when_chain_state_lost(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    ensure_deployed(memory_chain, paths, log=_quiet)
    paths.seed.write_text("{}")
    paths.index_db.write_text("stale index")
    messages: list[str] = []
    # A new in-memory chain stands for a sandbox chain whose state file was lost.
    with connect_memory() as other:
        record, outcome = ensure_deployed(other, paths, log=messages.append)
        assert outcome is DeployOutcome.REDEPLOYED
        assert deployment_problem(other, record) is None
    assert "chain state was lost" in messages[0]
    assert not paths.seed.exists()
    assert not paths.index_db.exists()
    moved = sorted(p.name for p in paths.root.iterdir() if ".lost-" in p.name)
    assert [name.split(".lost-")[0] for name in moved] == ["deployment", "index", "sandbox"]


def test_deployment_problem_names_missing_code(memory_chain: Chain, paths: SandboxPaths) -> None:
    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    snapshot = memory_chain.snapshot()
    fake = DeploymentRecord.from_json_dict(
        {
            **record.to_json_dict(),
            "contracts": {
                LEDGER: {
                    "address": "0x" + "12" * 20,
                    "txHash": "0x" + "00" * 32,
                    "blockNumber": 1,
                }
            },
        }
    )
    assert deployment_problem(memory_chain, fake) == f"no code at {LEDGER} {fake.address(LEDGER)}"
    memory_chain.revert(snapshot)


@pytest.mark.anvil
def test_ensure_deployed_refuses_other_network_on_external_node(
    anvil_node: AnvilProcess, paths: SandboxPaths, memory_chain: Chain
) -> None:
    ensure_deployed(memory_chain, paths, log=_quiet)
    config = ChainConfig(backend=Backend.EXTERNAL, rpc_url=anvil_node.url, private_key=ANVIL_KEY_0)
    with (
        connect_external(config) as external,
        pytest.raises(ConfigurationError, match="Use another --data-dir"),
    ):
        ensure_deployed(external, paths, log=_quiet)
    assert paths.deployment.exists()


# -- the demo seed, on eth-tester and on anvil -----------------------------------------------


def test_seed_demo_creates_the_consortium(chain: Chain, paths: SandboxPaths) -> None:
    record, _ = ensure_deployed(chain, paths, log=_quiet)
    seed = seed_demo(chain, record, paths, log=_quiet)
    client = PocLedgerClient(chain.w3, record.address(LEDGER), chain_id=chain.chain_id)

    project = client.project(seed.project_id)
    addresses = {p.label: p.address for p in seed.partners}
    assert project.coordinator == addresses[demo.COORDINATOR]
    assert project.in_force
    assert project.partner_count == project.accepted_count == len(demo.PARTNERS)
    assert project.category_count == len(demo.CATEGORIES)
    agreement_text = (paths.root / seed.agreement_document).read_bytes()
    salt = bytes.fromhex(seed.agreement_salt[2:])
    assert project.agreement_hash == agreement_hash(sha256_bytes(agreement_text), salt)
    # The demo agreement is builder-made: the project's policy is the one its terms give.
    document = verify_agreement_hash(agreement_text, salt, project.agreement_hash)
    assert project.policy_hash == document.policy_hash
    assert {p.address for p in document.answers.partners} == set(addresses.values())
    # ... and PocExchange's settings are the numbers its access-rights terms state.
    assert_demo_settings_on_chain(chain, record, seed.project_id, document)

    events = client.get_events(record.deploy_block)
    identities = {
        e.account: (e.name, e.company_number) for e in events if isinstance(e, IdentitySet)
    }
    assert identities == {addresses[p.label]: (p.name, p.company_number) for p in demo.PARTNERS}
    # The contributions are registered through the API once it serves (seed_contributions):
    # here they are planned, their documents written and their ids known.
    assert not [e for e in events if isinstance(e, ContributionRegistered)]
    assert len(seed.contributions) == len(demo.CONTRIBUTIONS)
    by_key = {c.key: c for c in seed.contributions}
    for item in demo.CONTRIBUTIONS:
        seeded = by_key[item.key]
        content = sha256_file(paths.root / seeded.document)
        assert commitment(
            addresses[item.partner], seed.project_id, content, bytes.fromhex(seeded.salt[2:])
        ) == bytes.fromhex(seeded.commitment[2:])
        assert seeded.parents == tuple(by_key[p].contribution_id for p in item.parents)
    assert SeedRecord.read(paths.seed) == seed
    data = json.loads(paths.seed.read_text())
    assert data["projectTitle"] == demo.PROJECT_TITLE
    # Titles are on the cards, kept by the API: not in sandbox.json.
    assert all("title" not in c for c in data["contributions"])
    with pytest.raises(ConfigurationError, match="malformed"):
        SeedRecord.from_json_dict({**data, "partners": [{"label": "x"}]})
    assert {k.label for k in sandbox_keystore(paths).entries()} == {
        *addresses,
        "relayer",
    }
    # Partners act through the relayer: their keys sent nothing themselves.
    for address in addresses.values():
        assert chain.w3.eth.get_transaction_count(address) == 0


def test_seed_contributions_registers_the_demo_with_cards_through_the_api(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    from fastapi.testclient import TestClient

    from api.settings import ApiSettings
    from ledger.domain.cards import ContributionCard
    from ledger.store import Store
    from poc.sandbox.seed import seed_contributions
    from poc.wiring import create_app

    chain = memory_chain
    record, _ = ensure_deployed(chain, paths, log=_quiet)
    seed = seed_demo(chain, record, paths, log=_quiet)
    settings = ApiSettings(
        data_dir=paths.root,
        keystore_scrypt_n=1 << 4,
        index_poll_interval=0.02,
        outbox_poll_interval=0.01,
    )
    store = Store.open(settings.resolved_database_url)
    try:
        keys = issue_sandbox_keys(store, seed)
        app = create_app(settings, store=store, chain=chain, deployment=record)
        with TestClient(app) as http:
            assert seed_contributions(http, seed, keys, paths, log=_quiet) > 0
            client = PocLedgerClient(chain.w3, record.address(LEDGER), chain_id=chain.chain_id)
            events = client.get_events(record.deploy_block)
            registered = {
                to_hex(e.contribution_id): e
                for e in events
                if isinstance(e, ContributionRegistered)
            }
            assert set(registered) == {c.contribution_id for c in seed.contributions}
            app.state.services.follower.sync_once()
            coordinator = {"X-API-Key": next(k.api_key for k in keys if k.label == "leievlas")}
            by_key = {c.key: c for c in seed.contributions}
            for item in demo.CONTRIBUTIONS:
                cid = by_key[item.key].contribution_id
                event = registered[cid]
                assert (Origin(event.origin), event.category, event.value) == (
                    item.origin,
                    item.category,
                    item.value,
                )
                read = http.get(f"/v1/contributions/{cid}", headers=coordinator).json()
                card = ContributionCard.from_json(read["card"]["card"])
                assert read["card"]["status"] == "valid"
                assert card.title == item.title and card.description == item.description
                # What the partner signed on chain is this card's hash.
                assert card.hash() == event.card_hash
            endorsed = {
                (e.endorser, to_hex(e.contribution_id)) for e in events if isinstance(e, Endorsed)
            }
            addresses = {p.label: p.address for p in seed.partners}
            assert endorsed == {
                (addresses[e.partner], by_key[e.contribution].contribution_id)
                for e in demo.ENDORSEMENTS
            }
            # A later start posts the same cards: nothing new, no new block.
            head = chain.block_number()
            assert seed_contributions(http, seed, keys, paths, log=_quiet) == 0
            assert chain.block_number() == head
    finally:
        store.close()


def assert_demo_settings_on_chain(
    chain: Chain, record: DeploymentRecord, project_id: int, document: AgreementDocument
) -> None:
    """The project's settings on PocExchange against the agreement, field by field, and
    against the numbers its text states in both languages."""
    settings, version = exchange_client_for(chain, record).exchange_settings(project_id)
    assert version >= 1
    for field in dataclasses.fields(ExchangeSettings):
        assert getattr(settings, field.name) == getattr(document.exchange_settings, field.name)
    last_day = dt.datetime.fromtimestamp(settings.project_end, dt.UTC).date() - dt.timedelta(1)
    for language in Language:
        stated = read_terms(markdown_to_text(document.text(language)), language, document.answers)
        assert stated["answer_period_days"] * SECONDS_PER_DAY == settings.answer_period
        assert stated["request_period"] == (
            settings.request_period_after_end // SECONDS_PER_DAY,
            last_day + dt.timedelta(seconds=settings.request_period_after_end),
        )
        assert stated["project"][2] == last_day


def test_seed_demo_runs_once_and_resumes_without_duplicates(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    first = seed_demo(memory_chain, record, paths, log=_quiet)
    head = memory_chain.block_number()
    assert seed_demo(memory_chain, record, paths, log=_quiet) == first
    assert memory_chain.block_number() == head
    # As if the seed had been interrupted after its last transaction, before its record:
    # every step finds its work done on chain, and the derived salts give the same ids.
    paths.seed.unlink()
    again = seed_demo(memory_chain, record, paths, log=_quiet)
    assert memory_chain.block_number() == head
    assert again.contributions == first.contributions
    assert again.project_id == first.project_id


def test_seed_demo_completes_a_seed_the_chain_lost(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    before_seed = memory_chain.snapshot()
    first = seed_demo(memory_chain, record, paths, log=_quiet)
    # The node comes back without the seed's blocks, while sandbox.json says it is done.
    memory_chain.revert(before_seed)
    messages: list[str] = []
    again = seed_demo(memory_chain, record, paths, log=messages.append)
    assert "missing on chain" in messages[0]
    assert again.contributions == first.contributions
    client = PocLedgerClient(
        memory_chain.w3, record.address(LEDGER), chain_id=memory_chain.chain_id
    )
    assert client.project(again.project_id).in_force


def test_seed_demo_gives_an_older_seed_its_exchange_settings_through_governance(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    # Seeded before PocExchange existed: the agreement is in force and the exchange, added
    # beside the ledger since, holds no settings for it. The coordinator alone may no longer
    # set them: the seed proposes them and the demo partners approve.
    deploy_ledger(memory_chain, 0, path=paths.deployment)
    older = seed_demo(memory_chain, DeploymentRecord.read(paths.deployment), paths, log=_quiet)
    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    exchange = exchange_client_for(memory_chain, record)
    assert exchange.exchange_settings(older.project_id)[1] == 0
    messages: list[str] = []
    seed = seed_demo(memory_chain, record, paths, log=messages.append)
    assert "missing on chain" in messages[0]
    assert seed.contributions == older.contributions
    agreement_text = (paths.root / seed.agreement_document).read_bytes()
    salt = bytes.fromhex(seed.agreement_salt[2:])
    document = verify_agreement_hash(agreement_text, salt, bytes.fromhex(seed.agreement_hash[2:]))
    assert_demo_settings_on_chain(memory_chain, record, seed.project_id, document)
    proposal = exchange.settings_proposal(seed.project_id, 1)
    assert proposal.executed and proposal.proposer == seed.partner(demo.COORDINATOR).address
    # Once set, a restart leaves them alone (the partners may have changed them since).
    head = memory_chain.block_number()
    assert seed_demo(memory_chain, record, paths, log=_quiet) == seed
    assert memory_chain.block_number() == head


# -- restarts on a persisted anvil -----------------------------------------------------------


@pytest.mark.anvil
def test_anvil_restart_keeps_addresses_blocks_and_the_project(paths: SandboxPaths) -> None:
    _needs_anvil()
    with start_chain(ChainKind.ANVIL, paths) as chain:
        record, outcome = ensure_deployed(chain, paths, log=_quiet)
        seed = seed_demo(chain, record, paths, log=_quiet)
        head = chain.block_number()
        hashes = [to_hex(chain.w3.eth.get_block(n)["hash"]) for n in range(head + 1)]
    assert outcome is DeployOutcome.DEPLOYED
    with start_chain(ChainKind.ANVIL, paths) as chain:
        again, outcome = ensure_deployed(chain, paths, log=_quiet)
        assert outcome is DeployOutcome.REUSED
        assert again == record
        assert seed_demo(chain, again, paths, log=_quiet) == seed
        assert chain.block_number() == head
        assert [to_hex(chain.w3.eth.get_block(n)["hash"]) for n in range(head + 1)] == hashes
        client = PocLedgerClient(chain.w3, record.address(LEDGER), chain_id=chain.chain_id)
        assert client.project(seed.project_id).in_force


@pytest.mark.anvil
def test_anvil_lost_state_is_reported_and_redeployed(paths: SandboxPaths) -> None:
    _needs_anvil()
    with start_chain(ChainKind.ANVIL, paths) as chain:
        record, _ = ensure_deployed(chain, paths, log=_quiet)
        seed_demo(chain, record, paths, log=_quiet)
    for state in paths.chain_dir.glob("anvil-state*"):  # anvil's dump and the saved state
        state.unlink()
    # A fresh anvil's genesis carries its start second: two starts within one second would
    # build the same genesis block and hide the loss this test is about.
    time.sleep(1.1)
    messages: list[str] = []
    with start_chain(ChainKind.ANVIL, paths) as chain:
        fresh, outcome = ensure_deployed(chain, paths, log=messages.append)
        assert outcome is DeployOutcome.REDEPLOYED
        assert fresh.genesis_hash != record.genesis_hash
        seed = seed_demo(chain, fresh, paths, log=messages.append)
        assert seed.matches(fresh)
    assert "The chain state was lost" in messages[0]
    assert "genesis" in messages[0]


# -- API keys --------------------------------------------------------------------------------


def test_issue_sandbox_keys_revokes_previous_and_issues_fresh(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    from api.auth import verify_api_key
    from ledger.store import Store

    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    seed = seed_demo(memory_chain, record, paths, log=_quiet)
    store = Store.open(f"sqlite:///{paths.index_db}")
    try:
        first = issue_sandbox_keys(store, seed)
        second = issue_sandbox_keys(store, seed)
        roles = {key.label: key.role for key in second}
        assert roles == {
            "leievlas": "coordinator",
            "unikortrijk": "partner",
            "vezelinstituut": "partner",
            "lawyer": "auditor",
            "admin": "admin",
        }
        for key in second:
            verified = verify_api_key(store, key.api_key)
            assert verified is not None
            assert verified.partner == key.address
        for key in first:
            assert verify_api_key(store, key.api_key) is None
        old_ids = {key.api_key.split("_")[1] for key in first}
        revoked = {r.key_id for r in store.keys.api_keys() if r.revoked_at is not None}
        assert revoked == old_ids
    finally:
        store.close()


def test_issue_sandbox_keys_grants_the_lawyer_the_demo_project_and_the_admin_nothing(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    from fastapi.testclient import TestClient

    from api.settings import ApiSettings
    from ledger.store import Store
    from poc.wiring import create_app

    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    seed = seed_demo(memory_chain, record, paths, log=_quiet)
    settings = ApiSettings(data_dir=paths.root, start_workers=False, keystore_scrypt_n=1 << 4)
    store = Store.open(settings.resolved_database_url)
    try:
        keys = {key.label: key for key in issue_sandbox_keys(store, seed)}
        lawyer_id = keys["lawyer"].api_key.split("_")[1]
        (grant,) = store.keys.auditor_grants(seed.project_id)
        assert grant.key_id == lawyer_id and grant.revoked_at is None
        assert grant.granted_by == seed.partner(demo.COORDINATOR).address
        assert grant.granted_by_key == keys[demo.COORDINATOR].api_key.split("_")[1]
        app = create_app(settings, store=store, chain=memory_chain, deployment=record)
        with TestClient(app) as client:
            app.state.services.follower.sync_once()
            project = f"/v1/projects/{seed.project_id}"
            as_lawyer = {"X-API-Key": keys["lawyer"].api_key}
            as_admin = {"X-API-Key": keys["admin"].api_key}
            assert client.get(project, headers=as_lawyer).status_code == 200
            listed = client.get("/v1/projects", headers=as_lawyer).json()["items"]
            assert [p["projectId"] for p in listed] == [seed.project_id]
            rol = client.get(
                f"/v1/exports/projects/{seed.project_id}/results-ownership-list",
                headers=as_lawyer,
            )
            assert rol.status_code == 200, rol.text
            assert client.get(project, headers=as_admin).status_code == 404
            assert client.get("/v1/projects", headers=as_admin).json()["items"] == []
            # The demo's agreement is where the builder keeps agreements, linked to the project.
            agreement_id = register_demo_agreement(store, seed, paths)
            assert register_demo_agreement(store, seed, paths) == agreement_id
            as_partner = {"X-API-Key": keys["unikortrijk"].api_key}
            (agreement,) = client.get("/v1/agreements", headers=as_partner).json()
            assert agreement["agreementId"] == agreement_id
            assert agreement["projectId"] == seed.project_id and agreement["inForce"]
            (version,) = agreement["versions"]
            assert version["state"] == "recorded" and version["awaiting"] == []
            assert (
                client.get(f"/v1/agreements/{agreement_id}", headers=as_lawyer).status_code == 200
            )
            assert client.get(f"/v1/agreements/{agreement_id}", headers=as_admin).status_code == 404
    finally:
        store.close()


# -- reset from the running app --------------------------------------------------------------


@pytest.mark.anvil
@pytest.mark.timeout(240)
def test_reset_requested_by_the_app_restarts_clean_on_the_same_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs_anvil()
    switches: list[ResetSwitch] = []

    class RecordingSwitch(ResetSwitch):
        def __init__(self) -> None:
            super().__init__()
            switches.append(self)

    monkeypatch.setattr("poc.sandbox.run.ResetSwitch", RecordingSwitch)
    lines: list[str] = []
    options = SandboxOptions(data_dir=tmp_path / "data", port=0)
    result: list[int] = []
    # Off the main thread neither the sandbox nor uvicorn installs signal handlers.
    runner = threading.Thread(target=lambda: result.append(run_sandbox(options, out=lines.append)))
    runner.start()
    try:
        _wait_for(lambda: sum(line.startswith("Ready in") for line in lines) == 1, lines)
        found = re.search(r"poc-ledger sandbox: (http://127\.0\.0\.1:\d+)", "\n".join(lines))
        assert found, lines
        url = found.group(1)
        first = DeploymentRecord.read(tmp_path / "data" / "deployment.json")
        switches[0].request()
        _wait_for(lambda: sum(line.startswith("Ready in") for line in lines) == 2, lines)
        assert any(line.startswith("Reset: wiped") for line in lines)
        second = DeploymentRecord.read(tmp_path / "data" / "deployment.json")
        assert second.genesis_hash != first.genesis_hash
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    finally:
        for switch in switches:
            if switch._server is not None:
                switch._server.should_exit = True
        runner.join(60)
    assert result == [0]
    assert "Chain stopped; its state is saved." in lines


def _wait_for(condition: Callable[[], bool], lines: list[str], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "\n".join(lines)
        time.sleep(0.05)


# -- the demo partners' proof secrets ---------------------------------------------------------


def test_seed_demo_salts_derive_from_the_partners_proof_secrets_the_service_keeps(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    seed = seed_demo(memory_chain, record, paths, log=_quiet)
    kept = sandbox_secret_custody(paths)
    # What the sandbox's app reads: the same folder and password through the API's settings.
    served = proof_secret_custody(
        ApiSettings(data_dir=paths.root, keystore_password=SecretStr(SANDBOX_KEYSTORE_PASSWORD))
    )
    secrets_of = {p.label: served.get(p.address) for p in seed.partners}
    assert all(s is not None for s in secrets_of.values())
    assert len({s.secret_id for s in secrets_of.values() if s}) == len(demo.PARTNERS)
    for c in seed.contributions:
        secret = secrets_of[c.partner]
        assert secret is not None and kept.get(c.contributor) == secret
        # The opening a browser derives from the kept secret and the demo file is the seed's.
        opening = derived_opening(
            secret,
            chain_id=record.chain_id,
            ledger=record.address(LEDGER),
            project_id=seed.project_id,
            contributor=c.contributor,
            content_hash=sha256_file(paths.root / c.document),
        )
        assert to_hex(opening.salt) == c.salt
        assert to_hex(opening.contribution_id) == c.contribution_id


def test_seed_demo_hands_the_proof_secrets_over_once(
    memory_chain: Chain, paths: SandboxPaths
) -> None:
    record, _ = ensure_deployed(memory_chain, paths, log=_quiet)
    seed = seed_demo(memory_chain, record, paths, log=_quiet)
    coordinator = seed.partner(demo.COORDINATOR).address
    kept = sandbox_secret_custody(paths)
    assert kept.delete(coordinator)  # the coordinator takes its secret home (recovery page)
    # A re-seed (the chain lost its newest blocks, or all of them) gives no copy back.
    paths.seed.unlink()
    again = seed_demo(memory_chain, record, paths, log=_quiet)
    assert again.contributions == seed.contributions
    assert sandbox_secret_custody(paths).get(coordinator) is None
    others = [p.address for p in seed.partners if p.address != coordinator]
    assert all(sandbox_secret_custody(paths).get(a) is not None for a in others)

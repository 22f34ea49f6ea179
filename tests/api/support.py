"""Helpers of the API suite: deploying, a consortium with keys, direct contract calls."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from web3.contract import Contract

from api.auth import Role, issue_api_key
from ledger.chain.artifacts import load_artifact
from ledger.chain.connection import Chain
from ledger.chain.deploy import deploy_contract, deploy_exchange
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.transactions import TxRequest
from ledger.domain.hashing import commitment, new_salt, sha256_bytes
from ledger.domain.values import Category, Policy
from ledger.store import Store

AGREEMENT = bytes.fromhex("11" * 32)
POLICY = Policy(
    background_weight_bps=5_000,
    result_weight_bps=10_000,
    endorsement_quorum=1,
    dispute_window=7 * 24 * 3600,
    split_approval_bps=6_667,
    governance_bps=6_667,
    partner_cap_bps=0,
    partner_floor_bps=0,
    categories=(
        Category.of("person-hours", "hour", 1, 10_000),
        Category.of("funding", "EUR", 100, 5_000),
    ),
)
POLICY_JSON: dict[str, Any] = {
    "backgroundWeightBps": 5000,
    "resultWeightBps": 10000,
    "endorsementQuorum": 1,
    "disputeWindow": 604800,
    "splitApprovalBps": 6667,
    "governanceBps": 6667,
    "partnerCapBps": 0,
    "partnerFloorBps": 0,
    "categories": [
        {"name": "person-hours", "unit": "hour", "unitScale": "1", "weightBps": 10000},
        {"name": "funding", "unit": "EUR", "unitScale": "100", "weightBps": 5000},
    ],
}


def deploy(chain: Chain) -> DeploymentRecord:
    """Deploy PocLedger, RoyaltyVault and PocExchange from the first dev account."""
    sender = chain.sender(0)
    ledger = load_artifact("PocLedger")
    vault = load_artifact("RoyaltyVault")
    ledger_address, ledger_receipt = deploy_contract(sender, ledger.abi, ledger.bytecode)
    _, vault_receipt = deploy_contract(sender, vault.abi, vault.bytecode, ledger_address)
    record = DeploymentRecord.create(
        chain, sender.address, {"PocLedger": ledger_receipt, "RoyaltyVault": vault_receipt}
    )
    return deploy_exchange(chain, record, sender)


def contract(chain: Chain, record: DeploymentRecord, name: str) -> Contract:
    return chain.w3.eth.contract(address=record.address(name), abi=load_artifact(name).abi)


def call(
    chain: Chain, record: DeploymentRecord, who: LocalAccount, name: str, fn: str, *args: Any
) -> Any:
    """Send a direct (non-relayed) contract call from `who` and wait for it."""
    target = contract(chain, record, name)
    data = target.encode_abi(fn, args=list(args))
    return chain.sender(who).transact(TxRequest(to=target.address, data=bytes.fromhex(data[2:])))


@dataclass
class Member:
    account: LocalAccount
    key: str

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


@dataclass
class Consortium:
    """Coordinator + two partners (dev accounts 1..3) with keys; auditor and admin keys."""

    chain: Chain
    record: DeploymentRecord
    store: Store
    client: TestClient
    coordinator: Member
    partner_b: Member
    partner_c: Member
    outsider: Member
    auditor_key: str
    admin_key: str

    @classmethod
    def create(
        cls, chain: Chain, record: DeploymentRecord, store: Store, client: TestClient
    ) -> Consortium:
        accounts = chain.accounts
        members = [
            Member(
                accounts[1], issue_api_key(store, accounts[1].address, Role.COORDINATOR, "coord")
            ),
            Member(accounts[2], issue_api_key(store, accounts[2].address, Role.PARTNER, "b")),
            Member(accounts[3], issue_api_key(store, accounts[3].address, Role.PARTNER, "c")),
            Member(
                accounts[4], issue_api_key(store, accounts[4].address, Role.PARTNER, "outsider")
            ),
        ]
        coordinator, partner_b, partner_c, outsider = members
        custody = client.app.state.services.custody  # type: ignore[attr-defined]
        for i, member in enumerate(members):
            custody.add(f"partner-{i}", member.account)
        return cls(
            chain,
            record,
            store,
            client,
            coordinator,
            partner_b,
            partner_c,
            outsider,
            auditor_key=issue_api_key(store, None, Role.AUDITOR, "lawyer"),
            admin_key=issue_api_key(store, None, Role.ADMIN, "admin"),
        )

    @property
    def partners(self) -> list[Member]:
        return [self.coordinator, self.partner_b, self.partner_c]

    def project_on_chain(self, *, accept: bool = True) -> int:
        """Create a project directly on chain (not through the API); return its id."""
        call(
            self.chain,
            self.record,
            self.coordinator.account,
            "PocLedger",
            "createProject",
            AGREEMENT,
            [m.address for m in self.partners],
            POLICY.as_abi(),
        )
        project_id = int(
            contract(self.chain, self.record, "PocLedger").functions.projectCount().call()
        )
        if accept:
            for member in self.partners:
                call(
                    self.chain,
                    self.record,
                    member.account,
                    "PocLedger",
                    "acceptAgreement",
                    project_id,
                    1,
                    AGREEMENT,
                )
        return project_id

    def register_on_chain(self, member: Member, project_id: int, label: str = "doc") -> bytes:
        """Register a contribution directly on chain; return its commitment."""
        content = sha256_bytes(f"{label}-{time.time_ns()}".encode())
        commit = commitment(member.address, project_id, content, new_salt())
        registration: tuple[Any, ...] = (project_id, commit, bytes(32), 1, 0, 40, [], bytes(32), "")
        call(self.chain, self.record, member.account, "PocLedger", "register", registration)
        return commit

    @property
    def auditor_key_id(self) -> str:
        return self.auditor_key.split("_")[1]

    def grant_auditor(self, project_id: int, key: str | None = None) -> None:
        """The coordinator grants the auditor key (or `key`) read access to the project."""
        self.sync()
        key_id = (key or self.auditor_key).split("_")[1]
        response = self.client.put(
            f"/v1/projects/{project_id}/auditors/{key_id}", headers=self.coordinator.headers
        )
        assert response.status_code in (200, 201), response.text

    @property
    def auditor_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.auditor_key}

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.admin_key}

    def sync(self) -> None:
        """Bring the index up to the chain head now."""
        services = self.client.app.state.services  # type: ignore[attr-defined]
        services.follower.sync_once()

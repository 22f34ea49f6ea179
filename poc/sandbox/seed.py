"""Seeding the demo consortium on a deployment, and issuing this start's API keys.

Two parts, because the demo's contributions go through the same path as every partner's:

- `seed_demo`, before the API serves: keys in encrypted keystores, funding, identities, the
  project and its acceptances, done on chain (relayed, signed by each partner's key), the
  project's policy and agreement made by the agreement builder from the demo's answers; and
  the plan of the contributions: their documents (written to the data directory), salts and
  ids.
  Every step first checks the chain, so a seed interrupted half-way resumes instead of
  duplicating. Each demo partner has a proof secret derived from a per-data-dir secret, and the
  demo salts derive from those as every partner's do (docs/design.md), so the ids are the same
  on every attempt; the service keeps the demo partners' proof secrets for them (custodial,
  opted in: `hand_proof_secrets`). What it made is `SeedRecord`, written to `sandbox.json` (no
  titles: those are in the contributions' cards, kept by the API like anyone's).
- `seed_contributions`, once the API serves: every demo contribution registered through
  `POST /v1/projects/{id}/contributions` with its card (title, description, file, keywords),
  then the endorsements, with the partners' own API keys of this start, as a partner's client
  would. A repeat on a later start is answered as already done.

`register_demo_agreement` puts the demo's agreement where the builder keeps agreements.
`issue_sandbox_keys` revokes the previous start's sandbox keys and issues new ones (keys are
stored hashed: old ones cannot be shown again)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr

from api.services.agreements import new_agreement_id, readers_of, version_record
from ledger.agreement.document import build_document, load_document
from ledger.chain.clients import EXCHANGE_CONTRACT as EXCHANGE
from ledger.chain.clients import LEDGER_CONTRACT as LEDGER
from ledger.chain.clients import VAULT_CONTRACT as VAULT
from ledger.chain.clients import PocExchangeClient, PocLedgerClient
from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.exchange_signing import approve_exchange_settings_data, exchange_settings_data
from ledger.chain.keystore import KeyStore
from ledger.chain.signing import (
    NonceAllocator,
    SignedAuth,
    TypedData,
    accept_agreement_data,
    create_project_data,
    deadline_in,
    set_identity_data,
    sign_auth,
)
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.domain.events import IdentitySet
from ledger.domain.exchange import ExchangeSettings
from ledger.domain.hashing import commitment, contribution_id, sha256_bytes
from ledger.domain.values import Origin, Policy, checksum
from ledger.errors import AgreementDocumentError, ConfigurationError
from ledger.openings.custody import SecretCustody
from ledger.openings.salts import derive_salt
from ledger.openings.sealed import ScryptParams
from ledger.openings.secret import ProofSecret
from poc.sandbox import demo
from poc.sandbox.data_dir import SandboxPaths
from poc.sandbox.demo_writes import DemoWrite, SeedError, post_together

if TYPE_CHECKING:
    from ledger.store import Store


SANDBOX_KEYSTORE_PASSWORD: Final = "poc-sandbox"


# The sandbox password is printed in the README, so a costly KDF would protect nothing; a
# light scrypt keeps each start fast. Production keystores keep the standard cost.
SANDBOX_SCRYPT_N: Final = 1 << 14


RELAYER_LABEL: Final = "relayer"


# Signed actions of the seed are relayed at once; an hour covers any slow node.
AUTH_TTL_SECONDS: Final = 3600


SEED_VERSION: Final = 1
# The demo agreement's canonical document (and beside it its texts, agreement.<lang>.md).
AGREEMENT_FILE: Final = "agreement.json"


KEY_LABEL_PREFIX: Final = "sandbox:"


# Top-ups: the relayer pays for every relayed call. Dev accounts hold far more than this; on
# an external node the funder's ether is real, so only the relayer gets a modest amount.
DEV_RELAYER_FUNDS: Final = 100 * 10**18


DEV_PARTNER_FUNDS: Final = 10 * 10**18


EXTERNAL_RELAYER_FUNDS: Final = 10**17


Log = Callable[[str], None]


@dataclass(frozen=True)
class SeededPartner:
    """A demo partner as seeded: its organisation and its address."""

    label: str
    name: str
    company_number: str
    kind: str
    address: ChecksumAddress


@dataclass(frozen=True)
class SeededContribution:
    """A demo contribution as registered, with what it takes to prove it (file and salt)."""

    key: str
    partner: str
    contributor: ChecksumAddress
    contribution_id: HexStr
    commitment: HexStr
    content_hash: HexStr
    salt: HexStr
    origin: int
    category: int
    value: int
    parents: tuple[HexStr, ...]
    document: str


@dataclass(frozen=True)
class SeedRecord:
    """What `seed_demo` created; written to `sandbox.json` for people and tools to read."""

    chain_id: int
    genesis_hash: HexStr
    ledger: ChecksumAddress
    vault: ChecksumAddress
    project_id: int
    project_title: str
    agreement_hash: HexStr
    agreement_salt: HexStr
    agreement_document: str
    relayer: ChecksumAddress
    partners: tuple[SeededPartner, ...]
    contributions: tuple[SeededContribution, ...]
    seeded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def partner(self, label: str) -> SeededPartner:
        """The seeded partner labelled `label`."""
        for candidate in self.partners:
            if candidate.label == label:
                return candidate
        raise KeyError(label)

    def matches(self, record: DeploymentRecord) -> bool:
        """Whether this seed was made on `record`'s deployment."""
        return (
            self.chain_id == record.chain_id
            and self.genesis_hash == record.genesis_hash
            and self.ledger == record.address(LEDGER)
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data (camelCase keys, like the deployment record)."""
        return {
            "version": SEED_VERSION,
            "chainId": self.chain_id,
            "genesisHash": self.genesis_hash,
            "ledger": self.ledger,
            "vault": self.vault,
            "projectId": self.project_id,
            "projectTitle": self.project_title,
            "agreement": {
                "hash": self.agreement_hash,
                "salt": self.agreement_salt,
                "document": self.agreement_document,
            },
            "relayer": self.relayer,
            "partners": [
                {
                    "label": p.label,
                    "name": p.name,
                    "companyNumber": p.company_number,
                    "kind": p.kind,
                    "address": p.address,
                }
                for p in self.partners
            ],
            "contributions": [
                {
                    "key": c.key,
                    "partner": c.partner,
                    "contributor": c.contributor,
                    "contributionId": c.contribution_id,
                    "commitment": c.commitment,
                    "contentHash": c.content_hash,
                    "salt": c.salt,
                    "origin": c.origin,
                    "category": c.category,
                    "value": c.value,
                    "parents": list(c.parents),
                    "document": c.document,
                }
                for c in self.contributions
            ],
            "seededAt": self.seeded_at.isoformat().replace("+00:00", "Z"),
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> SeedRecord:
        """Parse `to_json_dict` output; raise `ConfigurationError` if it is malformed."""
        try:
            if data["version"] != SEED_VERSION:
                raise ConfigurationError(f"sandbox.json version {data['version']!r} unknown")
            return cls(
                chain_id=int(data["chainId"]),
                genesis_hash=HexStr(str(data["genesisHash"])),
                ledger=checksum(str(data["ledger"])),
                vault=checksum(str(data["vault"])),
                project_id=int(data["projectId"]),
                project_title=str(data["projectTitle"]),
                agreement_hash=HexStr(str(data["agreement"]["hash"])),
                agreement_salt=HexStr(str(data["agreement"]["salt"])),
                agreement_document=str(data["agreement"]["document"]),
                relayer=checksum(str(data["relayer"])),
                partners=tuple(
                    SeededPartner(
                        label=str(p["label"]),
                        name=str(p["name"]),
                        company_number=str(p["companyNumber"]),
                        kind=str(p["kind"]),
                        address=checksum(str(p["address"])),
                    )
                    for p in data["partners"]
                ),
                contributions=tuple(
                    SeededContribution(
                        key=str(c["key"]),
                        partner=str(c["partner"]),
                        contributor=checksum(str(c["contributor"])),
                        contribution_id=HexStr(str(c["contributionId"])),
                        commitment=HexStr(str(c["commitment"])),
                        content_hash=HexStr(str(c["contentHash"])),
                        salt=HexStr(str(c["salt"])),
                        origin=int(c["origin"]),
                        category=int(c["category"]),
                        value=int(c["value"]),
                        parents=tuple(HexStr(str(p)) for p in c["parents"]),
                        document=str(c["document"]),
                    )
                    for c in data["contributions"]
                ),
                seeded_at=datetime.fromisoformat(str(data["seededAt"]).replace("Z", "+00:00")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"malformed sandbox.json: {exc!r}") from exc

    def write(self, path: Path) -> None:
        """Write atomically (a crash leaves the old file or the new one)."""
        _write_atomic(path, json.dumps(self.to_json_dict(), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> SeedRecord:
        """Read a record written by `write`."""
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read {path}: {exc}") from exc
        return cls.from_json_dict(data)


def load_seed(paths: SandboxPaths, record: DeploymentRecord) -> SeedRecord | None:
    """The seed of `record`'s deployment, or None if it was not (completely) seeded yet."""
    if not paths.seed.exists():
        return None
    seed = SeedRecord.read(paths.seed)
    return seed if seed.matches(record) else None


def sandbox_keystore(paths: SandboxPaths) -> KeyStore:
    """The keystores of the demo partners and the relayer."""
    return KeyStore(paths.keystores, SANDBOX_KEYSTORE_PASSWORD, scrypt_n=SANDBOX_SCRYPT_N)


def seed_demo(
    chain: Chain, record: DeploymentRecord, paths: SandboxPaths, *, log: Log = print
) -> SeedRecord:
    """Seed the demo consortium on `record`'s deployment unless that was done; return the seed.

    Safe to call again after an interruption: each step checks the chain before acting. A seed
    recorded as done is checked on chain too: a node killed right after seeding may come back
    without its newest blocks (those after its last saved state), and the seed then
    completes what is missing.
    """
    existing = load_seed(paths, record)
    if existing is not None:
        if _seed_on_chain(chain, record, existing):
            return existing
        log(
            "Part of the demo data is missing on chain (the node lost its newest blocks); "
            "completing it."
        )
    started = time.monotonic()
    keys = sandbox_keystore(paths)
    accounts = {p.label: keys.load_or_create(p.label) for p in demo.PARTNERS}
    relayer = keys.load_or_create(RELAYER_LABEL)
    secret = _seed_secret(paths)
    ledger = _RelayedLedger(chain, record, relayer)

    funder = funding_account(chain)
    if chain.is_dev:
        _top_up(chain, funder, relayer.address, DEV_RELAYER_FUNDS)
        # Partners act through the relayer; ether of their own lets a user also try sending
        # transactions directly from a demo key.
        for account in accounts.values():
            _top_up(chain, funder, account.address, DEV_PARTNER_FUNDS)
    else:
        _top_up(chain, funder, relayer.address, EXTERNAL_RELAYER_FUNDS)

    for partner in demo.PARTNERS:
        ledger.ensure_identity(accounts[partner.label], partner.name, partner.company_number)

    # The agreement as the builder makes it: the text the partners accept and the policy the
    # project is created with come from the same answers.
    agreement_salt = _derive_salt(secret, "agreement")
    agreement_document = build_document(
        demo.agreement_answers({p.label: accounts[p.label].address for p in demo.PARTNERS})
    )
    agreement = agreement_document.agreement_hash(agreement_salt)
    coordinator = accounts[demo.COORDINATOR]
    partner_addresses = [accounts[p.label].address for p in demo.PARTNERS]
    project_id = ledger.ensure_project(
        coordinator, agreement, partner_addresses, agreement_document.policy
    )
    # Its access-rights terms too, while the coordinator alone may set them.
    if EXCHANGE in record.addresses:
        _RelayedExchange(chain, record, relayer).ensure_settings(
            coordinator,
            [accounts[p.label] for p in demo.PARTNERS],
            project_id,
            agreement_document.exchange_settings.for_chain(),
        )
    for partner in demo.PARTNERS:
        ledger.ensure_accepted(accounts[partner.label], project_id, agreement)

    # The contributions are registered through the API once it serves (`seed_contributions`);
    # here, what they will be: documents, salts and the ids the ledger will give them.
    proof_secrets = {p.label: demo_proof_secret(secret, p.label) for p in demo.PARTNERS}
    seeded: dict[str, SeededContribution] = {}
    for item in demo.CONTRIBUTIONS:
        contributor = accounts[item.partner]
        document = item.document().encode()
        content_hash = sha256_bytes(document)
        # The salt a partner's browser derives from its proof secret (docs/design.md): the
        # demo contributions are proven like any other, from the file and the recovery sheet.
        salt = derive_salt(
            proof_secrets[item.partner],
            chain_id=record.chain_id,
            ledger=record.address(LEDGER),
            project_id=project_id,
            content_hash=content_hash,
        )
        commit = commitment(contributor.address, project_id, content_hash, salt)
        parents = tuple(bytes.fromhex(seeded[p].contribution_id[2:]) for p in item.parents)
        cid = contribution_id(project_id, contributor.address, commit)
        seeded[item.key] = SeededContribution(
            key=item.key,
            partner=item.partner,
            contributor=contributor.address,
            contribution_id=to_hex(cid),
            commitment=to_hex(commit),
            content_hash=to_hex(content_hash),
            salt=to_hex(salt),
            origin=int(item.origin),
            category=item.category,
            value=item.value,
            parents=tuple(to_hex(p) for p in parents),
            document=f"documents/{item.file_name}",
        )
        _write_atomic(paths.documents / item.file_name, item.document())

    _write_atomic(paths.documents / AGREEMENT_FILE, agreement_document.canonical_bytes())
    for language, text in agreement_document.texts.items():
        _write_atomic(paths.documents / f"agreement.{language.value}.md", text)
    seed = SeedRecord(
        chain_id=record.chain_id,
        genesis_hash=record.genesis_hash,
        ledger=record.address(LEDGER),
        vault=record.address(VAULT),
        project_id=project_id,
        project_title=demo.PROJECT_TITLE,
        agreement_hash=to_hex(agreement),
        agreement_salt=to_hex(agreement_salt),
        agreement_document=f"documents/{AGREEMENT_FILE}",
        relayer=relayer.address,
        partners=tuple(
            SeededPartner(
                label=p.label,
                name=p.name,
                company_number=p.company_number,
                kind=p.kind,
                address=accounts[p.label].address,
            )
            for p in demo.PARTNERS
        ),
        contributions=tuple(seeded.values()),
    )
    seed.write(paths.seed)
    hand_proof_secrets(paths, {accounts[label].address: s for label, s in proof_secrets.items()})
    log(
        f"Seeded the demo consortium: project {project_id} with {len(demo.PARTNERS)} partners "
        f"({time.monotonic() - started:.1f} s)"
    )
    return seed


def _seed_on_chain(chain: Chain, record: DeploymentRecord, seed: SeedRecord) -> bool:
    # The chain part's last step is the acceptances: if every partner accepted, the earlier
    # ones (identities, project) are there too. The exchange settings are checked apart: a
    # data directory seeded before they were set lacks only them.
    client = PocLedgerClient(chain.w3, record.address(LEDGER), chain_id=chain.chain_id)
    if client.project_count() < seed.project_id:
        return False
    if not all(
        client.member(seed.project_id, p.address).accepted_version >= 1 for p in seed.partners
    ):
        return False
    return _settings_on_chain(chain, record, seed)


def _settings_on_chain(chain: Chain, record: DeploymentRecord, seed: SeedRecord) -> bool:
    """Whether PocExchange holds settings for the demo project (those of its agreement, or
    the partners' since); true without an exchange, which has none to hold."""
    if EXCHANGE not in record.addresses:
        return True
    client = PocExchangeClient(chain.w3, record.address(EXCHANGE), chain_id=chain.chain_id)
    return client.exchange_settings(seed.project_id)[1] > 0


def demo_card(item: demo.DemoContribution, secret: bytes) -> dict[str, Any]:
    """The card of a demo contribution, as a partner's client posts it (`CardFields`); its
    salt derives from the data directory's secret, so every start posts the same card."""
    return {
        "title": item.title,
        "description": item.description,
        "file": {
            "name": item.file_name,
            "mediaType": "text/plain",
            "size": len(item.document().encode()),
        },
        "keywords": list(item.keywords),
        "salt": to_hex(_derive_salt(secret, f"card:{item.key}")),
    }


def seed_contributions(
    http: httpx.Client,
    seed: SeedRecord,
    keys: Sequence[SandboxKey],
    paths: SandboxPaths,
    *,
    log: Log = print,
) -> int:
    """Register the demo's contributions with their cards, then its endorsements, through the
    API that `http` reaches (base URL set), each partner with its own key of this start.
    Returns how many writes were new; one done before is answered as such and skipped."""
    key_of = {k.label: k.api_key for k in keys}
    secret = _seed_secret(paths)
    by_key = {c.key: c for c in seed.contributions}
    started, new = time.monotonic(), 0
    registered: set[str] = set()
    waiting = list(demo.CONTRIBUTIONS)
    while waiting:
        # Every contribution whose parents are registered goes in one wave, posted together and
        # waited for together: one wait per level of "builds on" instead of one per write.
        wave = [item for item in waiting if set(item.parents) <= registered]
        if not wave:
            raise SeedError("the demo's contributions build on each other in a ring")
        writes = []
        for item in wave:
            planned = by_key[item.key]
            body = {
                "commitment": planned.commitment,
                "origin": "result" if item.origin == Origin.RESULT else "background",
                "category": item.category,
                "value": item.value,
                "parents": list(planned.parents),
                "card": demo_card(item, secret),
            }
            writes.append(
                DemoWrite(
                    f"/v1/projects/{seed.project_id}/contributions",
                    body,
                    key_of[item.partner],
                    f"contribution {item.key}",
                )
            )
        new += post_together(http, writes)
        registered.update(item.key for item in wave)
        waiting = [item for item in waiting if item.key not in registered]
    new += post_together(
        http,
        [
            DemoWrite(
                f"/v1/contributions/{by_key[e.contribution].contribution_id}/endorsements",
                {"rating": e.rating},
                key_of[e.partner],
                f"endorsement of {e.contribution}",
            )
            for e in demo.ENDORSEMENTS
        ],
    )
    if new:
        log(
            f"Registered the demo's {len(demo.CONTRIBUTIONS)} contributions with their cards "
            f"and {len(demo.ENDORSEMENTS)} endorsements through the API "
            f"({time.monotonic() - started:.1f} s)"
        )
    return new


def _seed_secret(paths: SandboxPaths) -> bytes:
    # Kept across chain losses, so a re-seed derives the same salts (and ids) as before.
    if paths.secret.exists():
        return bytes.fromhex(paths.secret.read_text().strip())
    secret = secrets.token_bytes(32)
    _write_atomic(paths.secret, secret.hex() + "\n", private=True)
    return secret


def demo_proof_secret(seed_secret: bytes, label: str) -> ProofSecret:
    """The proof secret of demo partner `label`: derived from the data directory's seed
    secret, so that a re-seed after a lost chain derives the same salts (and ids)."""
    return ProofSecret(
        hmac.new(seed_secret, f"poc-sandbox-proof-secret:{label}".encode(), hashlib.sha256).digest()
    )


def sandbox_secret_custody(paths: SandboxPaths) -> SecretCustody:
    """The proof secrets the sandbox's service keeps (`poc.wiring.proof_secret_custody` reads
    the same folder with the same password)."""
    return SecretCustody(
        paths.proof_secrets, SANDBOX_KEYSTORE_PASSWORD, params=ScryptParams(n=SANDBOX_SCRYPT_N)
    )


def hand_proof_secrets(paths: SandboxPaths, secrets_of: Mapping[str, ProofSecret]) -> None:
    """Let the service keep the demo partners' proof secrets, as custodial partners who opted
    in: once per data directory. A partner that took its secret home later (the recovery
    page) stays without a kept copy across restarts and re-seeds."""
    if paths.proof_secrets_handed.exists():
        return
    custody = sandbox_secret_custody(paths)
    for address, proof_secret in secrets_of.items():
        custody.put(address, proof_secret)
    _write_atomic(paths.proof_secrets_handed, "demo proof secrets handed to the service\n")


def _derive_salt(secret: bytes, purpose: str) -> bytes:
    # HMAC of a 256-bit secret is as unguessable as 32 random bytes, and reproducible.
    return hmac.new(secret, f"poc-sandbox-salt:{purpose}".encode(), hashlib.sha256).digest()


def _top_up(chain: Chain, funder: LocalAccount, to: ChecksumAddress, target: int) -> None:
    with translating():
        balance = int(chain.w3.eth.get_balance(to))
    if balance >= target // 2:
        return
    chain.sender(funder).transfer(to, target - balance)


class _RelayedLedger:
    """The seed's PocLedger actions, done as the custodial service does them: the partner's key
    signs the action (EIP-712) and the relayer sends it. Each first checks the chain, so that a
    resumed seed skips what is done."""

    def __init__(self, chain: Chain, record: DeploymentRecord, relayer: LocalAccount) -> None:
        self._chain = chain
        self._from_block = record.deploy_block
        self._client = PocLedgerClient(chain.w3, record.address(LEDGER), chain_id=chain.chain_id)
        self._relayer = chain.sender(relayer)
        self._nonces = NonceAllocator(self._client.is_nonce_used)

    def _auth(
        self, account: LocalAccount, build: Callable[..., TypedData], **fields: Any
    ) -> SignedAuth:
        data = build(
            self._client.domain,
            signer=account.address,
            nonce=self._nonces.allocate(account.address),
            deadline=deadline_in(AUTH_TTL_SECONDS),
            **fields,
        )
        return sign_auth(account.key, data)

    def ensure_identity(self, account: LocalAccount, name: str, company_number: str) -> None:
        declared = [
            event
            for event in self._client.get_events(self._from_block, event_types=[IdentitySet])
            if isinstance(event, IdentitySet) and event.account == account.address
        ]
        if declared and (declared[-1].name, declared[-1].company_number) == (name, company_number):
            return
        auth = self._auth(account, set_identity_data, name=name, company_number=company_number)
        self._client.set_identity_by_sig(self._relayer, name, company_number, auth)

    def ensure_project(
        self,
        coordinator: LocalAccount,
        agreement: bytes,
        partners: list[ChecksumAddress],
        policy: Policy,
    ) -> int:
        for project_id in range(1, self._client.project_count() + 1):
            info = self._client.project(project_id)
            if info.coordinator == coordinator.address and info.agreement_hash == agreement:
                return project_id
        auth = self._auth(
            coordinator,
            create_project_data,
            agreement_hash=agreement,
            partners=partners,
            policy=policy,
        )
        result = self._client.create_project_by_sig(
            self._relayer, agreement, partners, policy, auth
        )
        return result.value

    def ensure_accepted(self, account: LocalAccount, project_id: int, agreement: bytes) -> None:
        if self._client.member(project_id, account.address).accepted_version >= 1:
            return
        auth = self._auth(
            account,
            accept_agreement_data,
            project_id=project_id,
            version=1,
            agreement_hash=agreement,
        )
        self._client.accept_agreement_by_sig(self._relayer, project_id, 1, agreement, auth)


class _RelayedExchange:
    """The seed's PocExchange actions, signed by the partners and relayed, like
    `_RelayedLedger`'s: each first checks the chain."""

    def __init__(self, chain: Chain, record: DeploymentRecord, relayer: LocalAccount) -> None:
        self._ledger = PocLedgerClient(chain.w3, record.address(LEDGER), chain_id=chain.chain_id)
        self._client = PocExchangeClient(
            chain.w3, record.address(EXCHANGE), chain_id=chain.chain_id
        )
        self._relayer = chain.sender(relayer)
        self._nonces = NonceAllocator(self._client.is_nonce_used)

    def _auth(
        self, account: LocalAccount, build: Callable[..., TypedData], **fields: Any
    ) -> SignedAuth:
        data = build(
            self._client.domain,
            signer=account.address,
            nonce=self._nonces.allocate(account.address),
            deadline=deadline_in(AUTH_TTL_SECONDS),
            **fields,
        )
        return sign_auth(account.key, data)

    def settings_set(self, project_id: int) -> bool:
        """Whether anyone set the project's settings (version 0: the contract's defaults)."""
        return self._client.exchange_settings(project_id)[1] > 0

    def ensure_settings(
        self,
        coordinator: LocalAccount,
        partners: list[LocalAccount],
        project_id: int,
        wanted: ExchangeSettings,
    ) -> None:
        """The agreement's access-rights settings on PocExchange, unless some are set (by an
        earlier seed, or since changed by the partners: theirs stay): set by the coordinator
        before the agreement is in force (a fresh seed), else proposed by it and approved by
        the partners until the threshold applies them (a data directory seeded before the
        exchange existed)."""
        if self.settings_set(project_id):
            return
        if not self._ledger.project(project_id).in_force:
            auth = self._auth(
                coordinator,
                exchange_settings_data,
                proposal=False,
                project_id=project_id,
                settings=wanted,
            )
            self._client.set_exchange_settings_by_sig(self._relayer, project_id, wanted, auth)
            return
        auth = self._auth(
            coordinator,
            exchange_settings_data,
            proposal=True,
            project_id=project_id,
            settings=wanted,
        )
        proposal_id = self._client.propose_exchange_settings_by_sig(
            self._relayer, project_id, wanted, auth
        ).value
        for partner in partners:
            if self._client.settings_proposal(project_id, proposal_id).executed:
                return
            if self._client.has_approved_settings(proposal_id, partner.address):
                continue
            auth = self._auth(
                partner,
                approve_exchange_settings_data,
                project_id=project_id,
                proposal_id=proposal_id,
            )
            self._client.approve_exchange_settings_by_sig(
                self._relayer, project_id, proposal_id, auth
            )


def _write_atomic(path: Path, text: str | bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
            fh.flush()
            os.fsync(fh.fileno())
        if not private:
            # mkstemp makes files owner-only; only secrets should stay that way.
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class SandboxKey:
    """An API key issued at this start: who it is for, its role and the plaintext."""

    label: str
    name: str
    role: str
    address: ChecksumAddress | None
    api_key: str = field(repr=False)


def register_demo_agreement(store: Store, seed: SeedRecord, paths: SandboxPaths) -> str | None:
    """Put the demo's agreement where the builder keeps agreements, linked to the demo project,
    so that the pages show it like any builder-made agreement; return its id. Done once per
    data directory (the durable database keeps it). A data directory seeded before the demo
    had a builder-made agreement (a plain-text one) gets none: None."""
    linked = store.agreements.by_project(seed.project_id)
    if linked is not None:
        return linked.agreement_id
    data = (paths.root / seed.agreement_document).read_bytes()
    try:
        document = load_document(data)
    except AgreementDocumentError:
        return None
    coordinator = checksum(document.answers.coordinator)
    agreement_id = new_agreement_id()
    store.agreements.create(
        agreement_id,
        coordinator=coordinator,
        salt=seed.agreement_salt,
        first=version_record(agreement_id, document, seed.agreement_salt, coordinator),
        readers=readers_of(document.answers),
        project_id=seed.project_id,
        frozen=True,
    )
    return agreement_id


def issue_sandbox_keys(store: Store, seed: SeedRecord) -> tuple[SandboxKey, ...]:
    """Revoke the previous start's sandbox keys and issue fresh ones; the lawyer's is granted
    the demo project by its coordinator (the admin's is granted nothing: it reads no project).

    Keys are stored hashed and cannot be shown again, so each start issues new ones: the
    printed keys are always the ones that work. (The partners' signing keys need no hand-over:
    the API's custody reads the same `<data>/keystores/` with the same password.)
    """
    from api.auth import Role, new_api_key
    from api.services.access import grant_auditor

    for old in store.keys.api_keys():
        if old.label.startswith(KEY_LABEL_PREFIX) and old.revoked_at is None:
            store.keys.revoke_api_key(old.key_id)
    issued: list[SandboxKey] = []
    coordinator_key: str | None = None
    for partner in seed.partners:
        role = Role.COORDINATOR if partner.label == demo.COORDINATOR else Role.PARTNER
        key = new_api_key(store, partner.address, role, f"{KEY_LABEL_PREFIX}{partner.label}")
        if role is Role.COORDINATOR:
            coordinator_key = key.record.key_id
        issued.append(
            SandboxKey(partner.label, partner.name, role.value, partner.address, key.plaintext)
        )
    for label, name, role in (
        ("lawyer", "IP counsel (read and export only)", Role.AUDITOR),
        ("admin", "Sandbox administrator", Role.ADMIN),
    ):
        key = new_api_key(store, None, role, f"{KEY_LABEL_PREFIX}{label}")
        if role is Role.AUDITOR:
            # The demo's coordinator lets its IP counsel read the project, as a real
            # coordinator would through `PUT /v1/projects/{id}/auditors/{key id}`.
            grant_auditor(
                store,
                seed.project_id,
                key.record.key_id,
                granted_by=seed.partner(demo.COORDINATOR).address,
                granted_by_key=coordinator_key,
            )
        issued.append(SandboxKey(label, name, role.value, None, key.plaintext))
    return tuple(issued)


def funding_account(chain: Chain) -> LocalAccount:
    # Dev chains: the first funded dev account. External: the one configured key.
    return chain.accounts[0]

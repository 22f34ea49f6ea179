"""`poc sandbox`: a local chain with the contracts deployed, the demo consortium seeded, and
the API and web pages served on 127.0.0.1, in one command.

The steps, each usable on its own (the tests drive them one by one):

- `prepare_data_dir` makes (or, with reset, wipes) the data directory. It only ever wipes a
  directory the sandbox made: one holding its marker file, or an empty one.
- `start_chain`: anvil persisting its state in `<data>/chain/` (default), the in-process
  eth-tester chain (`memory`: nothing persists, everything lives in a temporary directory), or
  an external node (`--rpc-url`, signing with `POC_PRIVATE_KEY` or `POC_KEYSTORE`).
- `ensure_deployed` reuses `<data>/deployment.json` when its chain id, genesis hash and
  contract code all match the node; when the chain's state was lost it says so, moves the stale
  records aside and deploys again.
- `seed_demo` plays `poc.sandbox.demo` once per deployment: keys in encrypted keystores, funding,
  identities, the project, acceptances, contributions, endorsements. Every step first checks
  the chain, so a seed interrupted half-way resumes instead of duplicating; salts derive from a
  per-data-dir secret, so the contributions' ids are the same on every attempt.
- `run_sandbox` does all of the above, then serves the FastAPI app with uvicorn on 127.0.0.1
  and stops anvil after it, whether it ends by Ctrl-C, SIGTERM or an error; anvil gets
  SIGTERM, so its state is written out.

Data directory layout (all of it is the sandbox's; `--reset` removes it):

    .poc-sandbox          marker: this directory belongs to a sandbox
    .poc-sandbox.lock     held by the running sandbox (its pid inside)
    chain/                anvil's state (anvil-state.json) and log
    deployment.json       where the contracts are (ledger.chain.deployment_record.DeploymentRecord)
    sandbox.json          what the seed created: partners, project, contributions and salts
    seed-secret           the secret the demo salts derive from (owner-only)
    keystores/            encrypted keys of the demo partners and the relayer
    documents/            the demo documents, for proving a contribution with its file
    index.sqlite3         the API's index of the chain (rebuilt from the chain if lost)
    outbox.sqlite3        the API's outbox (writes accepted, not yet on chain), API keys, and the
                          contribution cards and dispute reasons, sealed (AES-256-GCM)
    records.key           the key that seals those cards and reasons (owner-only; made by the API
                          on its first start, kept apart from the database)

API keys: keys are stored hashed, so the sandbox cannot show old ones again. It revokes the
previous sandbox keys and issues new ones on every start, and prints them.

The app it serves gets `app.state.sandbox`, a `SandboxInfo`: the seed, this start's API keys
and `request_reset()`, which makes the sandbox stop, wipe its data directory and start clean
on the same port (the web UI's reset button). Apps not run by the sandbox have no such state.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr

from ledger.chain.clients import LEDGER_CONTRACT as LEDGER
from ledger.chain.clients import VAULT_CONTRACT as VAULT
from ledger.chain.clients import PocLedgerClient
from ledger.chain.connection import Backend, Chain, ChainConfig
from ledger.chain.deploy import deploy_ledger
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.keystore import KeyStore
from ledger.chain.signing import (
    NonceAllocator,
    SignedAuth,
    TypedData,
    accept_agreement_data,
    create_project_data,
    deadline_in,
    endorse_data,
    register_data,
    set_identity_data,
    sign_auth,
)
from ledger.chain.transactions import to_hex
from ledger.chain.translate import translating
from ledger.domain.events import IdentitySet
from ledger.domain.hashing import agreement_hash, commitment, contribution_id, sha256_bytes
from ledger.domain.values import Registration, checksum
from ledger.errors import ChainIdMismatchError, ConfigurationError
from poc.cli.main import redact_url
from poc.sandbox import demo
from poc.sandbox.anvil import connect

if TYPE_CHECKING:
    import uvicorn

    from ledger.store import Store
    from poc.cli.main import Subparsers

HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
DEFAULT_DATA_DIR: Final = Path("data")
SANDBOX_KEYSTORE_PASSWORD: Final = "poc-sandbox"
# The sandbox password is printed in the README, so a costly KDF would protect nothing; a
# light scrypt keeps each start fast. Production keystores keep the standard cost.
SANDBOX_SCRYPT_N: Final = 1 << 14
RELAYER_LABEL: Final = "relayer"
# Signed actions of the seed are relayed at once; an hour covers any slow node.
AUTH_TTL_SECONDS: Final = 3600
SEED_VERSION: Final = 1
KEY_LABEL_PREFIX: Final = "sandbox:"

# Top-ups: the relayer pays for every relayed call. Dev accounts hold far more than this; on
# an external node the funder's ether is real, so only the relayer gets a modest amount.
DEV_RELAYER_FUNDS: Final = 100 * 10**18
DEV_PARTNER_FUNDS: Final = 10 * 10**18
EXTERNAL_RELAYER_FUNDS: Final = 10**17

Log = Callable[[str], None]


class ChainKind(StrEnum):
    """Which chain the sandbox runs on (`--rpc-url` makes it `external`)."""

    ANVIL = "anvil"
    MEMORY = "memory"
    EXTERNAL = "external"


class DeployOutcome(StrEnum):
    """What `ensure_deployed` did."""

    REUSED = "reused"
    DEPLOYED = "deployed"
    REDEPLOYED = "redeployed"  # the recorded chain state was lost


class SandboxStopped(Exception):
    """Raised in the main thread when SIGINT or SIGTERM asks the sandbox to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# -- the data directory ------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxPaths:
    """Where each part of the sandbox lives inside its data directory."""

    root: Path

    @property
    def marker(self) -> Path:
        return self.root / ".poc-sandbox"

    @property
    def lock(self) -> Path:
        return self.root / ".poc-sandbox.lock"

    @property
    def chain_dir(self) -> Path:
        return self.root / "chain"

    @property
    def deployment(self) -> Path:
        return self.root / "deployment.json"

    @property
    def seed(self) -> Path:
        return self.root / "sandbox.json"

    @property
    def secret(self) -> Path:
        return self.root / "seed-secret"

    @property
    def keystores(self) -> Path:
        return self.root / "keystores"

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def index_db(self) -> Path:
        return self.root / "index.sqlite3"

    @property
    def outbox_db(self) -> Path:
        return self.root / "outbox.sqlite3"


def prepare_data_dir(root: Path, *, reset: bool = False) -> SandboxPaths:
    """Create the data directory (wiping it first with `reset`) and mark it as the sandbox's.

    Raises `ConfigurationError` rather than wipe or adopt a non-empty directory without the
    marker: a mistyped `--data-dir` must never cost someone their files. A running sandbox
    holds its directory with `claim_data_dir`, which calls this once it has the lock.
    """
    paths = SandboxPaths(root.expanduser().resolve())
    _check_ours(paths)
    if reset and paths.root.exists():
        for entry in paths.root.iterdir():
            # The lock stays: its holder (us) is what makes the wipe safe.
            if entry.name == paths.lock.name:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.marker.write_text(
        "This directory holds a poc-ledger sandbox; `poc sandbox --reset` wipes it.\n"
    )
    return paths


@contextlib.contextmanager
def claim_data_dir(root: Path, *, reset: bool = False) -> Iterator[SandboxPaths]:
    """Hold the data directory exclusively while the context runs, then `prepare_data_dir`.

    Two sandboxes on one directory would run two anvils on one state file; the second is
    refused with the first one's process id. The lock is an OS file lock, so it goes away
    with its process however that ends.
    """
    paths = SandboxPaths(root.expanduser().resolve())
    _check_ours(paths)
    paths.root.mkdir(parents=True, exist_ok=True)
    with paths.lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ConfigurationError(
                f"another sandbox (pid {holder}) is using {paths.root}; stop it first, "
                "or choose another --data-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield prepare_data_dir(paths.root, reset=reset)


def _check_ours(paths: SandboxPaths) -> None:
    if not paths.root.exists():
        return
    if not paths.root.is_dir():
        raise ConfigurationError(f"{paths.root} exists and is not a directory")
    others = [p for p in paths.root.iterdir() if p.name != paths.lock.name]
    if others and not paths.marker.exists():
        raise ConfigurationError(
            f"{paths.root} is not empty and was not made by the sandbox "
            f"(no {paths.marker.name}); choose another --data-dir"
        )


def _move_aside(path: Path, stamp: str) -> Path | None:
    if not path.exists():
        return None
    target = path.with_name(f"{path.stem}.lost-{stamp}{path.suffix}")
    path.replace(target)
    return target


# -- the chain ---------------------------------------------------------------------------------


def start_chain(kind: ChainKind, paths: SandboxPaths, rpc_url: str | None = None) -> Chain:
    """Start or reach the sandbox's chain; the caller closes it (which stops a managed anvil)."""
    if kind is ChainKind.MEMORY:
        return connect(ChainConfig(backend=Backend.MEMORY))
    if kind is ChainKind.ANVIL:
        # Proofs rest on receipts and headers, which survive a restart without anvil's historical
        # states; keeping those made anvil rewrite its whole history into the state file every
        # second (hundreds of MB after a few thousand blocks) and slowed every write.
        return connect(
            ChainConfig(
                backend=Backend.ANVIL, data_dir=paths.chain_dir, anvil_preserve_history=False
            )
        )
    config = ChainConfig.from_env(backend=Backend.EXTERNAL, rpc_url=rpc_url)
    if not (config.private_key or config.keystore_path):
        raise ConfigurationError(
            "the sandbox on an external node needs a funded key to deploy and fund the demo "
            "accounts: set POC_PRIVATE_KEY, or POC_KEYSTORE with POC_KEYSTORE_PASSWORD_FILE"
        )
    return connect(config)


def ensure_deployed(
    chain: Chain, paths: SandboxPaths, *, log: Log = print
) -> tuple[DeploymentRecord, DeployOutcome]:
    """The deployment recorded in the data directory, deploying first if there is none.

    A record whose chain is gone (a new genesis, or no code at its addresses) means the chain
    state was lost: on a sandbox chain the stale records are moved aside (`*.lost-<time>`) and
    everything is deployed and seeded again. On an external node that is refused instead: the
    data directory belongs to another network.
    """
    outcome = DeployOutcome.DEPLOYED
    if paths.deployment.exists():
        record = DeploymentRecord.read(paths.deployment)
        problem = deployment_problem(chain, record)
        if problem is None:
            return record, DeployOutcome.REUSED
        if chain.backend is Backend.EXTERNAL:
            raise ConfigurationError(
                f"{paths.deployment} does not match this node: {problem}. Use another "
                "--data-dir for this network, or --reset to start this one afresh"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        # The outbox goes too: what it still holds was meant for the lost deployment.
        for stale in (paths.deployment, paths.seed, paths.index_db, paths.outbox_db):
            _move_aside(stale, stamp)
        for database in (paths.index_db, paths.outbox_db):
            for suffix in ("-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        log(
            f"The chain state was lost ({problem}).\n"
            f"Deploying the contracts again and re-creating the demo data; the old records "
            f"are kept as *.lost-{stamp}.*"
        )
        outcome = DeployOutcome.REDEPLOYED
    # Dev chains take the fixed gas limits; an external one may account gas differently.
    record = deploy_ledger(chain, chain.sender(_funder(chain)), estimate=not chain.is_dev)
    record.write(paths.deployment)
    return record, outcome


def deployment_problem(chain: Chain, record: DeploymentRecord) -> str | None:
    """Why `record` does not describe live contracts on `chain`, or None if it does."""
    try:
        record.check_chain(chain)
    except ChainIdMismatchError as exc:
        return str(exc)
    for contract in record.contracts:
        with translating():
            code = chain.w3.eth.get_code(contract.address)
        if not code:
            return f"no code at {contract.name} {contract.address}"
    return None


def _funder(chain: Chain) -> LocalAccount:
    # Dev chains: the first funded dev account. External: the one configured key.
    return chain.accounts[0]


# -- the seed ----------------------------------------------------------------------------------


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
    title: str
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
                    "title": c.title,
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
                        title=str(c["title"]),
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
    without its newest blocks (anvil saves its state every second), and the seed then
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

    funder = _funder(chain)
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

    agreement_salt = _derive_salt(secret, "agreement")
    agreement = agreement_hash(sha256_bytes(demo.AGREEMENT_TEXT.encode()), agreement_salt)
    coordinator = accounts[demo.COORDINATOR]
    partner_addresses = [accounts[p.label].address for p in demo.PARTNERS]
    project_id = ledger.ensure_project(coordinator, agreement, partner_addresses)
    for partner in demo.PARTNERS:
        ledger.ensure_accepted(accounts[partner.label], project_id, agreement)

    seeded: dict[str, SeededContribution] = {}
    for item in demo.CONTRIBUTIONS:
        contributor = accounts[item.partner]
        document = item.document().encode()
        content_hash = sha256_bytes(document)
        salt = _derive_salt(secret, f"contribution:{item.key}")
        commit = commitment(contributor.address, project_id, content_hash, salt)
        parents = tuple(bytes.fromhex(seeded[p].contribution_id[2:]) for p in item.parents)
        registration = Registration(
            project_id=project_id,
            commitment=commit,
            origin=item.origin,
            category=item.category,
            value=item.value,
            parents=parents,
        )
        cid = ledger.ensure_registered(contributor, registration)
        seeded[item.key] = SeededContribution(
            key=item.key,
            title=item.title,
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

    for endorsement in demo.ENDORSEMENTS:
        target = seeded[endorsement.contribution]
        ledger.ensure_endorsed(
            accounts[endorsement.partner],
            project_id,
            bytes.fromhex(target.contribution_id[2:]),
            endorsement.rating,
        )

    _write_atomic(paths.documents / "agreement.txt", demo.AGREEMENT_TEXT)
    seed = SeedRecord(
        chain_id=record.chain_id,
        genesis_hash=record.genesis_hash,
        ledger=record.address(LEDGER),
        vault=record.address(VAULT),
        project_id=project_id,
        project_title=demo.PROJECT_TITLE,
        agreement_hash=to_hex(agreement),
        agreement_salt=to_hex(agreement_salt),
        agreement_document="documents/agreement.txt",
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
    log(
        f"Seeded the demo consortium: project {project_id}, {len(seeded)} contributions, "
        f"{len(demo.ENDORSEMENTS)} endorsements ({time.monotonic() - started:.1f} s)"
    )
    return seed


def _seed_on_chain(chain: Chain, record: DeploymentRecord, seed: SeedRecord) -> bool:
    # The seed's last steps are registrations and endorsements: if those are there, the
    # earlier ones (identities, project, acceptances) are too.
    client = PocLedgerClient(chain.w3, record.address(LEDGER), chain_id=chain.chain_id)
    ids = {c.key: bytes.fromhex(c.contribution_id[2:]) for c in seed.contributions}
    if not all(client.contribution(cid).exists for cid in ids.values()):
        return False
    return all(
        client.has_endorsed(ids[e.contribution], seed.partner(e.partner).address)
        for e in demo.ENDORSEMENTS
    )


def _seed_secret(paths: SandboxPaths) -> bytes:
    # Kept across chain losses, so a re-seed derives the same salts (and ids) as before.
    if paths.secret.exists():
        return bytes.fromhex(paths.secret.read_text().strip())
    secret = secrets.token_bytes(32)
    _write_atomic(paths.secret, secret.hex() + "\n", private=True)
    return secret


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
        self, coordinator: LocalAccount, agreement: bytes, partners: list[ChecksumAddress]
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
            policy=demo.POLICY,
        )
        result = self._client.create_project_by_sig(
            self._relayer, agreement, partners, demo.POLICY, auth
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

    def ensure_registered(self, account: LocalAccount, registration: Registration) -> bytes:
        cid = contribution_id(registration.project_id, account.address, registration.commitment)
        if not self._client.contribution(cid).exists:
            auth = self._auth(account, register_data, registration=registration)
            self._client.register_by_sig(self._relayer, registration, auth)
        return cid

    def ensure_endorsed(
        self, account: LocalAccount, project_id: int, cid: bytes, rating: int
    ) -> None:
        if self._client.has_endorsed(cid, account.address):
            return
        auth = self._auth(
            account, endorse_data, project_id=project_id, contribution_id=cid, rating=rating
        )
        self._client.endorse_by_sig(self._relayer, project_id, cid, rating, auth)


def _write_atomic(path: Path, text: str, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if not private:
            # mkstemp makes files owner-only; only secrets should stay that way.
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- API keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxKey:
    """An API key issued at this start: who it is for, its role and the plaintext."""

    label: str
    name: str
    role: str
    address: ChecksumAddress | None
    api_key: str = field(repr=False)


def issue_sandbox_keys(store: Store, seed: SeedRecord) -> tuple[SandboxKey, ...]:
    """Revoke the previous start's sandbox keys and issue fresh ones; the lawyer's is granted
    the demo project by its coordinator (the admin's is granted nothing: it reads no project).

    Keys are stored hashed and cannot be shown again, so each start issues new ones: the
    printed keys are always the ones that work. (The partners' signing keys need no hand-over:
    the API's custody reads the same `<data>/keystores/` with the same password.)
    """
    from api.auth import Role, new_api_key
    from api.services.access import grant_auditor

    for old in store.api_keys():
        if old.label.startswith(KEY_LABEL_PREFIX) and old.revoked_at is None:
            store.revoke_api_key(old.key_id)
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


# -- serving -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxOptions:
    """What `poc sandbox` was asked to do."""

    data_dir: Path = DEFAULT_DATA_DIR
    port: int = DEFAULT_PORT
    reset: bool = False
    chain: ChainKind = ChainKind.ANVIL
    rpc_url: str | None = None

    def __post_init__(self) -> None:
        if self.rpc_url is not None and self.chain is not ChainKind.EXTERNAL:
            object.__setattr__(self, "chain", ChainKind.EXTERNAL)
        if self.chain is ChainKind.EXTERNAL and not self.rpc_url:
            raise ConfigurationError("an external chain needs --rpc-url")
        if not 0 <= self.port <= 65_535:
            raise ConfigurationError(f"--port must be 0-65535, got {self.port}")


def bind_port(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:`port` (0: any free port), for uvicorn to serve on.

    Bound before anything else starts, so that a busy port is reported at once and nobody can
    take the port while the chain starts and the seed runs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As uvicorn does: a previous sandbox's connections in TIME_WAIT must not block a restart.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"cannot listen on {HOST}:{port} ({exc.strerror}); is another sandbox running? "
            "Pass --port to use another port"
        ) from exc
    return sock


class ResetSwitch:
    """Lets the running app ask the sandbox to start over clean (the web UI's reset button).

    `request()` only flags the reset and tells uvicorn to stop; `run_sandbox` then stops the
    chain, wipes the data directory and starts again on the same port.
    """

    def __init__(self) -> None:
        self._requested = threading.Event()
        self._server: uvicorn.Server | None = None

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    def attach(self, server: uvicorn.Server) -> None:
        self._server = server

    def request(self) -> None:
        """Ask for a clean restart; safe from any thread, idempotent."""
        self._requested.set()
        if self._server is not None:
            self._server.should_exit = True


@dataclass(frozen=True)
class SandboxInfo:
    """What the sandbox tells the app it serves, as `app.state.sandbox`: the seeded demo, the
    API keys printed at this start (to let the web pages act as a demo partner), and the reset
    hook. Only a sandbox app has it."""

    seed: SeedRecord
    keys: tuple[SandboxKey, ...] = field(repr=False)
    request_reset: Callable[[], None] = field(repr=False)


def run_sandbox(options: SandboxOptions, *, out: Log = print, started: float | None = None) -> int:
    """Run the sandbox until SIGINT or SIGTERM; return the exit status (0 on a requested stop).

    `started` is the `time.monotonic()` the reported start-up time counts from (default: now).
    A reset requested by the app (`app.state.sandbox.request_reset`) runs it again from a
    wiped data directory.
    """
    started = time.monotonic() if started is None else started
    with contextlib.ExitStack() as stack:
        stack.callback(_install_stop_handlers())
        try:
            # Bound before anything starts: a busy port is reported at once. uvicorn closes
            # the socket when it stops; a reset binds the same port again.
            sock = bind_port(options.port)
            port = int(sock.getsockname()[1])
            reset = options.reset
            while True:
                switch = ResetSwitch()
                code = _run_once(options, reset, sock, switch, started=started, out=out)
                if not switch.requested:
                    return code
                out("Reset requested: stopping, wiping the data directory, starting clean ...")
                started, reset = time.monotonic(), True
                sock = bind_port(port)
        except SandboxStopped as stop:
            out(f"Stopping ({signal.Signals(stop.signum).name}) ...")
            return 0
    raise AssertionError("unreachable: the block returns or raises")


def _run_once(
    options: SandboxOptions,
    reset: bool,
    sock: socket.socket,
    switch: ResetSwitch,
    *,
    started: float,
    out: Log,
) -> int:
    """One life of the sandbox, from claiming the data directory to uvicorn's stop."""
    port = int(sock.getsockname()[1])
    # Unwound in reverse: the server's socket, then the chain (anvil saves its state), then
    # the data directory's lock, so no other sandbox can start on it before anvil is down.
    with contextlib.ExitStack() as stack:
        stack.enter_context(sock)
        if options.chain is ChainKind.MEMORY:
            temp_root = Path(tempfile.mkdtemp(prefix="poc-sandbox-memory-"))
            stack.callback(shutil.rmtree, temp_root, ignore_errors=True)
            paths = stack.enter_context(claim_data_dir(temp_root / "data"))
            out(
                "Chain: in-process eth-tester (--chain memory). Nothing persists: the "
                "chain, the keys and the index are gone when the sandbox stops."
            )
        else:
            paths = stack.enter_context(claim_data_dir(options.data_dir, reset=reset))
            if reset:
                out(f"Reset: wiped {paths.root}")
        chain = start_chain(options.chain, paths, options.rpc_url)
        stack.callback(_close_chain, chain, out)
        if chain.node is not None:
            out(
                f"Chain: anvil at {chain.node.url} (chain id {chain.chain_id}), "
                f"state kept in {paths.chain_dir}"
            )
        elif options.chain is ChainKind.EXTERNAL:
            shown = redact_url(options.rpc_url or "")
            out(f"Chain: external node {shown} (chain id {chain.chain_id})")
        record, outcome = ensure_deployed(chain, paths, log=out)
        verb = {"reused": "found", "deployed": "deployed", "redeployed": "redeployed"}
        out(
            f"Contracts {verb[outcome]}: PocLedger {record.address(LEDGER)}, "
            f"RoyaltyVault {record.address(VAULT)}"
        )
        seed = seed_demo(chain, record, paths, log=out)
        server, keys = _build_server(chain, record, seed, paths, options, port, switch)
        announce = threading.Thread(
            target=_announce_when_ready,
            args=(server, _banner(seed, keys, paths, options, port), started, out),
            name="sandbox-announce",
            daemon=True,
        )
        announce.start()
        server.run(sockets=[sock])
        return 0 if server.started else 1
    raise AssertionError("unreachable: the block returns or raises")


def _close_chain(chain: Chain, out: Log) -> None:
    chain.close()
    if chain.node is not None:
        out("Chain stopped; its state is saved.")


def _build_server(
    chain: Chain,
    record: DeploymentRecord,
    seed: SeedRecord,
    paths: SandboxPaths,
    options: SandboxOptions,
    port: int,
    switch: ResetSwitch,
) -> tuple[uvicorn.Server, tuple[SandboxKey, ...]]:
    import uvicorn
    from pydantic import SecretStr

    from api.app import create_app
    from api.settings import ApiSettings
    from ledger.store import Store

    relayer = sandbox_keystore(paths).load(RELAYER_LABEL)
    settings = ApiSettings(
        data_dir=paths.root,
        database_url=None,
        deployment_file=paths.deployment,
        rpc_url=chain.node.url if chain.node is not None else options.rpc_url,
        relayer_key=SecretStr(to_hex(relayer.key)),
        keystore_password=SecretStr(SANDBOX_KEYSTORE_PASSWORD),
        signing_mode="both",
        # anvil writes its state every second: a block younger than that could still be lost.
        persist_delay=1.5 if chain.node is not None else 0.0,
        sandbox=True,
    )
    store = Store.open(
        settings.resolved_database_url, outbox_url=settings.resolved_outbox_database_url
    )
    keys = issue_sandbox_keys(store, seed)
    app = create_app(
        settings, store=store, chain=chain, deployment=record, relayer=chain.sender(relayer)
    )
    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # A browser's open connections must not hold up Ctrl-C for long.
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    switch.attach(server)
    app.state.sandbox = SandboxInfo(seed=seed, keys=keys, request_reset=switch.request)
    return server, keys


def _announce_when_ready(server: uvicorn.Server, banner: str, started: float, out: Log) -> None:
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.01)
    out(banner)
    out(f"Ready in {time.monotonic() - started:.1f} s. Stop with Ctrl-C.")


def _banner(
    seed: SeedRecord,
    keys: tuple[SandboxKey, ...],
    paths: SandboxPaths,
    options: SandboxOptions,
    port: int,
) -> str:
    url = f"http://{HOST}:{port}"
    lines = [
        "",
        f"poc-ledger sandbox: {url}",
        f"  web pages {url}/   API docs {url}/docs   health {url}/health",
        f"  project {seed.project_id}: {seed.project_title}",
        "",
        "Demo partners (keys held by the sandbox, custodial mode) and their API keys",
        "(send as the X-API-Key header; new keys are issued on every start):",
    ]
    for key in keys:
        who = key.address or "-"
        lines.append(f"  {key.name}")
        lines.append(f"    role {key.role:<11} address {who}")
        lines.append(f"    api key {key.api_key}")
    if options.chain is ChainKind.MEMORY:
        lines.append("\nNothing persists (--chain memory).")
    else:
        lines.append(f"\nData: {paths.root} (poc sandbox --reset starts clean)")
    return "\n".join(lines)


def _install_stop_handlers() -> Callable[[], None]:
    """Turn SIGINT and SIGTERM into `SandboxStopped` in the main thread; return the undo.

    uvicorn installs its own handlers while it serves and, once shut down, re-raises the
    signal it caught: these handlers then end `run_sandbox`, whose `finally` stops anvil
    with SIGTERM, so the chain state is saved. Python's default SIGTERM would instead kill the
    process at once and leave anvil running without a final dump.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    stopping = False

    def handle(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            # A second signal while we clean up must not abort stopping anvil.
            return
        stopping = True
        raise SandboxStopped(signum)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


# -- the command -------------------------------------------------------------------------------


def register_commands(subparsers: Subparsers) -> None:
    """Add `poc sandbox`."""
    parser = subparsers.add_parser(
        "sandbox",
        help="run the local demo: chain, contracts, demo consortium, API on 127.0.0.1",
        description=(
            "Start a local chain (anvil, state kept in the data directory), deploy the "
            "contracts if needed, seed the demo consortium once, and serve the API and web "
            f"pages on http://{HOST}:PORT until Ctrl-C. Prints the demo partners' API keys."
        ),
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="where the chain state, keys and index live (default: ./%(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port on {HOST} (default: %(default)s; 0 picks a free one)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="wipe the data directory first and start clean"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--chain",
        choices=[ChainKind.ANVIL.value, ChainKind.MEMORY.value],
        default=ChainKind.ANVIL.value,
        help="anvil (persistent, needs Node.js) or memory (in-process, nothing persists)",
    )
    where.add_argument(
        "--rpc-url",
        help="use this external JSON-RPC node instead (key: POC_PRIVATE_KEY or POC_KEYSTORE)",
    )
    parser.set_defaults(handler=_command)


def _command(args: argparse.Namespace) -> int:
    options = SandboxOptions(
        data_dir=args.data_dir,
        port=args.port,
        reset=args.reset,
        chain=ChainKind.EXTERNAL if args.rpc_url else ChainKind(args.chain),
        rpc_url=args.rpc_url,
    )
    from poc.cli.main import STARTED_AT

    return run_sandbox(options, out=_print_flush, started=STARTED_AT)


def _print_flush(text: str) -> None:
    # Piped output (tests, service managers) must see each line as it happens.
    print(text, flush=True)

"""Reference comparison against a real peer: the Ethereum Attestation Service on the same anvil.

Deploys EAS's SchemaRegistry and EAS from the compiled artifacts published in the pinned npm
package (`@ethereum-attestation-service/eas-contracts`, see `EAS_VERSION`; nothing of EAS is
compiled or committed here), registers a schema with the fields of our contribution, deploys
PocLedger beside it, and measures from real receipts, in one run:

- `attest` against our direct `register`;
- `attestByDelegation` (EIP-712, signed by the attester, sent by a relayer) against our
  `registerBySig`;
- `multiAttest` of N attestations against our `anchorBatch` of N, for N = 10, 100, 1,000.

Both sides store the same contribution (same field values, a card's hash included; no parents,
no uri). Single calls
are measured after one warm-up call of the same kind by the same account, so neither side pays
its first nonce word or first-touch storage in the figure (median of `SAMPLES`). A batch is
priced per contribution. The goal from the issue: our signed single registration costs at
most half of `attestByDelegation`.

What the batch figures compare is not the same work: `multiAttest` stores every attestation
on chain; `anchorBatch` stores one Merkle root, and each contribution is proved against it
later (or revealed on chain by proof when it enters the endorse/dispute lifecycle).

`run()` returns the records for `scripts/bench_all.py`; `--json` prints them.

    .venv/bin/python scripts/bench_eas.py [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from eth_abi.abi import encode  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_account.messages import encode_typed_data  # noqa: E402
from eth_typing import ABI  # noqa: E402
from web3.contract import Contract  # noqa: E402

from ledger.chain import signing  # noqa: E402
from ledger.chain.clients import PocLedgerClient, RoyaltyVaultClient  # noqa: E402
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil  # noqa: E402
from ledger.chain.deploy import (  # noqa: E402
    clients_for,
    deploy_contract,
    deploy_ledger,
)
from ledger.chain.receipts import TxReceipt  # noqa: E402
from ledger.chain.transactions import TxRequest, TxSender  # noqa: E402
from ledger.domain import hashing, merkle  # noqa: E402
from ledger.domain.cards import ContributionCard  # noqa: E402
from ledger.domain.values import BatchLeaf, Origin, Registration  # noqa: E402
from poc.sandbox.anvil import AnvilProcess  # noqa: E402
from scripts.bench_api import AGREEMENT, POLICY  # noqa: E402

EAS_PACKAGE = REPO_ROOT / "node_modules" / "@ethereum-attestation-service" / "eas-contracts"
EAS_VERSION = "1.9.0"
#: Our contribution's fields, in the order of `Registration.as_abi()`.
SCHEMA = (
    "uint32 projectId,bytes32 commitment,bytes32 cardHash,uint8 origin,uint8 category,"
    "uint64 value,bytes32[] parents,bytes32 supersedes,string uri"
)
SCHEMA_TYPES = [
    "uint32",
    "bytes32",
    "bytes32",
    "uint8",
    "uint8",
    "uint64",
    "bytes32[]",
    "bytes32",
    "string",
]
BATCH_SIZES = (10, 100, 1_000)
SAMPLES = 5
ZERO_ADDRESS = "0x" + "00" * 20
# EIP-712 type of EAS's delegated attestation (EIP1271Verifier.ATTEST_TYPEHASH's preimage).
ATTEST_TYPE = [
    {"name": "attester", "type": "address"},
    {"name": "schema", "type": "bytes32"},
    {"name": "recipient", "type": "address"},
    {"name": "expirationTime", "type": "uint64"},
    {"name": "revocable", "type": "bool"},
    {"name": "refUID", "type": "bytes32"},
    {"name": "data", "type": "bytes"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint64"},
]
# 1,000 attestations in one multiAttest need far more than a default 30 M gas block.
ANVIL_ARGS = ("--gas-limit", "2000000000")


@dataclass(frozen=True)
class Record:
    """One measured figure (the shape `bench_evidence` and `bench_all` use)."""

    figure: str
    value: float
    unit: str
    goal: str


@dataclass(frozen=True)
class Eas:
    """SchemaRegistry and EAS deployed on one chain, with our contribution schema registered."""

    registry: Contract
    eas: Contract
    schema_uid: bytes


def load_eas_artifact(name: str) -> tuple[ABI, str]:
    """ABI and creation bytecode of `name` from the installed npm package, which must be the
    pinned version (so every run compares against the same EAS)."""
    package = json.loads((EAS_PACKAGE / "package.json").read_text())
    if package["version"] != EAS_VERSION:
        raise RuntimeError(
            f"{EAS_PACKAGE} is version {package['version']}, want {EAS_VERSION}: run `npm ci`"
        )
    artifact = json.loads(
        (EAS_PACKAGE / "artifacts" / "contracts" / f"{name}.sol" / f"{name}.json").read_text()
    )
    return cast(ABI, artifact["abi"]), str(artifact["bytecode"])


def deploy_eas(chain: Chain, deployer: TxSender) -> Eas:
    """Deploy SchemaRegistry and EAS(registry); register `SCHEMA` (no resolver, revocable)."""
    registry_abi, registry_code = load_eas_artifact("SchemaRegistry")
    eas_abi, eas_code = load_eas_artifact("EAS")
    registry_address, _ = deploy_contract(deployer, registry_abi, registry_code)
    eas_address, _ = deploy_contract(deployer, eas_abi, eas_code, registry_address)
    registry = chain.w3.eth.contract(address=registry_address, abi=registry_abi)
    eas = chain.w3.eth.contract(address=eas_address, abi=eas_abi)
    _call(deployer, registry, "register", [SCHEMA, ZERO_ADDRESS, True])
    # SchemaRegistry._getUID: keccak256(abi.encodePacked(schema, resolver, revocable)).
    uid = bytes(
        chain.w3.solidity_keccak(["string", "address", "bool"], [SCHEMA, ZERO_ADDRESS, True])
    )
    if registry.functions.getSchema(uid).call()[0] != uid:
        raise RuntimeError("EAS schema registration did not produce the expected uid")
    return Eas(registry, eas, uid)


def _call(
    sender: TxSender, contract: Contract, function: str, args: Sequence[Any], gas: int | None = None
) -> TxReceipt:
    data = bytes.fromhex(contract.encode_abi(function, list(args))[2:])
    return sender.transact(TxRequest(to=contract.address, data=data, gas=gas))


def attestation_data(registration: Registration) -> tuple[Any, ...]:
    """EAS `AttestationRequestData` carrying our registration's fields ABI-encoded as `SCHEMA`."""
    payload = encode(SCHEMA_TYPES, list(registration.as_abi()))
    # recipient, expirationTime (0: never), revocable, refUID, data, value (no ETH)
    return (ZERO_ADDRESS, 0, True, bytes(32), payload, 0)


def delegated_attestation(
    eas: Eas, attester: Any, registration: Registration, nonce: int, deadline: int
) -> tuple[Any, ...]:
    """A `DelegatedAttestationRequest` signed by `attester` (a LocalAccount), EIP-712 over the
    domain EAS reports itself (`eip712Domain()`), as the EAS SDK does."""
    _, name, version, chain_id, verifying, _, _ = eas.eas.functions.eip712Domain().call()
    data = attestation_data(registration)
    recipient, expiration, revocable, ref_uid, payload, value = data
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Attest": ATTEST_TYPE,
        },
        "primaryType": "Attest",
        "domain": {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": verifying,
        },
        "message": {
            "attester": attester.address,
            "schema": eas.schema_uid,
            "recipient": recipient,
            "expirationTime": expiration,
            "revocable": revocable,
            "refUID": ref_uid,
            "data": payload,
            "value": value,
            "nonce": nonce,
            "deadline": deadline,
        },
    }
    signed = Account.sign_message(encode_typed_data(full_message=typed), attester.key)
    signature = (signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))
    return (eas.schema_uid, data, signature, attester.address, deadline)


@dataclass
class Setup:
    """Both systems deployed on one chain, a project in force, its partners and a relayer.

    `partner` (the first of `partners`) is the attester and contributor of every comparison.
    """

    chain: Chain
    ledger: PocLedgerClient
    vault: RoyaltyVaultClient
    eas: Eas
    project_id: int
    partners: list[TxSender]
    relayer: TxSender
    labels: int = 0

    @property
    def partner(self) -> TxSender:
        return self.partners[0]

    def registration(self, contributor: TxSender | None = None) -> Registration:
        """A fresh contribution of `contributor` (default `partner`): 8 hours, a Result, with
        a card (its hash: what the pages register)."""
        self.labels += 1
        content = hashing.sha256_bytes(f"bench-eas-{self.labels}".encode())
        owner = (contributor or self.partner).address
        commit = hashing.commitment(owner, self.project_id, content, hashing.new_salt())
        card = ContributionCard.create(title=f"Bench contribution {self.labels}")
        return Registration(self.project_id, commit, Origin.RESULT, 0, 8, card_hash=card.hash())

    def register_auth(self, registration: Registration, nonce: int) -> signing.SignedAuth:
        data = signing.register_data(
            self.ledger.domain,
            registration=registration,
            signer=self.partner.address,
            nonce=nonce,
            deadline=signing.deadline_in(3_600),
        )
        return signing.sign_auth(self.partner.account.key, data)


def _median_gas(measure: Callable[[], int]) -> int:
    measure()  # warm-up: first nonce word, first touch of per-account storage
    return int(statistics.median(measure() for _ in range(SAMPLES)))


def measure(setup: Setup) -> list[Record]:
    """Every comparison on a prepared chain; gas from the receipts."""
    s = setup
    eas = s.eas.eas
    nonces = iter(range(1, 10**6))

    def ours_direct() -> int:
        return s.ledger.register(s.partner, s.registration()).gas_used

    def ours_signed() -> int:
        registration = s.registration()
        auth = s.register_auth(registration, next(nonces))
        return s.ledger.register_by_sig(s.relayer, registration, auth).gas_used

    def eas_direct() -> int:
        request = (s.eas.schema_uid, attestation_data(s.registration()))
        return _call(s.partner, eas, "attest", [request]).gas_used

    def eas_delegated() -> int:
        nonce = eas.functions.getNonce(s.partner.address).call()
        request = delegated_attestation(
            s.eas, s.partner.account, s.registration(), nonce, signing.deadline_in(3_600)
        )
        return _call(s.relayer, eas, "attestByDelegation", [request]).gas_used

    register, attest = _median_gas(ours_direct), _median_gas(eas_direct)
    by_sig, delegated = _median_gas(ours_signed), _median_gas(eas_delegated)
    records = [
        Record("EAS attest", attest, "gas", "-"),
        Record("PocLedger register (direct)", register, "gas", "-"),
        Record("register / attest", round(register / attest, 3), "ratio", "-"),
        Record("EAS attestByDelegation", delegated, "gas", "-"),
        Record("PocLedger registerBySig (signed)", by_sig, "gas", "-"),
        Record(
            "registerBySig / attestByDelegation", round(by_sig / delegated, 3), "ratio", "<= 0.5"
        ),
    ]
    for size in BATCH_SIZES:
        registrations = [s.registration() for _ in range(size)]
        tree = merkle.MerkleTree.of(
            [
                BatchLeaf(r.commitment, r.origin, r.category, r.value, card_hash=r.card_hash)
                for r in registrations
            ]
        )
        anchored = s.ledger.anchor_batch(s.partner, s.project_id, tree.root, size).gas_used
        multi = [(s.eas.schema_uid, [attestation_data(r) for r in registrations])]
        attested = _call(s.partner, eas, "multiAttest", [multi], gas=1_900_000_000).gas_used
        records += [
            Record(f"EAS multiAttest x{size} per attestation", round(attested / size), "gas", "-"),
            Record(
                f"PocLedger anchorBatch x{size} per contribution",
                round(anchored / size),
                "gas",
                # Issue 3's budget: batch anchoring at most 100 gas a contribution at 1,000.
                "<= 100" if size == 1_000 else "-",
            ),
            Record(
                f"anchorBatch / multiAttest x{size}", round(anchored / attested, 4), "ratio", "-"
            ),
        ]
    return records


def prepare(chain: Chain) -> Setup:
    """Deploy both on `chain`, create a three-partner project in force."""
    deployer = chain.sender(0)
    record = deploy_ledger(chain, deployer)
    ledger, vault = clients_for(chain, record)
    eas = deploy_eas(chain, deployer)
    partners = [chain.sender(i) for i in (1, 2, 3)]
    project_id = ledger.create_project(
        partners[0], AGREEMENT, [p.address for p in partners], POLICY
    ).value
    for partner in partners:
        ledger.accept_agreement(partner, project_id, 1, AGREEMENT)
    return Setup(chain, ledger, vault, eas, project_id, partners, chain.sender(5))


def run(chain: Chain | None = None) -> list[Record]:
    """Measure on `chain` (an anvil with a high block gas limit), or on a fresh anvil."""
    if chain is not None:
        return measure(prepare(chain))
    with tempfile.TemporaryDirectory(prefix="bench-eas-") as tmp:
        node = AnvilProcess(Path(tmp), persist=False, extra_args=ANVIL_ARGS)
        with node:
            fresh = connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node)
            try:
                return measure(prepare(fresh))
            finally:
                fresh.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    args = parser.parse_args(argv)
    records = run()
    if args.json:
        print(json.dumps([asdict(r) for r in records], indent=2))
    else:
        for r in records:
            print(f"{r.figure:<48} {r.value:>12,} {r.unit:<6} goal {r.goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

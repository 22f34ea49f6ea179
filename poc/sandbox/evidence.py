"""The sandbox's evidence services: a local timestamp authority, a second chain standing in for
the public one with the checkpoint contract on it, and a demo operator certificate that seals
the PDF certificates. Everything lives in the sandbox's data directory and survives restarts,
like the consortium chain:

    tsa/                  the local TSA's test PKI (root.pem is the trust anchor)
    public-chain/         the second anvil's state and log (persisted like the first)
    public-deployment.json   where ChainCheckpoints is on it (DeploymentRecord)
    seal/                 the demo operator's key and self-signed certificate

`start_evidence(data_dir)` starts the TSA and the public chain, deploys the checkpoint contract
when it is not there (a lost public chain state is said and the record moved aside, as for the
ledger), makes the seal certificate once, and returns a `SandboxEvidence` that says where
everything is. `close()` stops both (anvil writes its state on the way out).

Production has none of this: a qualified TSA, a public L2 and a real seal certificate are
configured instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from ledger.chain.checkpoints import CHECKPOINTS_CONTRACT, deploy_checkpoints
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.translate import translating
from ledger.errors import ChainIdMismatchError
from poc.sandbox.anvil import AnvilProcess
from poc.sandbox.pki import make_self_signed_seal, write_private
from poc.sandbox.tsa import LocalTsa

# The sandbox's "public" chain: another id than the consortium's 31337, so that nothing can
# mistake one for the other.
PUBLIC_CHAIN_ID: Final = 31338
TSA_DIR: Final = "tsa"
PUBLIC_CHAIN_DIR: Final = "public-chain"
PUBLIC_DEPLOYMENT: Final = "public-deployment.json"
SEAL_DIR: Final = "seal"
SEAL_NAME: Final = "poc-ledger sandbox operator (demo, not trusted)"
# Dev accounts of the public anvil: 0 deploys, 1 posts the checkpoints.
ANCHORER_ACCOUNT: Final = 1

Log = Callable[[str], None]


@dataclass
class SandboxEvidence:
    """Where the sandbox's evidence services are (see the module docstring)."""

    tsa: LocalTsa
    public_node: AnvilProcess
    public_chain: Chain
    checkpoints: DeploymentRecord
    seal_key: Path
    seal_certificate: Path
    _closed: bool = field(default=False, repr=False)

    @property
    def tsa_url(self) -> str:
        return self.tsa.url

    @property
    def tsa_roots(self) -> Path:
        """The trust anchor of the local TSA's tokens."""
        return self.tsa.root_path

    @property
    def public_rpc_url(self) -> str:
        return self.public_node.url

    @property
    def checkpoints_address(self) -> ChecksumAddress:
        return self.checkpoints.address(CHECKPOINTS_CONTRACT)

    @property
    def anchorer(self) -> LocalAccount:
        """The public chain account that posts the checkpoints (a funded dev account)."""
        return self.public_chain.accounts[ANCHORER_ACCOUNT]

    def __enter__(self) -> SandboxEvidence:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the TSA and the public chain (its state is written out)."""
        if self._closed:
            return
        self._closed = True
        self.tsa.stop()
        self.public_chain.close()
        self.public_node.stop()


def start_evidence(
    data_dir: Path, *, tsa_port: int = 0, public_port: int = 0, log: Log = print
) -> SandboxEvidence:
    """Start the sandbox's TSA and public chain and make sure the checkpoint contract and the
    seal certificate exist (module docstring)."""
    tsa = LocalTsa(data_dir / TSA_DIR, port=tsa_port).start()
    node = AnvilProcess(
        data_dir / PUBLIC_CHAIN_DIR,
        port=public_port,
        chain_id=PUBLIC_CHAIN_ID,
        preserve_history=False,
    )
    try:
        node.start()
        chain = connect_anvil(
            ChainConfig(backend=Backend.ANVIL, anvil_chain_id=PUBLIC_CHAIN_ID), node=node
        )
        record = _ensure_checkpoints(chain, data_dir / PUBLIC_DEPLOYMENT, log=log)
        key, certificate = ensure_seal(data_dir / SEAL_DIR)
    except BaseException:
        tsa.stop()
        node.stop()
        raise
    return SandboxEvidence(tsa, node, chain, record, key, certificate)


def _ensure_checkpoints(chain: Chain, path: Path, *, log: Log) -> DeploymentRecord:
    if path.exists():
        record = DeploymentRecord.read(path)
        problem = _record_problem(chain, record)
        if problem is None:
            return record
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path.rename(path.with_name(f"{path.name}.lost-{stamp}"))
        log(
            f"The sandbox's public chain state was lost ({problem}). Deploying the checkpoint "
            f"contract again; earlier checkpoints are gone with it (old record kept as "
            f"{path.name}.lost-{stamp})."
        )
    deployer = chain.sender(0)
    _, receipt = deploy_checkpoints(deployer)
    record = DeploymentRecord.create(chain, deployer.address, {CHECKPOINTS_CONTRACT: receipt})
    record.write(path)
    return record


def _record_problem(chain: Chain, record: DeploymentRecord) -> str | None:
    try:
        record.check_chain(chain)
    except ChainIdMismatchError as exc:
        return str(exc)
    with translating():
        code = chain.w3.eth.get_code(record.address(CHECKPOINTS_CONTRACT))
    return None if code else f"no code at {record.address(CHECKPOINTS_CONTRACT)}"


def ensure_seal(directory: Path) -> tuple[Path, Path]:
    """The demo operator's seal key and self-signed certificate, made once."""
    key, certificate = directory / "operator.key", directory / "operator.pem"
    if not certificate.exists():
        issued = make_self_signed_seal(SEAL_NAME, "poc-ledger sandbox")
        write_private(key, issued.key_pem)
        certificate.write_bytes(issued.certificate_pem)
    return key, certificate

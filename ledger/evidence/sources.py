"""Where a service's bundles and certificates get their evidence from outside the consortium
chain: the timestamp tokens kept in the queue, the public checkpoints, and the operator's seal.

`EvidenceSources` is what settings configure (each part optional) and what the exports use:

- `completer(source)`: a function that adds to a bundle built from the consortium node
  `source` its RFC 3161 token (the one `ledger.evidence.timestamp_job` obtained for that
  registration and block, if any yet) and its public checkpoint (if one covers its block yet).
  A missing token or checkpoint leaves the section out; a public chain that cannot be reached
  too (logged): an export never waits for the public chain.
- `seal(pdf)`: the certificate sealed by the operator (PAdES B-T with a timestamp from the
  TSA), or `pdf` unchanged when no seal is configured. A seal that cannot be made raises
  `SealError`: a certificate is never issued half-sealed.

The library holds no settings: `poc.wiring` builds this object from them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from web3 import Web3

from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.errors import LedgerError, NotAnchoredError
from ledger.evidence.bundle import ProofBundle
from ledger.evidence.checkpoints import CheckpointProver
from ledger.evidence.seal import SealIdentity, seal_pdf
from ledger.evidence.timestamp_job import TimestampQueue

log = logging.getLogger(__name__)

Completer = Callable[[ProofBundle], ProofBundle]


@dataclass(frozen=True)
class PublicAnchor:
    """The public chain and the checkpoint contract the service anchors on.

    `anchorer`: the account posting the checkpoints (only its checkpoints count); `from_block`:
    the contract's deployment block, where to start reading its logs."""

    w3: Web3
    contract: str
    anchorer: str
    from_block: int = 0


@dataclass(frozen=True)
class EvidenceSources:
    """The optional evidence sources of one service (module docstring)."""

    timestamps: TimestampQueue | None = None
    tsa_url: str | None = None
    tsa_roots: tuple[x509.Certificate, ...] = ()
    public: PublicAnchor | None = None
    seal_identity: SealIdentity | None = None

    @property
    def seals(self) -> bool:
        """Whether certificates are sealed."""
        return self.seal_identity is not None and self.tsa_url is not None

    def completer(self, source: Web3) -> Completer:
        """Adds the timestamp and the checkpoint to bundles of the chain `source` (one prover,
        and so one cache of public logs and trees, per completer)."""
        prover: CheckpointProver | None = None
        broken = False

        def public_prover() -> CheckpointProver | None:
            nonlocal prover, broken
            if prover is None and not broken and self.public is not None:
                try:
                    with translating():
                        chain_id = int(source.eth.chain_id)
                    prover = CheckpointProver(
                        source,
                        self.public.w3,
                        self.public.contract,
                        anchorer=self.public.anchorer,
                        source_chain_id=chain_id,
                        public_from_block=self.public.from_block,
                    )
                except LedgerError as exc:
                    broken = True
                    log.warning("bundles go without a public checkpoint: %s", exc)
            return prover

        def complete(bundle: ProofBundle) -> ProofBundle:
            timestamp = bundle.timestamp
            if timestamp is None and self.timestamps is not None:
                stored = self.timestamps.token(
                    bundle.contribution.contribution_id, bundle.chain.block_hash
                )
                timestamp = stored.token.to_json() if stored is not None else None
            checkpoint = bundle.checkpoint
            anchor = public_prover() if checkpoint is None else None
            if anchor is not None:
                checkpoint = _checkpoint(anchor, bundle)
            return dataclasses.replace(bundle, timestamp=timestamp, checkpoint=checkpoint)

        return complete

    def seal(self, pdf: bytes) -> bytes:
        """`pdf` sealed by the operator, or unchanged when no seal is configured."""
        if self.seal_identity is None or self.tsa_url is None:
            return pdf
        return seal_pdf(pdf, self.seal_identity, tsa_url=self.tsa_url)


def _checkpoint(prover: CheckpointProver, bundle: ProofBundle) -> dict[str, object] | None:
    number, block_hash = bundle.chain.block_number, bundle.chain.block_hash
    try:
        return prover.prove(number, block_hash).to_json()
    except NotAnchoredError:
        return None
    except LedgerError as exc:
        # The public chain is down, or the consortium chain no longer gives the anchored
        # hashes (rewritten): the bundle goes without the anchor, and the log says why.
        log.warning("no public checkpoint for block %d (%s): %s", number, to_hex(block_hash), exc)
        return None

"""Whether the node serves the deployment's chain, checked before anything follows or sends.

`DeploymentCheck` compares the node's chain id and genesis hash with the deployment record and
looks for code at every contract address. The follower and the outbox worker start only once it
has passed (`poc.background.BackgroundLeader` waits for it); the API's `/ready` says why it has
not, and writes are refused while the node answers for another chain.
"""

from __future__ import annotations

import logging
import threading

from ledger.chain.connection import Backend, Chain, check_external
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.translate import translating
from ledger.errors import ChainError, ChainIdMismatchError

log = logging.getLogger(__name__)


class DeploymentCheck:
    """Whether the node serves the deployment's chain: its chain id and genesis hash, and code
    at every contract address of the record.

    The API may start while the node is down; it then accepts writes into the outbox and
    serves the index, but nothing follows the chain or sends a transaction until this check
    has passed against the node (`BackgroundLeader` waits for it). `problem` says why it has
    not (for `/ready`); `mismatch` is set while the last answer came from a node of another
    chain, and then writes are refused too: they could never land there.
    """

    def __init__(self, chain: Chain, deployment: DeploymentRecord) -> None:
        self.chain = chain
        self.deployment = deployment
        self.problem: str | None = "the node has not been checked against the deployment yet"
        self.mismatch = False
        self._passed = threading.Event()
        self._lock = threading.Lock()

    @property
    def passed(self) -> bool:
        return self._passed.is_set()

    def check(self) -> None:
        """Check against the node now; raise `ChainIdMismatchError` if it is another chain,
        another `ChainError` if it cannot be asked. Once passed, never asks again."""
        with self._lock:
            if self._passed.is_set():
                return
            try:
                self._check()
            except ChainIdMismatchError as exc:
                self.problem = f"the node is not the deployment's chain: {exc}"
                self.mismatch = True
                raise
            except ChainError as exc:
                self.problem = f"cannot check the deployment against the node: {exc}"
                self.mismatch = False
                raise
            self.problem = None
            self.mismatch = False
            self._passed.set()

    def _check(self) -> None:
        if self.chain.backend is Backend.EXTERNAL:
            check_external(self.chain)
        self.deployment.check_chain(self.chain)
        for contract in self.deployment.contracts:
            with translating():
                code = self.chain.w3.eth.get_code(contract.address)
            if not code:
                raise ChainIdMismatchError(
                    f"no code at {contract.name} {contract.address} (deployed in block "
                    f"{contract.block_number}): was the chain reset?"
                )

    def wait(self, stop: threading.Event, interval: float = 1.0) -> bool:
        """Check every `interval` seconds until it passes (True) or `stop` is set (False).
        Logs each change of the reason it has not passed."""
        last: str | None = None
        while not stop.is_set():
            try:
                self.check()
            except ChainError:
                if self.problem != last:
                    log.warning("%s; checking again every %g s", self.problem, interval)
                    last = self.problem
            else:
                if last is not None:
                    log.warning("the node is back and serves the deployment's chain")
                return True
            stop.wait(interval)
        return False

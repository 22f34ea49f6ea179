"""Building proof bundles from a node: `ProofBuilder`.

The builder reads the ledger's logs as typed events (`ledger.chain.events`), finds everything a
contribution's bundle states (its registration, the identity and policy before it, its batch,
its history), and proves each log from its block (`ledger.evidence.block_evidence`). The bundle
states each event's arguments in their ABI form (`EventDecoder.abi_arguments`): the one JSON
codec of the typed events that bundles use.

It needs the contribution id and, from the partner (or the custodial store), the content hash
and the salt, never the file. A contribution registered on a deployment of releases 1.x (its
`ContributionRegistered` has no card hash: another topic0) gets a format 1 bundle, as that
release's code wrote them: no `cardHash`, no `card`, the old leaf and `Register` type. The
bundle model is `ledger.evidence.bundle`; verifying it is `ledger.evidence.verifier`; packs of
many bundles are `ledger.evidence.packs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar, cast

from web3 import Web3
from web3.types import FilterParams, LogReceipt

from ledger.chain.events import DEFAULT_DECODER, log_entry_from_web3
from ledger.chain.translate import translating
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import ZERO_BYTES32, from_hex, to_hex
from ledger.domain.events import (
    AccessGranted,
    AccessRefused,
    AccessRequested,
    AccessRequestWithdrawn,
    BatchAnchored,
    ContractEvent,
    ContributionRegistered,
    ContributionSuperseded,
    ContributionWithdrawn,
    Disclosed,
    DisclosureAcknowledged,
    DisclosureDeclined,
    DisputeOpened,
    DisputeResolved,
    DisputeVoted,
    Endorsed,
    IdentitySet,
    PolicySet,
)
from ledger.domain.hashing import commitment as compute_commitment
from ledger.domain.merkle import leaf_hash, leaf_hash_v1
from ledger.domain.values import BatchLeaf, checksum
from ledger.errors import ProofError
from ledger.evidence.block_evidence import BlockEvidence, decode_transaction, fetch_block_evidence
from ledger.evidence.bundle import (
    BUNDLE_VERSION,
    Authorisation,
    BatchPart,
    CategoryPart,
    ChainPart,
    ContributionPart,
    IdentityPart,
    Inclusion,
    LogProof,
    PolicyPart,
    ProofBundle,
    derived_status,
    ledger_functions,
    typed_data_for,
)

E = TypeVar("E", bound=ContractEvent)

HISTORY_TYPES: Final[tuple[type[ContractEvent], ...]] = (
    Endorsed,
    DisputeOpened,
    DisputeVoted,
    DisputeResolved,
    ContributionWithdrawn,
    ContributionSuperseded,
)
"""Events that make up a contribution's history when their contribution id is its id; a later
registration naming it as a parent appears in its history too."""

EXCHANGE_TYPES: Final[tuple[type[ContractEvent], ...]] = (
    Disclosed,
    DisclosureAcknowledged,
    DisclosureDeclined,
    AccessRequested,
    AccessGranted,
    AccessRefused,
    AccessRequestWithdrawn,
)
"""PocExchange's events in a contribution's history: disclosures naming it, the answers of
their recipients, access-rights requests to it and their answers."""


def exchange_history(logs: Sequence[FoundLog[Any]]) -> dict[bytes, list[FoundLog[Any]]]:
    """The exchange logs of one project (in chain order) by the contribution whose history they
    belong to: a disclosure under every contribution it names, each answer to it under the
    same, an access-rights event under its contribution."""
    by_id: dict[bytes, list[FoundLog[Any]]] = {}
    named: dict[bytes, tuple[bytes, ...]] = {}
    for log in logs:
        event = log.event
        if isinstance(event, Disclosed):
            named[event.disclosure_id] = event.contribution_ids
            targets: tuple[bytes, ...] = event.contribution_ids
        elif isinstance(event, DisclosureAcknowledged | DisclosureDeclined):
            targets = named.get(event.disclosure_id, ())
        else:
            targets = (event.contribution_id,)
        for contribution_id in targets:
            by_id.setdefault(contribution_id, []).append(log)
    return by_id


@dataclass(frozen=True)
class FoundLog(Generic[E]):
    """A decoded log as the node listed it (before any proof is built): the typed event and
    the position of its transaction in the block."""

    event: E
    tx_index: int
    # The log's topic0: which release's shape of the event it has (`abi_arguments`).
    topic: bytes

    @property
    def block_number(self) -> int:
        return self.event.block_number

    @property
    def log_index(self) -> int:
        return self.event.log_index

    @property
    def block_hash(self) -> bytes:
        return from_hex(self.event.block_hash)

    @property
    def tx_hash(self) -> bytes:
        return from_hex(self.event.tx_hash)

    @property
    def position(self) -> tuple[int, int]:
        return self.event.position


@dataclass(frozen=True)
class ProjectLogs:
    """Every log of one project (and every identity), read once, indexed for lookups."""

    project_id: int
    registrations: list[FoundLog[ContributionRegistered]]
    history: list[FoundLog[ContractEvent]]
    policies: list[FoundLog[PolicySet]]
    anchors: list[FoundLog[BatchAnchored]]
    identities: list[FoundLog[IdentitySet]]
    exchange: list[FoundLog[ContractEvent]] = field(default_factory=list)
    registration_by_id: dict[bytes, FoundLog[ContributionRegistered]] = field(default_factory=dict)
    anchor_by_batch: dict[bytes, FoundLog[BatchAnchored]] = field(default_factory=dict)
    _history_by_id: dict[bytes, list[FoundLog[Any]]] = field(default_factory=dict)
    _identities_by_account: dict[str, list[FoundLog[IdentitySet]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for reg in self.registrations:
            self.registration_by_id.setdefault(reg.event.contribution_id, reg)
            for parent in reg.event.parents:
                self._history_by_id.setdefault(parent, []).append(reg)
        for log in self.history:
            contribution_id: bytes = getattr(log.event, "contribution_id")  # noqa: B009
            self._history_by_id.setdefault(contribution_id, []).append(log)
        for contribution_id, logs in exchange_history(self.exchange).items():
            self._history_by_id.setdefault(contribution_id, []).extend(logs)
        for anchor in self.anchors:
            self.anchor_by_batch.setdefault(anchor.event.batch_id, anchor)
        for identity in self.identities:
            key = identity.event.account.lower()
            self._identities_by_account.setdefault(key, []).append(identity)

    def history_of(self, contribution_id: bytes) -> list[FoundLog[Any]]:
        """Events about the contribution and registrations naming it as parent, in order."""
        logs = self._history_by_id.get(contribution_id, [])
        return sorted(logs, key=lambda f: f.position)

    def identities_of(self, account: str) -> list[FoundLog[IdentitySet]]:
        """`IdentitySet` logs of `account`, in chain order."""
        return self._identities_by_account.get(account.lower(), [])

    def latest_identities(self) -> dict[str, tuple[str, str]]:
        """{lower-case address: (name, company number)} as last declared."""
        return {
            log.event.account.lower(): (log.event.name, log.event.company_number)
            for log in self.identities
        }


class ProofBuilder:
    """Builds proof bundles of one PocLedger deployment from a node.

    Blocks are fetched and encoded once per builder (`BlockEvidence` cache), so exporting many
    contributions of the same blocks stays cheap. `preload(project_id)` reads a project's logs
    in a handful of queries and answers every later lookup from memory, which bulk exports need
    (otherwise each bundle costs five `eth_getLogs`, one of them over the whole project). Not
    thread-safe: one builder per thread.
    """

    def __init__(
        self,
        w3: Web3,
        ledger_address: str,
        *,
        from_block: int = 0,
        exchange_address: str | None = None,
    ) -> None:
        self.w3 = w3
        self.ledger = checksum(ledger_address)
        #: The PocExchange whose events join the histories (None: the ledger's only).
        self.exchange = None if exchange_address is None else checksum(exchange_address)
        self.from_block = from_block
        self.functions = ledger_functions()
        self._blocks: dict[bytes, BlockEvidence] = {}
        self._index: ProjectLogs | None = None
        with translating():
            self.chain_id = int(w3.eth.chain_id)

    # -- reading the chain --------------------------------------------------------------------

    def _logs(
        self,
        types: Sequence[type[ContractEvent]],
        *topics: bytes | None,
        to_block: int | None = None,
        address: str | None = None,
    ) -> list[FoundLog[Any]]:
        # Hex strings, not bytes, and explicit block numbers: eth-tester's filter ignores
        # bytes topics and answers nothing for toBlock "latest".
        if to_block is None:
            with translating():
                to_block = int(self.w3.eth.block_number)
        topic0: Any = [to_hex(topic) for t in types for topic in DEFAULT_DECODER.topics_of(t)]
        params: FilterParams = {
            "address": self.ledger if address is None else checksum(address),
            "fromBlock": self.from_block,
            "toBlock": to_block,
            "topics": [topic0, *(to_hex(t) if t is not None else None for t in topics)],
        }
        with translating():
            raw: list[LogReceipt] = list(self.w3.eth.get_logs(params))
        found: list[FoundLog[Any]] = []
        for log in raw:
            entry = log_entry_from_web3(log)
            try:
                event = DEFAULT_DECODER.decode(entry)
            except ValueError as exc:
                raise ProofError(f"a log of the contract does not decode: {exc}") from exc
            if event is None:
                raise ProofError("the log is not an event of the contract")
            found.append(FoundLog(event, entry.tx_index, entry.topics[0]))
        found.sort(key=lambda f: f.position)
        return found

    def project_logs_of(self, cls: type[E], project_id: int) -> list[FoundLog[E]]:
        """Every log of type `cls` whose first indexed argument is `project_id`, in order."""
        return self._logs_of(cls, project_id.to_bytes(32, "big"))

    def _logs_of(
        self, cls: type[E], *topics: bytes | None, to_block: int | None = None
    ) -> list[FoundLog[E]]:
        return cast(list[FoundLog[E]], self._logs([cls], *topics, to_block=to_block))

    def _block(self, block_hash: bytes) -> BlockEvidence:
        evidence = self._blocks.get(block_hash)
        if evidence is None:
            evidence = fetch_block_evidence(self.w3, block_hash)
            self._blocks[block_hash] = evidence
        return evidence

    def _log_proof(self, found: FoundLog[Any]) -> LogProof:
        block = self._block(found.block_hash)
        return LogProof(
            event=found.event.event_name,
            args=DEFAULT_DECODER.abi_arguments(found.event, topic=found.topic),
            tx_hash=found.tx_hash,
            tx_index=found.tx_index,
            block_number=found.block_number,
            block_hash=found.block_hash,
            block_timestamp=block.timestamp,
            log_index=found.log_index,
            header=block.header,
            receipt=block.receipts[found.tx_index],
            receipt_proof=block.receipt_proof(found.tx_index),
            transaction=block.transactions[found.tx_index],
            transaction_proof=block.transaction_proof(found.tx_index),
        )

    def preload(self, project_id: int) -> ProjectLogs:
        """Read every log of `project_id` (and every identity) once; later lookups of this
        project are answered from memory. Returns the index (exports use it too)."""
        project = project_id.to_bytes(32, "big")
        index = ProjectLogs(
            project_id=project_id,
            registrations=self._logs_of(ContributionRegistered, project),
            history=self._logs(HISTORY_TYPES, project),
            policies=self._logs_of(PolicySet, project),
            anchors=self._logs_of(BatchAnchored, project),
            identities=self._logs_of(IdentitySet),
            exchange=self._exchange_logs(project),
        )
        self._index = index
        return index

    def _exchange_logs(self, project: bytes) -> list[FoundLog[Any]]:
        if self.exchange is None:
            return []
        return self._logs(EXCHANGE_TYPES, project, address=self.exchange)

    def _indexed(self, project_id: int) -> ProjectLogs | None:
        index = self._index
        return index if index is not None and index.project_id == project_id else None

    def registration_log(self, contribution_id: bytes) -> FoundLog[ContributionRegistered]:
        """The `ContributionRegistered` log of `contribution_id`; ProofError if none."""
        index = self._index
        if index is not None and contribution_id in index.registration_by_id:
            return index.registration_by_id[contribution_id]
        logs = self._logs_of(ContributionRegistered, None, contribution_id)
        if not logs:
            raise ProofError(f"no contribution {to_hex(contribution_id)} on this ledger")
        return logs[0]

    # -- building -----------------------------------------------------------------------------

    def build(
        self,
        contribution_id: bytes,
        *,
        content_hash: bytes,
        salt: bytes,
        card: ContributionCard | None = None,
    ) -> ProofBundle:
        """The proof bundle of `contribution_id`, opened with its content hash and salt, with
        its contribution card when the caller holds it.

        Raises ProofError when the contribution does not exist, the content hash and salt do
        not open its commitment, the card is not the one whose hash the contributor signed, or
        the node's data does not reproduce its own block hashes.
        """
        reg = self.registration_log(contribution_id)
        registered = reg.event
        # A registration of releases 1.x (before cards) has the event's other shape.
        before_cards = reg.topic != DEFAULT_DECODER.topic_of(ContributionRegistered)
        if before_cards and card is not None:
            raise ProofError(
                f"{to_hex(contribution_id)} was registered by a release before contribution "
                "cards: it has no card"
            )
        contributor = registered.contributor
        project_id = registered.project_id
        if compute_commitment(contributor, project_id, content_hash, salt) != registered.commitment:
            raise ProofError(
                f"content hash and salt do not open the commitment of {to_hex(contribution_id)}"
            )
        if card is not None and card.hash() != registered.card_hash:
            raise ProofError(
                f"the card hashes to {card.hash_hex()}, not to the cardHash "
                f"{to_hex(registered.card_hash)} the contributor signed"
            )
        main = self._log_proof(reg)
        policy, categories = self._policy(project_id, reg)
        if registered.category >= len(categories):
            raise ProofError(f"category {registered.category} is not in policy v{policy.version}")
        category = categories[registered.category]
        history = self._history(contribution_id, project_id)
        batch = self._batch(reg, before_cards) if registered.batch_id != ZERO_BYTES32 else None
        part = ContributionPart(
            contribution_id=contribution_id,
            project_id=project_id,
            contributor=contributor,
            content_hash=content_hash,
            salt=salt,
            commitment=registered.commitment,
            card_hash=None if before_cards else registered.card_hash,
            origin=registered.origin,
            category=CategoryPart(registered.category, category.name_text, category.unit_text),
            value=registered.value,
            parents=registered.parents,
            supersedes=registered.supersedes,
            uri=registered.uri,
            batch_id=registered.batch_id,
            registered_at=registered.registered_at,
            status=derived_status(history, contribution_id),
        )
        authorising = batch.anchor if batch else main
        return ProofBundle(
            contribution=part,
            identity=self._identity(contributor, reg),
            policy=policy,
            authorisation=self._authorisation(part, authorising, batch),
            chain=ChainPart(
                chain_id=self.chain_id,
                contract=self.ledger,
                tx_hash=reg.tx_hash,
                tx_index=reg.tx_index,
                block_number=reg.block_number,
                block_hash=reg.block_hash,
                block_timestamp=main.block_timestamp,
                log_index=reg.log_index,
                exchange=self.exchange,
            ),
            inclusion=Inclusion(
                header=main.header,
                receipt=main.receipt,
                receipt_proof=main.receipt_proof,
                transaction=main.transaction,
                transaction_proof=main.transaction_proof,
            ),
            batch=batch,
            history=tuple(history),
            card=None if card is None else card.to_json(),
            version=1 if before_cards else BUNDLE_VERSION,
        )

    @staticmethod
    def _before(logs: list[FoundLog[E]], reg: FoundLog[Any]) -> FoundLog[E] | None:
        earlier = [log for log in logs if log.position < reg.position]
        return earlier[-1] if earlier else None

    def identity_log(
        self, contributor: str, reg: FoundLog[ContributionRegistered]
    ) -> FoundLog[IdentitySet] | None:
        """The latest `IdentitySet` of `contributor` before the registration `reg`."""
        if self._index is not None:
            return self._before(self._index.identities_of(contributor), reg)
        account = from_hex(contributor).rjust(32, b"\0")
        return self._before(self._logs_of(IdentitySet, account, to_block=reg.block_number), reg)

    def policy_log(
        self, project_id: int, reg: FoundLog[ContributionRegistered]
    ) -> FoundLog[PolicySet] | None:
        """The `PolicySet` of the project in force at the registration `reg`."""
        index = self._indexed(project_id)
        if index is not None:
            return self._before(index.policies, reg)
        logs = self._logs_of(PolicySet, project_id.to_bytes(32, "big"), to_block=reg.block_number)
        return self._before(logs, reg)

    def history_logs(self, contribution_id: bytes, project_id: int) -> list[FoundLog[Any]]:
        """Every event about the contribution, and the registrations naming it as a parent,
        in chain order."""
        index = self._indexed(project_id)
        if index is not None:
            return index.history_of(contribution_id)
        project = project_id.to_bytes(32, "big")
        own = self._logs(HISTORY_TYPES, project, contribution_id)
        children = [
            log
            for log in self._logs_of(ContributionRegistered, project)
            if contribution_id in log.event.parents
        ]
        exchanged = exchange_history(self._exchange_logs(project)).get(contribution_id, [])
        return sorted(own + children + exchanged, key=lambda f: f.position)

    def _identity(
        self, contributor: str, reg: FoundLog[ContributionRegistered]
    ) -> IdentityPart | None:
        latest = self.identity_log(contributor, reg)
        if latest is None:
            return None
        return IdentityPart(
            name=latest.event.name,
            company_number=latest.event.company_number,
            evidence=self._log_proof(latest),
        )

    def _policy(
        self, project_id: int, reg: FoundLog[ContributionRegistered]
    ) -> tuple[PolicyPart, tuple[Any, ...]]:
        latest = self.policy_log(project_id, reg)
        if latest is None:
            raise ProofError(f"project {project_id} has no policy before the registration")
        part = PolicyPart(
            version=latest.event.version,
            policy_hash=latest.event.policy_hash,
            evidence=self._log_proof(latest),
        )
        return part, latest.event.policy.categories

    def _history(self, contribution_id: bytes, project_id: int) -> list[LogProof]:
        return [self._log_proof(log) for log in self.history_logs(contribution_id, project_id)]

    def _batch(self, reg: FoundLog[ContributionRegistered], before_cards: bool) -> BatchPart:
        registered = reg.event
        batch_id = registered.batch_id
        index = self._indexed(registered.project_id)
        anchors = (
            [index.anchor_by_batch[batch_id]]
            if index is not None and batch_id in index.anchor_by_batch
            else self._logs_of(BatchAnchored, registered.project_id.to_bytes(32, "big"), batch_id)
        )
        if not anchors:
            raise ProofError(f"batch {to_hex(batch_id)} has no BatchAnchored log")
        anchor = anchors[0]
        # The Merkle path travels in the reveal transaction's calldata; take it from there.
        block = self._block(reg.block_hash)
        name, call = self.functions.decode(_calldata(block.transactions[reg.tx_index]))
        if name != "revealBatched":
            raise ProofError(f"batched contribution revealed by {name}, not revealBatched")
        leaf = BatchLeaf(
            commitment=registered.commitment,
            origin=registered.origin,
            category=registered.category,
            value=registered.value,
            parents=registered.parents,
            card_hash=registered.card_hash,
        )
        return BatchPart(
            root=anchor.event.root,
            count=anchor.event.count,
            leaf_hash=leaf_hash_v1(leaf) if before_cards else leaf_hash(leaf),
            merkle_proof=tuple(from_hex(n) for n in call["proof"]),
            anchor=self._log_proof(anchor),
        )

    def _authorisation(
        self, part: ContributionPart, authorising: LogProof, batch: BatchPart | None
    ) -> Authorisation:
        tx = authorising.transaction
        name, call = self.functions.decode(_calldata(tx))
        if name in ("register", "anchorBatch"):
            return Authorisation(method="transaction", signer=part.contributor)
        if name not in ("registerBySig", "anchorBatchBySig"):
            raise ProofError(f"registration made by {name}: cannot tell who authorised it")
        auth = call["auth"]
        data = typed_data_for(
            part,
            batch,
            chain_id=self.chain_id,
            contract=self.ledger,
            signer=auth["signer"],
            nonce=int(auth["nonce"]),
            deadline=int(auth["deadline"]),
            anchor_uri=str(batch.anchor.args["uri"]) if batch else "",
        )
        return Authorisation(
            method="eip712",
            signer=checksum(auth["signer"]),
            primary_type=str(data["primaryType"]),
            nonce=int(auth["nonce"]),
            deadline=int(auth["deadline"]),
            signature=from_hex(auth["signature"]),
            typed_data=data,
        )


def _calldata(raw_tx: bytes) -> bytes:
    return decode_transaction(raw_tx).data

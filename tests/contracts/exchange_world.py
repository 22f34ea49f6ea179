"""The starting state of the PocExchange tests: the shared world (see `tests.contracts.world`)
on a chain of its own, with a PocExchange deployed beside the ledger.

Project 1 is in force with partners alice, bob, carol and dave; eve is never a partner. No
exchange settings are set (the defaults apply) and nobody has published a key. Commitments and
ids are recomputed here with eth-abi from the formulas in IPocExchange's NatSpec, not taken from
the library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from web3.contract import Contract

from tests.contracts.support import DAY, Actor, Chain, event, hexb
from tests.contracts.world import World, build_world

# IPocExchange's enums, in declaration order.
R_NONE, R_PENDING, R_ACKNOWLEDGED, R_DECLINED = range(4)
CARRYING_OUT_PROJECT, EXPLOITING_OWN_RESULTS = range(2)
ROYALTY_FREE, FAIR_AND_REASONABLE = range(2)
Q_NONE, Q_OPEN, Q_GRANTED, Q_REFUSED, Q_WITHDRAWN = range(5)

DEFAULT_ANSWER_PERIOD = 30 * DAY
DEFAULT_REQUEST_PERIOD_AFTER_END = 365 * DAY

TERMS = keccak(text="access terms: royalty-free for the project")
REASON = keccak(text="the Background is excluded in Attachment 1")
PUBLIC_KEY = keccak(text="an X25519 public key")


def content_commitment(sharer: str, project_id: int, document: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(sharer, projectId, sha256(document), salt))."""
    return keccak(
        abi_encode(
            ["address", "uint32", "bytes32", "bytes32"],
            [sharer, project_id, hashlib.sha256(document).digest(), salt],
        )
    )


def disclosure_id_of(project_id: int, sharer: str, commitment: bytes) -> bytes:
    """keccak256(abi.encode(projectId, sharer, contentCommitment))."""
    return keccak(abi_encode(["uint32", "address", "bytes32"], [project_id, sharer, commitment]))


@dataclass
class ExchangeWorld:
    world: World
    exchange: Contract
    _documents: count[int] = field(default_factory=count)

    @property
    def chain(self) -> Chain:
        return self.world.chain

    @property
    def project(self) -> int:
        return self.world.project

    # ---------------------------------------------------------------------- disclosures

    def commitment(self, sharer: Actor, project_id: int | None = None) -> bytes:
        """A fresh document's commitment (new document, new salt)."""
        n = next(self._documents)
        return content_commitment(
            sharer.address,
            project_id or self.project,
            f"know-how {n}".encode(),
            keccak(text=f"disclosure salt {n}"),
        )

    def disclose(
        self,
        sharer: Actor,
        recipients: Sequence[Actor | str],
        *,
        commitment: bytes | None = None,
        references: Sequence[bytes] = (),
        project_id: int | None = None,
    ) -> tuple[bytes, bytes]:
        """Disclose as `sharer`; returns (disclosure id, commitment)."""
        project_id = project_id or self.project
        commitment = commitment or self.commitment(sharer, project_id)
        addresses = [r.address if isinstance(r, Actor) else r for r in recipients]
        receipt = self.chain.send(
            self.exchange.functions.disclose(project_id, commitment, addresses, list(references)),
            sharer,
        )
        return hexb(event(self.exchange, "Disclosed", receipt)["disclosureId"]), commitment

    def acknowledge(
        self, recipient: Actor, disclosure_id: bytes, commitment: bytes, sharer: Actor
    ) -> Any:
        return self.chain.send(
            self.exchange.functions.acknowledge(
                self.project, disclosure_id, commitment, sharer.address
            ),
            recipient,
        )

    def receipt(self, disclosure_id: bytes, recipient: Actor) -> tuple[int, int, int]:
        status, answered_at, version = self.exchange.functions.receipt(
            disclosure_id, recipient.address
        ).call()
        return int(status), int(answered_at), int(version)

    # ---------------------------------------------------------------------- access rights

    def request(
        self,
        requester: Actor,
        contribution_id: bytes,
        purpose: int = CARRYING_OUT_PROJECT,
        terms: int = ROYALTY_FREE,
        terms_hash: bytes = TERMS,
    ) -> int:
        receipt = self.chain.send(
            self.exchange.functions.requestAccess(
                self.project, contribution_id, purpose, terms, terms_hash
            ),
            requester,
        )
        return int(event(self.exchange, "AccessRequested", receipt)["requestId"])

    def access_request(self, request_id: int, project_id: int | None = None) -> dict[str, Any]:
        fields = (
            "requester",
            "projectId",
            "requestedAt",
            "purpose",
            "proposedTerms",
            "status",
            "owner",
            "answerDeadline",
            "answeredAt",
            "grantedTerms",
            "contributionId",
            "overdue",
        )
        values = self.exchange.functions.accessRequest(
            project_id or self.project, request_id
        ).call()
        return dict(zip(fields, values, strict=True))

    # ---------------------------------------------------------------------- settings

    def settings(self, project_id: int | None = None) -> tuple[tuple[int, int, int], int]:
        values, version = self.exchange.functions.exchangeSettings(
            project_id or self.project
        ).call()
        return tuple(values), int(version)

    def draft_project(self, coordinator: Actor, partners: Sequence[Actor]) -> int:
        """A project whose agreement is not in force yet (nobody accepted)."""
        return self.world.create_project(coordinator, list(partners))


def build_exchange_world() -> ExchangeWorld:
    world = build_world(Chain.start())
    exchange = world.chain.deploy("PocExchange", world.ledger.address, sender=world.deployer)
    return ExchangeWorld(world=world, exchange=exchange)

"""A small consortium history to build proof bundles from (used by the proof, certificate and
export tests).

Project with alice (coordinator, "Vlasverwerking Dewaele NV"), bob ("UGent Lab Textiles") and
carol (no declared identity):

- `a`: alice registers directly (Background, person-hours) with a contribution card; bob and
  carol endorse it; bob's `b` builds on it; alice later supersedes it with `a2` and renames her
  organisation;
- `b`: bob registers by EIP-712 signature through the relayer (Result, funding, parent `a`,
  a uri); alice disputes it, carol upholds: `b` is Invalidated;
- `c`: carol anchors a batch of three by signature (relayed), and the relayer reveals one;
- `d`: alice anchors a batch of two herself, each leaf with a card's hash, and reveals one;
- `e`: carol registers directly, then withdraws it (Withdrawn).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from ledger.chain import signing
from ledger.chain.transactions import TxSender
from ledger.domain import hashing, merkle
from ledger.domain.cards import ContributionCard
from ledger.domain.values import BatchLeaf, Origin, Registration

#: The cards of `a` and `d` (the others have none).
CARD_A = ContributionCard.create(
    title="Flax retting trial results",
    description="Field trial of dew retting on 4 plots.",
    file_name="retting-protocol.pdf",
    media_type="application/pdf",
    size=52_113,
    keywords=["flax", "retting"],
)


@dataclass(frozen=True)
class Opened:
    """A registered contribution and what opens it (held by the partner)."""

    contribution_id: bytes
    content: bytes
    content_hash: bytes
    salt: bytes
    # The contribution's card, when it was registered with one (its hash is on the chain).
    card: ContributionCard | None = None


@dataclass
class Scenario:
    project_id: int
    items: dict[str, Opened] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Opened:
        return self.items[name]


def _content(label: str) -> tuple[bytes, bytes, bytes]:
    content = f"{label}: {secrets.token_hex(8)}".encode()
    return content, hashing.sha256_bytes(content), hashing.new_salt()


def build_scenario(env: Any) -> Scenario:
    ledger = env.ledger
    alice: TxSender = env.alice
    bob: TxSender = env.bob
    carol: TxSender = env.carol
    relayer: TxSender = env.relayer
    project = env.create_project()
    scenario = Scenario(project)
    ledger.set_identity(alice, "Vlasverwerking Dewaele NV", "BE0412.345.678")
    ledger.set_identity(bob, "UGent Lab Textiles", "")

    def opened(
        name: str,
        cid: bytes,
        content: bytes,
        digest: bytes,
        salt: bytes,
        card: ContributionCard | None = None,
    ) -> None:
        scenario.items[name] = Opened(cid, content, digest, salt, card)

    # a: direct registration
    content, digest, salt = _content("flax retting protocol")
    commitment = hashing.commitment(alice.address, project, digest, salt)
    registration = Registration(
        project, commitment, Origin.BACKGROUND, 0, 40, card_hash=CARD_A.hash()
    )
    a = ledger.register(alice, registration).value
    opened("a", a, content, digest, salt, CARD_A)

    # b: by signature, builds on a
    content, digest, salt = _content("fibre strength dataset")
    commitment = hashing.commitment(bob.address, project, digest, salt)
    registration = Registration(
        project, commitment, Origin.RESULT, 1, 250_000, parents=(a,), uri="ipfs://bafy-demo"
    )
    data = signing.register_data(
        ledger.domain,
        registration=registration,
        signer=bob.address,
        nonce=7,
        deadline=env.deadline(),
    )
    b = ledger.register_by_sig(relayer, registration, env.sign(bob, data)).value
    opened("b", b, content, digest, salt)

    # c: carol's batch of three, anchored by signature, one revealed by the relayer
    leaves = []
    batch_items = []
    for i in range(3):
        content, digest, salt = _content(f"carol lab note {i}")
        commitment = hashing.commitment(carol.address, project, digest, salt)
        leaves.append(BatchLeaf(commitment, Origin.RESULT, 0, 5 + i))
        batch_items.append((content, digest, salt))
    tree = merkle.MerkleTree.of(leaves)
    data = signing.anchor_batch_data(
        ledger.domain,
        project_id=project,
        root=tree.root,
        count=3,
        uri="batch://carol/1",
        signer=carol.address,
        nonce=3,
        deadline=env.deadline(),
    )
    batch = ledger.anchor_batch_by_sig(
        relayer, project, tree.root, 3, "batch://carol/1", env.sign(carol, data)
    ).value
    c = ledger.reveal_batched(relayer, project, batch, leaves[1], tree.proof(1)).value
    opened("c", c, *batch_items[1])

    # d: alice's own batch of two
    leaves = []
    batch_items = []
    cards = []
    for i in range(2):
        content, digest, salt = _content(f"alice pilot run {i}")
        commitment = hashing.commitment(alice.address, project, digest, salt)
        card = ContributionCard.create(title=f"Pilot run {i}", keywords=["pilot"])
        leaves.append(
            BatchLeaf(commitment, Origin.RESULT, 0, 12, parents=(a,), card_hash=card.hash())
        )
        batch_items.append((content, digest, salt))
        cards.append(card)
    tree = merkle.MerkleTree.of(leaves)
    batch = ledger.anchor_batch(alice, project, tree.root, 2).value
    d = ledger.reveal_batched(alice, project, batch, leaves[0], tree.proof(0)).value
    opened("d", d, *batch_items[0], cards[0])

    # history
    ledger.endorse(bob, project, a, 4)
    ledger.endorse(carol, project, a, 5)
    ledger.endorse(alice, project, c, 3)
    reason = hashing.reason_hash(hashing.text_hash("not new: published in 2019"), bytes(32))
    ledger.open_dispute(alice, project, b, reason)
    ledger.vote_dispute(carol, project, b, True)
    content, digest, salt = _content("flax retting protocol v2")
    commitment = hashing.commitment(alice.address, project, digest, salt)
    a2 = ledger.register(
        alice, Registration(project, commitment, Origin.BACKGROUND, 0, 44, supersedes=a)
    ).value
    opened("a2", a2, content, digest, salt)
    ledger.set_identity(alice, "Dewaele Flax Group NV", "BE0412.345.678")

    # e: registered, then withdrawn by its contributor
    content, digest, salt = _content("carol draft report")
    commitment = hashing.commitment(carol.address, project, digest, salt)
    e = ledger.register(carol, Registration(project, commitment, Origin.RESULT, 0, 3)).value
    ledger.withdraw_contribution(carol, project, e)
    opened("e", e, content, digest, salt)
    return scenario

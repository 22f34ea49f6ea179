"""Merkle batches: many contributions anchored in one transaction, revealed leaf by leaf.

The partner sends the leaves (commitment, origin, category, value, parents, and the card or
its hash: the leaf holds the card's hash, the service keeps the card sealed); the API builds
the OpenZeppelin-compatible tree (`ledger.domain.merkle`), has the partner sign `AnchorBatch` over
its root, and keeps the leaves with the operation so that each can be revealed later with its
proof (`revealBatched`, which anyone may relay: the anchoring already proves who and when).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.deps import LEDGER
from api.errors import (
    ERROR_RESPONSES,
    ErrorDetail,
    NotFoundError,
    UnprocessableError,
    WrongActorError,
)
from api.schemas.batches import BatchCreate, BatchFields, LeafFields, RevealCreate
from api.schemas.operations import OperationPublic, PreparedPublic
from api.services.writes import (
    ACCEPTED_RESPONSES,
    SignedAction,
    Writes,
    WritesDep,
    relayer_call,
    signed_call,
)
from ledger.chain.signing import anchor_batch_data
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import ZERO_BYTES32, to_hex
from ledger.domain.hashing import batch_id, contribution_id
from ledger.domain.merkle import MerkleTree, leaf_from_json, leaf_to_json
from ledger.domain.values import BatchLeaf, Origin
from ledger.errors import RecordFormatError
from ledger.store.outbox import OperationRecord

router = APIRouter(tags=["contributions"], responses=ERROR_RESPONSES)

ProjectIdPath = Annotated[
    int, Path(alias="projectId", ge=1, le=2**32 - 1, description="Project id.")
]
BatchIdPath = Annotated[
    str, Path(alias="batchId", pattern=r"^0x[0-9a-fA-F]{64}$", description="Batch id.")
]


def _leaf(item: LeafFields, card: ContributionCard | None) -> BatchLeaf:
    card_hash = (
        card.hash()
        if card is not None
        else bytes.fromhex(item.card_hash[2:])
        if item.card_hash
        else ZERO_BYTES32
    )
    try:
        return BatchLeaf(
            commitment=bytes.fromhex(item.commitment[2:]),
            origin=Origin.RESULT if item.origin == "result" else Origin.BACKGROUND,
            category=item.category,
            value=item.value,
            parents=tuple(bytes.fromhex(p[2:]) for p in item.parents),
            card_hash=card_hash,
        )
    except ValueError as exc:
        raise UnprocessableError(str(exc)) from exc


def _cards(writes: Writes, project_id: int, body: BatchFields) -> list[ContributionCard | None]:
    """The card of each leaf (None where it brings none, or only a hash). A bad card is
    refused with its code and the leaf it is in (`items[3].card.title`)."""
    cards: list[ContributionCard | None] = []
    for index, item in enumerate(body.items):
        if item.card is None:
            cards.append(None)
            continue
        try:
            cards.append(
                writes.services.records.card_for(
                    project_id=project_id,
                    author=writes.actor,
                    commitment=item.commitment,
                    fields=item.card,
                    parents=item.parents,
                    card_hash=item.card_hash,
                )
            )
        except RecordFormatError as exc:
            where = f"items[{index}].card" + (f".{exc.field}" if exc.field else "")
            raise UnprocessableError(
                str(exc), code=exc.code, details=[ErrorDetail(location=where, message=str(exc))]
            ) from exc
    return cards


def kept_batch(body: BatchCreate, cards: list[ContributionCard | None]) -> BatchCreate:
    """The body as the outbox may fingerprint it: each card's words replaced by its hash."""
    items = [
        item
        if card is None
        else item.model_copy(update={"card": None, "card_hash": card.hash_hex()})
        for item, card in zip(body.items, cards, strict=True)
    ]
    return body.model_copy(update={"items": items})


def _anchor_action(
    writes: Writes, project_id: int, body: BatchFields, cards: list[ContributionCard | None]
) -> SignedAction:
    tree = MerkleTree.of([_leaf(item, card) for item, card in zip(body.items, cards, strict=True)])
    root, count = tree.root, len(tree)
    gas = writes.services.require_chain().ledger.gas_limit(
        "anchorBatch", size=len(body.uri.encode()), by_sig=True
    )
    batch = to_hex(batch_id(project_id, writes.actor, root))
    return SignedAction(
        kind="anchor_batch",
        contract=LEDGER,
        project_id=project_id,
        typed_data=lambda domain, signer, nonce, deadline: anchor_batch_data(
            domain,
            project_id=project_id,
            root=root,
            count=count,
            uri=body.uri,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            LEDGER, "anchorBatchBySig", (project_id, root, count, body.uri), auth, gas
        ),
        dedupe_key=f"batch:{batch}",
        meta={
            "batch_id": batch,
            "root": to_hex(root),
            "leaves": [leaf_to_json(leaf) for leaf in tree.leaves],
        },
        keep=lambda: _keep_cards(writes, project_id, body, cards),
    )


def _keep_cards(
    writes: Writes, project_id: int, body: BatchFields, cards: list[ContributionCard | None]
) -> None:
    """Keep (sealed) each leaf's card under the contribution id its reveal will have."""
    for item, card in zip(body.items, cards, strict=True):
        if card is None:
            continue
        cid = contribution_id(project_id, writes.actor, bytes.fromhex(item.commitment[2:]))
        writes.services.records.keep_card(
            project_id=project_id, contribution_id=to_hex(cid), card=card, author=writes.actor
        )


@router.post(
    "/projects/{projectId}/batches",
    status_code=202,
    response_model=OperationPublic,
    responses=ACCEPTED_RESPONSES,
    summary="Anchor a batch of contributions",
)
def anchor_batch(writes: WritesDep, project_id: ProjectIdPath, body: BatchCreate) -> JSONResponse:
    """Anchor up to 10,000 contributions under one Merkle root in one transaction. The
    operation's `resourceId` is the batch id once included."""
    cards = _cards(writes, project_id, body)
    return writes.submit(
        _anchor_action(writes, project_id, body, cards), body, kept_batch(body, cards)
    )


@router.post(
    "/projects/{projectId}/batches/prepare",
    response_model=PreparedPublic,
    summary="Prepare a batch for signing",
)
def prepare_batch(
    writes: WritesDep, project_id: ProjectIdPath, body: BatchFields
) -> PreparedPublic:
    """Non-custodial mode: the typed data to sign (it names the Merkle root)."""
    return writes.prepare(
        _anchor_action(writes, project_id, body, _cards(writes, project_id, body))
    )


def _anchored(writes: Writes, batch: str) -> OperationRecord:
    op = writes.services.store.outbox.find_operation(
        actor=writes.actor, dedupe_key=f"batch:{batch.lower()}"
    )
    if op is None or op.meta_json is None:
        raise NotFoundError(
            f"no batch {batch} anchored through this service", code="batch_not_found"
        )
    if op.actor != writes.actor:
        raise WrongActorError(
            f"batch {batch} is {op.actor}'s, this API key acts for {writes.actor}"
        )
    return op


@router.post(
    "/batches/{batchId}/reveal",
    status_code=202,
    response_model=list[OperationPublic],
    summary="Reveal batched contributions",
)
def reveal(writes: WritesDep, batch_id: BatchIdPath, body: RevealCreate) -> list[OperationPublic]:
    """Bring batched contributions into the lifecycle (endorsable, disputable) by their Merkle
    proofs; one operation per leaf. Revealing a leaf twice returns its first operation."""
    anchored = _anchored(writes, batch_id)
    meta = json.loads(anchored.meta_json or "{}")
    leaves = [leaf_from_json(value) for value in meta["leaves"]]
    tree = MerkleTree.of(leaves)
    indices = body.indices if body.indices is not None else list(range(len(leaves)))
    if any(i >= len(leaves) for i in indices):
        raise UnprocessableError(f"the batch has {len(leaves)} leaves", code="invalid_request")
    ledger = writes.services.require_chain().ledger
    bid = bytes.fromhex(batch_id[2:])
    results: list[OperationPublic] = []
    # One request, many operations: each leaf's own dedupe key makes the repeat safe, an
    # Idempotency-Key would wrongly map every leaf to the first one.
    writes.idempotency_key = None
    for index in indices:
        leaf, proof = leaves[index], tree.proof(index)
        gas = ledger.gas_limit("revealBatched", items=len(proof) + len(leaf.parents))
        call = relayer_call(
            LEDGER,
            "revealBatched",
            (anchored.project_id, bid, leaf.as_abi(), list(proof)),
            gas,
        )
        response = writes.accept(
            "reveal",
            call,
            None,
            project_id=anchored.project_id,
            dedupe_key=f"reveal:{batch_id.lower()}:{'0x' + leaf.commitment.hex()}",
        )
        results.append(OperationPublic.model_validate_json(bytes(response.body)))
    return results

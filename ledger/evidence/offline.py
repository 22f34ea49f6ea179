"""The offline checks of a proof bundle: from the bundle alone, no node.

Commitment and id, the registration's log proof, the authorisation (EIP-712 signature or the
contributor's own transaction), policy, identity, batch (Merkle path and anchor), every history
entry, log indexes and the status the history implies; the list with what each check proves is
at the top of `ledger.evidence.verifier`. Each check is a function of `Problems`, run by
`Run.run` (`ledger.evidence.checks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations
from typing import Any, Final

from eth_account import Account
from eth_utils.address import to_canonical_address

from ledger.chain.signing import recover_signer
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import ZERO_BYTES32, from_hex, to_hex
from ledger.domain.hashing import batch_id as compute_batch_id
from ledger.domain.hashing import commitment as compute_commitment
from ledger.domain.hashing import contribution_id as compute_contribution_id
from ledger.domain.merkle import leaf_hash, leaf_hash_v1, process_proof
from ledger.domain.values import BatchLeaf, Origin, bytes32_to_text
from ledger.errors import LedgerError
from ledger.evidence.block_evidence import decode_transaction
from ledger.evidence.bundle import (
    CHILD_EVENT,
    COMMITMENT_FORMULA,
    DISCLOSURE_EVENT,
    EXCHANGE_HISTORY_EVENTS,
    HASH_ALGORITHM,
    HISTORY_EVENTS,
    RECEIPT_EVENTS,
    LogProof,
    derived_status,
    ledger_functions,
    typed_data_for,
)
from ledger.evidence.checks import Located, Problems, Run, diff_paths, norm, prove_log
from ledger.evidence.format_check import clip


def verify_offline(run: Run, file_sha256: bytes | None) -> None:
    """Run every offline check of `run.bundle` (with the file's SHA-256, if given)."""
    b = run.bundle
    c = b.contribution
    doc = run.document

    if file_sha256 is not None:
        run.run(
            "file",
            lambda p: (
                "SHA-256 of the file equals the content hash"
                if p.expect(
                    file_sha256 == c.content_hash,
                    f"the file's SHA-256 is {to_hex(file_sha256)}, not the content hash",
                    "contribution.contentHash",
                )
                else ""
            ),
        )

    def commitment(p: Problems) -> str:
        p.expect(
            c.hash_algorithm == HASH_ALGORITHM,
            "unknown hash algorithm",
            "contribution.hashAlgorithm",
        )
        p.expect(
            c.commitment_formula == COMMITMENT_FORMULA,
            "not the ledger's formula",
            "contribution.commitmentFormula",
        )
        recomputed = compute_commitment(c.contributor, c.project_id, c.content_hash, c.salt)
        p.expect(
            recomputed == c.commitment,
            "keccak256(abi.encode(contributor, projectId, contentHash, salt)) is "
            f"{to_hex(recomputed)}, not the stated commitment",
            "contribution.commitment",
            "contribution.contributor",
            "contribution.projectId",
            "contribution.contentHash",
            "contribution.salt",
        )
        cid = compute_contribution_id(c.project_id, c.contributor, c.commitment)
        p.expect(
            cid == c.contribution_id,
            f"keccak256(abi.encode(projectId, contributor, commitment)) is {to_hex(cid)}, not "
            "the stated contribution id",
            "contribution.contributionId",
            "contribution.projectId",
            "contribution.contributor",
            "contribution.commitment",
        )
        return "content hash and salt open the commitment; the contribution id recomputes"

    run.run("commitment", commitment, "contribution")

    main = LogProof(
        event="ContributionRegistered",
        args=_registered_args(doc["contribution"]),
        tx_hash=b.chain.tx_hash,
        tx_index=b.chain.tx_index,
        block_number=b.chain.block_number,
        block_hash=b.chain.block_hash,
        block_timestamp=b.chain.block_timestamp,
        log_index=b.chain.log_index,
        header=b.inclusion.header,
        receipt=b.inclusion.receipt,
        receipt_proof=b.inclusion.receipt_proof,
        transaction=b.inclusion.transaction,
        transaction_proof=b.inclusion.transaction_proof,
    )

    def registration(p: Problems) -> str:
        # The stated fields live under `contribution`; name them there, not as log args.
        inner = Problems()
        located, _ = prove_log(
            inner,
            path="inclusion",
            chain_path="chain",
            evidence=main,
            contract=b.chain.contract,
            chain_id=b.chain.chain_id,
            event_field=None,
        )
        for item in inner.items:
            p.add(item.message, *(_stated_field(f) for f in item.fields))
        run.located.append(located)
        tx = decode_transaction(b.inclusion.transaction)
        if not b.contribution.is_batched:
            p.expect(
                tx.to == to_canonical_address(b.chain.contract),
                "the transaction was not sent to the stated contract",
                "chain.contract",
            )
        return (
            f"header hashes to block {to_hex(b.chain.block_hash)[:18]}…; transaction "
            f"{to_hex(b.chain.tx_hash)[:18]}… and its receipt are in the block's tries; the "
            "ContributionRegistered log decodes to every stated field"
        )

    run.run("registration", registration, "inclusion")
    run.run("authorisation", lambda p: _check_authorisation(run, p), "authorisation")
    if b.version >= 2:
        run.run("card", lambda p: _check_card(run, p), "card")
    run.run("policy", lambda p: _check_policy(run, p), "policy")
    run.run("identity", lambda p: _check_identity(run, p), "identity")
    if b.batch is not None or c.is_batched:
        run.run("batch", lambda p: _check_batch(run, p), "batch")
    for index, entry in enumerate(b.history):
        run.run(
            f"history[{index}] {entry.event}",
            lambda p, i=index, e=entry: _check_history(run, p, i, e),  # type: ignore[misc]
            f"history[{index}]",
        )

    run.run("log indexes", lambda p: _check_log_indexes(run.located, p), "chain.logIndex")

    def status(p: Problems) -> str:
        implied = derived_status(b.history, c.contribution_id)
        p.expect(
            implied == c.status,
            f"the history makes it {implied.name.title()}, not {c.status.name.title()}",
            "contribution.status",
        )
        return f"{c.status.name.title()}, as its history implies"

    run.run("status", status, "contribution.status")


# ContributionRegistered argument -> the bundle field stating it.
_REGISTERED_FIELD: Final = {
    "inclusion.args.projectId": "contribution.projectId",
    "inclusion.args.contributionId": "contribution.contributionId",
    "inclusion.args.contributor": "contribution.contributor",
    "inclusion.args.commitment": "contribution.commitment",
    "inclusion.args.cardHash": "contribution.cardHash",
    "inclusion.args.origin": "contribution.origin",
    "inclusion.args.category": "contribution.category.id",
    "inclusion.args.value": "contribution.value",
    "inclusion.args.parents": "contribution.parents",
    "inclusion.args.supersedes": "contribution.supersedes",
    "inclusion.args.batchId": "contribution.batchId",
    "inclusion.args.registeredAt": "contribution.registeredAt",
    "inclusion.args.uri": "contribution.uri",
}


def _stated_field(path: str) -> str:
    """The bundle field that states a ContributionRegistered argument (`inclusion.args.value`
    -> `contribution.value`, `inclusion.args.parents[1]` -> `contribution.parents[1]`)."""
    for arg, stated in _REGISTERED_FIELD.items():
        if path == arg or path.startswith((arg + "[", arg + ".")):
            return stated + path[len(arg) :]
    return path


def _registered_args(contribution: Mapping[str, Any]) -> dict[str, Any]:
    """The ContributionRegistered arguments the bundle's `contribution` states."""
    try:
        registered_at: Any = _unix(contribution["registeredAt"])
    except ValueError:
        registered_at = contribution["registeredAt"]
    origin = contribution["origin"]
    # Format 2 states the card hash (the event has it from release 2.0.0 on); format 1 does not.
    card = {"cardHash": contribution["cardHash"]} if "cardHash" in contribution else {}
    return {
        "projectId": contribution["projectId"],
        "contributionId": contribution["contributionId"],
        "contributor": contribution["contributor"],
        "commitment": contribution["commitment"],
        **card,
        "origin": int(Origin[origin.upper()]) if origin.upper() in Origin.__members__ else origin,
        "category": contribution["category"]["id"],
        "value": contribution["value"],
        "parents": list(contribution["parents"]),
        "supersedes": contribution["supersedes"],
        "batchId": contribution["batchId"],
        "registeredAt": registered_at,
        "uri": contribution["uri"],
    }


def _unix(text: str) -> int:
    from ledger.evidence.bundle import parse_iso_utc

    return parse_iso_utc(text)


def _check_authorisation(run: Run, p: Problems) -> str:
    b = run.bundle
    c = b.contribution
    a = b.authorisation
    authorising = b.batch.anchor.transaction if b.batch else b.inclusion.transaction
    tx_path = "batch.anchor.transaction" if b.batch else "inclusion.transaction"
    p.expect(
        a.signer.lower() == c.contributor.lower(),
        "the authorisation's signer is not the contributor",
        "authorisation.signer",
        "contribution.contributor",
    )
    name, call = ledger_functions().decode(decode_transaction(authorising).data)
    if a.method == "transaction":
        expected = "anchorBatch" if b.batch else "register"
        p.expect(
            name == expected,
            f"the transaction calls {name}, not {expected}",
            "authorisation.method",
        )
        try:
            sender = Account.recover_transaction(authorising)
        except Exception as exc:  # eth-account raises rlp's, eth-keys' and its own errors
            p.add(f"the transaction's sender does not recover: {type(exc).__name__}", tx_path)
            return ""
        p.expect(
            sender.lower() == c.contributor.lower(),
            f"the transaction was signed by {sender}, not by the contributor",
            "contribution.contributor",
            tx_path,
        )
        if name == "register":
            _compare_registration(p, call["registration"], run.document["contribution"])
        elif name == "anchorBatch" and b.batch:
            _compare_anchor_call(p, call, run)
        return f"the contributor's own transaction (sender {sender})"
    # EIP-712: rebuild the typed data from the stated fields, never from the bundled copy.
    assert a.nonce is not None and a.deadline is not None and a.signature is not None
    expected_type = "AnchorBatch" if b.batch else "Register"
    p.expect(
        a.primary_type == expected_type,
        f"primary type must be {expected_type}",
        "authorisation.primaryType",
    )
    rebuilt = typed_data_for(
        c,
        b.batch,
        chain_id=b.chain.chain_id,
        contract=b.chain.contract,
        signer=a.signer,
        nonce=a.nonce,
        deadline=a.deadline,
        anchor_uri=str(b.batch.anchor.args.get("uri", "")) if b.batch else "",
    )
    differing = diff_paths(
        run.document["authorisation"]["typedData"], rebuilt, "authorisation.typedData"
    )
    p.expect(not differing, "the bundled typed data is not the one the fields give", *differing)
    inputs = [
        "authorisation.signature",
        "authorisation.signer",
        "authorisation.nonce",
        "authorisation.deadline",
        "chain.chainId",
        "chain.contract",
    ]
    if b.batch:
        inputs += ["batch.root", "batch.count", "batch.anchor.args.uri"]
    else:
        inputs += [
            f"contribution.{f}"
            for f in (
                "projectId",
                "commitment",
                *(("cardHash",) if c.card_hash is not None else ()),
                "origin",
                "category.id",
                "value",
                "parents",
                "supersedes",
                "uri",
            )
        ]
    try:
        recovered = recover_signer(rebuilt, a.signature)
        p.expect(
            recovered.lower() == c.contributor.lower(),
            f"the signature over the rebuilt typed data recovers {recovered}, not the contributor",
            *inputs,
        )
    except Exception as exc:  # a SigningError, or the typed data does not even encode
        p.add(f"the signature does not recover: {clip(str(exc))}", *inputs)
    expected_call = "anchorBatchBySig" if b.batch else "registerBySig"
    if p.expect(
        name == expected_call,
        f"the transaction calls {name}, not {expected_call}",
        "authorisation.method",
        tx_path,
    ):
        auth = call["auth"]
        for key, stated, path in (
            ("signer", a.signer, "authorisation.signer"),
            ("nonce", a.nonce, "authorisation.nonce"),
            ("deadline", a.deadline, "authorisation.deadline"),
            ("signature", to_hex(a.signature), "authorisation.signature"),
        ):
            p.expect(
                norm(auth[key]) == norm(stated), f"the transaction relayed another {key}", path
            )
        if name == "registerBySig":
            _compare_registration(p, call["registration"], run.document["contribution"])
        elif b.batch:
            _compare_anchor_call(p, call, run)
    return f"EIP-712 {expected_type} signature recovers the contributor {c.contributor}"


def _compare_registration(p: Problems, call: Mapping[str, Any], contribution: Any) -> None:
    stated = _registered_args(contribution)
    if ("cardHash" in stated) != ("cardHash" in call):
        p.add(
            "the transaction is of another release than the bundle's format (card hash)",
            "contribution.cardHash" if "cardHash" in stated else "version",
        )
        return
    for key in (
        "projectId",
        "commitment",
        *(("cardHash",) if "cardHash" in stated else ()),
        "origin",
        "category",
        "value",
        "parents",
        "supersedes",
        "uri",
    ):
        differing = diff_paths(stated[key], call[key], f"inclusion.args.{key}")
        if differing:
            p.add(
                f"the transaction registered another {key}",
                *(_stated_field(f) for f in differing),
            )


def _check_card(run: Run, p: Problems) -> str:
    """The bundled card is the one whose hash the contributor signed (the `cardHash` the
    registration log, the signature and the calldata were checked to carry)."""
    b = run.bundle
    signed = b.contribution.card_hash
    assert signed is not None  # format 2
    if b.card is None:
        if signed == ZERO_BYTES32:
            return "registered without a card"
        return f"the card is not in the bundle; its hash {to_hex(signed)[:18]}… is signed"
    if not p.expect(
        signed != ZERO_BYTES32,
        "the bundle carries a card, but the contribution was registered without one",
        "card",
        "contribution.cardHash",
    ):
        return ""
    try:
        card = ContributionCard.from_json(b.card)
    except LedgerError as exc:
        field = getattr(exc, "field", None)
        p.add(f"the card is malformed: {clip(str(exc))}", f"card.{field}" if field else "card")
        return ""
    p.expect(
        card.hash() == signed,
        f"the card hashes to {card.hash_hex()}, not to the signed cardHash {to_hex(signed)}: "
        "it was changed after registration",
        "card",
    )
    return f"the card ({card.title!r}) hashes to the cardHash the contributor signed"


def _compare_anchor_call(p: Problems, call: Mapping[str, Any], run: Run) -> None:
    b = run.bundle
    assert b.batch is not None
    p.expect(
        call["projectId"] == b.contribution.project_id,
        "the anchoring transaction names another project",
        "contribution.projectId",
    )
    p.expect(
        norm(call["root"]) == to_hex(b.batch.root),
        "the anchoring transaction anchored another root",
        "batch.root",
    )
    p.expect(
        call["count"] == b.batch.count,
        "the anchoring transaction states another count",
        "batch.count",
    )


def _check_policy(run: Run, p: Problems) -> str:
    b = run.bundle
    e = b.policy.evidence
    located, args = prove_log(
        p,
        path="policy.evidence",
        chain_path="policy.evidence",
        evidence=e,
        contract=b.chain.contract,
        chain_id=b.chain.chain_id,
        event_field="policy.evidence.event",
    )
    run.located.append(located)
    p.expect(
        e.event == "PolicySet",
        "the policy evidence must be a PolicySet log",
        "policy.evidence.event",
    )
    if args is None:
        return ""
    p.expect(
        args["projectId"] == b.contribution.project_id,
        "the policy is another project's",
        "contribution.projectId",
        "policy.evidence.args.projectId",
    )
    p.expect(args["version"] == b.policy.version, "another policy version", "policy.version")
    p.expect(
        norm(args["policyHash"]) == to_hex(b.policy.policy_hash),
        "another policy hash",
        "policy.policyHash",
    )
    p.expect(
        e.position < b.chain_position,
        "the policy was set after the registration",
        "policy.evidence.blockNumber",
        "policy.evidence.logIndex",
    )
    categories = args["policy"]["categories"]
    cat = b.contribution.category
    if p.expect(
        cat.id < len(categories), f"policy has no category {cat.id}", "contribution.category.id"
    ):
        name = bytes32_to_text(from_hex(categories[cat.id]["name"]))
        unit = bytes32_to_text(from_hex(categories[cat.id]["unit"]))
        p.expect(
            name == cat.name,
            f"the policy names category {cat.id} {name!r}",
            "contribution.category.name",
        )
        p.expect(
            unit == cat.unit,
            f"the policy's unit of category {cat.id} is {unit!r}",
            "contribution.category.unit",
        )
    return f"policy v{b.policy.version} names category {cat.id} {cat.name!r} in {cat.unit!r}"


def _check_identity(run: Run, p: Problems) -> str:
    b = run.bundle
    identity = b.identity
    if identity is None:
        return "the contributor declared no organisation before registering"
    e = identity.evidence
    located, args = prove_log(
        p,
        path="identity.evidence",
        chain_path="identity.evidence",
        evidence=e,
        contract=b.chain.contract,
        chain_id=b.chain.chain_id,
        event_field="identity.evidence.event",
    )
    run.located.append(located)
    p.expect(
        e.event == "IdentitySet",
        "the identity evidence must be an IdentitySet log",
        "identity.evidence.event",
    )
    if args is None:
        return ""
    p.expect(
        norm(args["account"]) == b.contribution.contributor.lower(),
        "the identity is another account's",
        "contribution.contributor",
        "identity.evidence.args.account",
    )
    p.expect(args["name"] == identity.name, "the log declares another name", "identity.name")
    p.expect(
        args["companyNumber"] == identity.company_number,
        "the log declares another company number",
        "identity.companyNumber",
    )
    p.expect(
        e.position < b.chain_position,
        "declared after the registration",
        "identity.evidence.blockNumber",
        "identity.evidence.logIndex",
    )
    number = f" ({identity.company_number})" if identity.company_number else ""
    return f"{identity.name}{number}, declared in block {e.block_number}"


def _check_batch(run: Run, p: Problems) -> str:
    b = run.bundle
    c = b.contribution
    batch = b.batch
    if not p.expect(
        c.is_batched and batch is not None,
        "batch evidence must be given exactly for a batched contribution",
        "batch",
        "contribution.batchId",
    ):
        return ""
    assert batch is not None
    a = batch.anchor
    located, args = prove_log(
        p,
        path="batch.anchor",
        chain_path="batch.anchor",
        evidence=a,
        contract=b.chain.contract,
        chain_id=b.chain.chain_id,
        event_field="batch.anchor.event",
    )
    run.located.append(located)
    p.expect(
        a.event == "BatchAnchored", "the anchor must be a BatchAnchored log", "batch.anchor.event"
    )
    leaf = BatchLeaf(
        c.commitment,
        c.origin,
        c.category.id,
        c.value,
        c.parents,
        card_hash=c.card_hash if c.card_hash is not None else ZERO_BYTES32,
    )
    # Format 1 bundles come from releases whose leaf had no card hash.
    computed_leaf = leaf_hash(leaf) if c.card_hash is not None else leaf_hash_v1(leaf)
    p.expect(
        computed_leaf == batch.leaf_hash,
        "the leaf hash does not recompute",
        "batch.leafHash",
        "contribution.commitment",
        *(("contribution.cardHash",) if c.card_hash is not None else ()),
        "contribution.origin",
        "contribution.category.id",
        "contribution.value",
        "contribution.parents",
    )
    root = process_proof(computed_leaf, batch.merkle_proof)
    p.expect(
        root == batch.root,
        "the Merkle path does not lead to the root",
        "batch.merkleProof",
        "batch.root",
    )
    expected_id = compute_batch_id(c.project_id, c.contributor, batch.root)
    p.expect(
        expected_id == c.batch_id,
        "keccak256(projectId, contributor, root) is not the batch id",
        "contribution.batchId",
        "batch.root",
    )
    if args is not None:
        p.expect(
            norm(args["batchId"]) == to_hex(c.batch_id),
            "another batch was anchored",
            "contribution.batchId",
        )
        p.expect(
            norm(args["root"]) == to_hex(batch.root), "the anchored root differs", "batch.root"
        )
        p.expect(args["count"] == batch.count, "the anchored count differs", "batch.count")
        p.expect(
            norm(args["contributor"]) == c.contributor.lower(),
            "the batch was anchored by someone else",
            "contribution.contributor",
        )
    p.expect(
        a.block_timestamp == c.registered_at,
        "a batched contribution dates from its anchoring block",
        "contribution.registeredAt",
        "batch.anchor.blockTimestamp",
    )
    p.expect(
        a.position < b.chain_position,
        "anchored after the reveal",
        "batch.anchor.blockNumber",
        "batch.anchor.logIndex",
    )
    # The reveal transaction must carry this leaf and this path.
    name, call = ledger_functions().decode(decode_transaction(b.inclusion.transaction).data)
    if p.expect(name == "revealBatched", f"revealed by {name}", "inclusion.transaction"):
        p.expect(
            [norm(x) for x in call["proof"]] == [to_hex(x) for x in batch.merkle_proof],
            "the reveal carried another Merkle path",
            "batch.merkleProof",
        )
    return (
        f"leaf is in batch {to_hex(c.batch_id)[:18]}… of {batch.count} by its Merkle path; "
        f"anchored in block {a.block_number}"
    )


def _check_history(run: Run, p: Problems, index: int, entry: LogProof) -> str:
    b = run.bundle
    path = f"history[{index}]"
    exchange_entry = entry.event in EXCHANGE_HISTORY_EVENTS
    if exchange_entry and b.chain.exchange is None:
        p.add(
            f"{entry.event} is an event of PocExchange, but the bundle names no exchange",
            f"{path}.event",
            "chain.exchange",
        )
        return "not proven"
    located, args = prove_log(
        p,
        path=path,
        chain_path=path,
        evidence=entry,
        contract=str(b.chain.exchange) if exchange_entry else b.chain.contract,
        chain_id=b.chain.chain_id,
        event_field=f"{path}.event",
    )
    run.located.append(located)
    own = to_hex(b.contribution.contribution_id)
    p.expect(
        entry.event in (*HISTORY_EVENTS, CHILD_EVENT, *EXCHANGE_HISTORY_EVENTS),
        f"{entry.event} is not a history event",
        f"{path}.event",
    )
    if args is not None:
        if entry.event == CHILD_EVENT:
            p.expect(
                own in [norm(x) for x in args["parents"]],
                "this contribution is not among its parents",
                f"{path}.args.parents",
            )
        elif entry.event == DISCLOSURE_EVENT:
            p.expect(
                own in [norm(x) for x in args["contributionIds"]],
                "the disclosure does not name this contribution",
                f"{path}.args.contributionIds",
            )
        elif entry.event in RECEIPT_EVENTS:
            # A receipt belongs to a disclosure of this contribution listed before it.
            disclosed = {
                norm(e.args.get("disclosureId"))
                for e in b.history[:index]
                if e.event == DISCLOSURE_EVENT
            }
            p.expect(
                norm(args["disclosureId"]) in disclosed,
                "an answer to a disclosure the history does not list before it",
                f"{path}.args.disclosureId",
            )
        else:
            p.expect(
                norm(args["contributionId"]) == own,
                "about another contribution",
                f"{path}.args.contributionId",
            )
        p.expect(
            args["projectId"] == b.contribution.project_id,
            "in another project",
            f"{path}.args.projectId",
        )
    p.expect(
        entry.position > b.chain_position,
        "before the registration",
        f"{path}.blockNumber",
        f"{path}.logIndex",
    )
    if index > 0:
        previous = f"history[{index - 1}]"
        p.expect(
            b.history[index - 1].position < entry.position,
            f"history out of order: not after {previous}",
            f"{path}.blockNumber",
            f"{path}.logIndex",
            f"{previous}.blockNumber",
            f"{previous}.logIndex",
        )
    return f"block {entry.block_number}, tx {to_hex(entry.tx_hash)[:18]}…"


def _check_log_indexes(located: list[Located], p: Problems) -> str:
    """Each cited log's block-wide index against what its receipt allows, and the indexes of
    logs in one block against each other (`ledger.evidence.block_evidence.log_index_bounds`)."""
    known = [log for log in located if log.bounds is not None and log.position is not None]
    exact = 0
    for log in known:
        assert log.bounds is not None
        low, high = log.bounds
        exact += low == high
        if not low <= log.log_index <= high:
            where = (
                f"is {low}: the log is number {low} of its block's first transaction"
                if low == high
                else f"lies between {low} and {high} (its position in the receipt, and the "
                "logs the earlier transactions' gas could pay for)"
            )
            p.add(f"log index {log.log_index} is wrong: it {where}", f"{log.path}.logIndex")
    # Logs of one block: the index grows with the transaction index, and within one
    # transaction exactly as the receipt orders its logs.
    for first, second in combinations(known, 2):
        if first.block_hash != second.block_hash:
            continue
        a, b = sorted((first, second), key=lambda log: (log.tx_index, log.position or 0))
        assert a.position is not None and b.position is not None
        if a.tx_index == b.tx_index:
            ok = b.log_index - a.log_index == b.position - a.position
        else:
            ok = b.log_index - a.log_index >= a.receipt_logs - a.position + b.position
        p.expect(
            ok,
            f"log indexes {a.log_index} and {b.log_index} contradict the order of their "
            f"logs in block {a.block_number}",
            f"{a.path}.logIndex",
            f"{b.path}.logIndex",
        )
    if exact == len(known):
        return f"{exact} log index(es), each exact: every log is in its block's first transaction"
    return (
        f"{exact} of {len(known)} log index(es) exact (first transaction of the block), "
        f"{len(known) - exact} within the bounds their receipts' gas allows (exact online)"
    )

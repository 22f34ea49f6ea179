"""Verifying proof bundles: offline from the bundle alone, then against any node of the chain.

`verify_document(document, file=..., w3=...)` returns a `VerificationReport`: one `Check` per
statement, each PASS or FAIL with its reason and, on failure, the JSON paths of the fields it
found wrong (e.g. `history[1].args.rating`). Nothing the bundle says is taken on trust:

offline
- format (`ledger.evidence.format_check`): the JSON Schema of `ledger.evidence.schema` and
  what it cannot say (real calendar times); every value the later checks convert is then in
  its range;
- file: SHA-256 of the original file equals the content hash (with `--file`);
- commitment: recomputed from contributor, project, content hash and salt; the id from it;
- header: keccak256 of the RLP header is the block hash; number and time are the header's;
- transaction / receipt: keccak256 of the raw transaction is the tx hash; both lie in the
  header's transactions and receipts tries at the transaction's index (trie proofs);
- registration log: the receipt holds a ContributionRegistered log of the contract whose
  topics and data decode to every stated field;
- authorisation: an EIP-712 signature over typed data rebuilt from the bundle's own fields
  (the bundled typed data is compared with it, not used) recovers the contributor, and the
  transaction's calldata carries that signature; or the contributor's own signed transaction;
- policy, identity, batch (Merkle path, anchor log), every history entry: the same log proofs,
  plus how each relates to the contribution (same id, before/after the registration);
- log indexes: exact where a log's transaction is its block's first, else within the bounds
  its receipt's gas allows (`ledger.evidence.block_evidence.log_index_bounds`), and consistent
  between logs of one block;
- status: what the history implies;
- timestamp and public anchor, when the bundle carries them (`ledger.evidence.independent`):
  the RFC 3161 token over the registration (its TSA signature against the trust anchors
  given, else SKIP) and the public checkpoint covering the registration's block.

A verifier is handed hostile files by definition. It never raises on a document: whatever a
check meets, the check FAILs naming the fields it was reading, and the others still run.

online (`w3` given: any node of the chain, never trusted for anything but its own data)
- chain id; for every block cited, the node's block at that height has that hash, and every
  receipt proof leads to the receiptsRoot of the node's header (not to the bundle's header);
- the node's receipts put each cited log at the stated log index;
- the contract's runtime code is PocLedger's (immutables masked: OpenZeppelin's EIP712 keeps
  the domain in immutables, so the code differs per deployment in exactly those bytes), of the
  current release or of an earlier one kept in ledger/artifacts/releases/; from 1.1.0 on, the
  code of the governance module the ledger names (`governance()`) is PocGovernance's too;
- the contribution's current status; history, identity and policy still complete;
- with `public_w3` (any node of the public chain): the checkpoint's block, receipt, log and
  contract there (SKIP when the bundle has a checkpoint and no public node is given).

The checks are in `ledger.evidence.offline` and `ledger.evidence.online`, the report and the
run in `ledger.evidence.checks`. Building bundles: `ledger.evidence.builder`. The CLI (`poc
verify`): `poc.cli.proofs`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cryptography import x509
from web3 import Web3

from ledger.evidence.bundle import ProofBundle
from ledger.evidence.checks import MAX_DETAIL, Check, Run, VerificationReport
from ledger.evidence.format_check import clip, format_problems
from ledger.evidence.independent import verify_independent_offline, verify_independent_online
from ledger.evidence.offline import verify_offline
from ledger.evidence.online import verify_online
from ledger.evidence.schema import integers_from_text

__all__ = ["Check", "VerificationReport", "iter_leaves", "verify_document", "verify_with_file_hash"]


def _format_check(document: Any) -> Check:
    problems = format_problems(document)
    if not problems:
        return Check("format", True, f"proof bundle version {document['version']}, schema valid")
    fields = tuple(dict.fromkeys(f for problem in problems for f in problem.fields))
    detail = "; ".join(problem.message for problem in problems[:5])
    return Check("format", False, clip(detail, MAX_DETAIL), fields)


def verify_document(
    document: Mapping[str, Any],
    *,
    file: bytes | None = None,
    w3: Web3 | None = None,
    tsa_roots: Sequence[x509.Certificate] = (),
    public_w3: Web3 | None = None,
) -> VerificationReport:
    """Verify a bundle document offline, then online against `w3` if given.

    `file` is the original file's bytes (or pass its SHA-256 through `file_sha256`).
    `tsa_roots`: the timestamp authorities' certificates the reader trusts; `public_w3`: a node
    of the public chain the checkpoint is on.
    """
    return _verify(
        document,
        file_sha256=hashlib.sha256(file).digest() if file else None,
        w3=w3,
        tsa_roots=tsa_roots,
        public_w3=public_w3,
    )


def verify_with_file_hash(
    document: Mapping[str, Any],
    *,
    file_sha256: bytes | None,
    w3: Web3 | None = None,
    tsa_roots: Sequence[x509.Certificate] = (),
    public_w3: Web3 | None = None,
) -> VerificationReport:
    """`verify_document` with the original file already hashed (streamed by the caller)."""
    return _verify(
        document, file_sha256=file_sha256, w3=w3, tsa_roots=tsa_roots, public_w3=public_w3
    )


def _verify(
    document: Mapping[str, Any],
    *,
    file_sha256: bytes | None,
    w3: Web3 | None,
    tsa_roots: Sequence[x509.Certificate],
    public_w3: Web3 | None,
) -> VerificationReport:
    try:
        form = _format_check(document)
        if not form.passed:
            return VerificationReport((form,))
        # Format 3's decimal strings read back into integers: every check works on one shape.
        document = integers_from_text(document) if document["version"] >= 3 else document
        bundle = ProofBundle.from_json(document)
    except Exception as exc:
        # The format check leaves nothing for this to trip over; if it does, the document
        # still gets a verdict, not a traceback.
        reason = f"does not parse ({type(exc).__name__}): {clip(str(exc))}"
        return VerificationReport((Check("format", False, reason, ("(document)",)),))
    run = Run(document, bundle, [form])
    verify_offline(run, file_sha256)
    verify_independent_offline(run, tsa_roots)
    if w3 is not None:
        verify_online(run, w3)
    if w3 is not None or public_w3 is not None:
        verify_independent_online(run, public_w3)
    return VerificationReport(tuple(run.checks))


def iter_leaves(document: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON path, value) of every leaf of a document, as the verifier names fields."""
    if isinstance(document, Mapping):
        for key, value in document.items():
            yield from iter_leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from iter_leaves(value, f"{path}[{index}]")
    else:
        yield path, document

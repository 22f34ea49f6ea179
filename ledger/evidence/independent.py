"""The checks of a bundle's evidence from outside the consortium chain: the RFC 3161 timestamp
and the public checkpoint (the optional `timestamp` and `checkpoint` sections).

offline
- `timestamp`: the token is a granted RFC 3161 response whose message imprint is the SHA-256 of
  the registration's message rebuilt from the bundle's own fields (chain id, contract,
  contribution id, commitment, block hash), whose TSA signature verifies with a certificate
  chaining to the trust anchors the verifier was given, and whose readable fields repeat the
  token (`ledger.evidence.timestamps.check_section`). Without trust anchors everything but the
  signature is checked and the check is SKIP, saying so: a token is only as good as the TSA
  that signed it, and which TSAs to trust is the reader's choice, not the bundle's.
- `public anchor`: the `Checkpointed` log proven against the public block header, the
  checkpoint of this chain covering the registration's block, and the Merkle proof from that
  block's leaf to the checkpoint's root (`ledger.evidence.checkpoints.check_checkpoint`).

online
- `online: public anchor` (given a node of the public chain): that chain's id, block, receipt,
  log, contract code and the contract's latest sequence (`check_checkpoint_online`). Given a
  node of the consortium chain but none of the public one, the check is SKIP.

A bundle without a section gets no line for it: an absent timestamp or checkpoint is no
failure (the TSA may not have answered yet; the next checkpoint may not be posted yet), and the
report shows what was checked. Nothing here raises on a document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from cryptography import x509
from web3 import Web3

from ledger.evidence.checkpoints import check_checkpoint, check_checkpoint_online
from ledger.evidence.checks import MAX_DETAIL, Check, Problem, Problems, Run, check_outcome
from ledger.evidence.format_check import clip
from ledger.evidence.timestamps import (
    NO_TRUST_ANCHORS,
    RegistrationSubject,
    TimestampToken,
    check_section,
)

TIMESTAMP_CHECK: Final = "timestamp"
ANCHOR_CHECK: Final = "public anchor"
ONLINE_ANCHOR_CHECK: Final = "online: public anchor"


def _guarded(run: Run, name: str, body: Callable[[], Check], field: str) -> None:
    """Append `body()`'s check; whatever it raises becomes a FAIL naming `field`."""
    try:
        run.checks.append(body())
    except Exception as exc:  # the verifier's last resort (see `Run.run`)
        reason = f"cannot check ({type(exc).__name__}): {clip(str(exc))}"
        run.checks.append(Check(name, False, reason, (field,)))


def _outcome(name: str, problems: Sequence[Any], detail: str, path: str) -> Check:
    collected = Problems()
    collected.items = [Problem(p.message, tuple(p.fields) or (path,)) for p in problems]
    return check_outcome(name, collected, detail)


def verify_independent_offline(run: Run, tsa_roots: Sequence[x509.Certificate]) -> None:
    """The offline checks of the timestamp and the checkpoint, for the sections present."""
    b = run.bundle
    document = run.document
    if "timestamp" in document:
        _guarded(run, TIMESTAMP_CHECK, lambda: _timestamp(run, tsa_roots), "timestamp")
    if "checkpoint" in document:

        def anchor() -> Check:
            problems = check_checkpoint(
                document["checkpoint"],
                chain_id=b.chain.chain_id,
                block_number=b.chain.block_number,
                block_hash=b.chain.block_hash,
            )
            return _outcome(ANCHOR_CHECK, problems, _anchor_detail(document), "checkpoint")

        _guarded(run, ANCHOR_CHECK, anchor, "checkpoint")


def _timestamp(run: Run, tsa_roots: Sequence[x509.Certificate]) -> Check:
    b = run.bundle
    section = run.document["timestamp"]
    subject = RegistrationSubject(
        chain_id=b.chain.chain_id,
        contract=b.chain.contract,
        contribution_id=b.contribution.contribution_id,
        commitment=b.contribution.commitment,
        block_hash=b.chain.block_hash,
    )
    problems = check_section(section, subject, tsa_roots)
    unchecked = not tsa_roots
    if unchecked:
        problems = [p for p in problems if p.message != NO_TRUST_ANCHORS]
    if problems:
        return _outcome(TIMESTAMP_CHECK, problems, "", "timestamp")
    token = TimestampToken.from_json(section)
    when = token.gen_time.astimezone(UTC)
    after = (when - datetime.fromtimestamp(b.chain.block_timestamp, UTC)).total_seconds()
    said = (
        f"RFC 3161 token of {token.tsa or 'an unnamed TSA'} at {_iso(when)} over this "
        f"registration and its block hash ({_delay(after)} the block's time)"
    )
    if unchecked:
        return Check(
            TIMESTAMP_CHECK,
            True,
            clip(
                f"{said}; the TSA's signature was not checked: give its trust anchors "
                "(poc verify --tsa-roots FILE)",
                MAX_DETAIL,
            ),
            skipped=True,
        )
    return Check(
        TIMESTAMP_CHECK,
        True,
        clip(f"{said}; signed by a TSA chaining to a trust anchor given", MAX_DETAIL),
    )


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _delay(seconds: float) -> str:
    if seconds >= 0:
        return f"{seconds:.0f} s after"
    return f"{-seconds:.0f} s before"


def _anchor_detail(document: Any) -> str:
    section = document["checkpoint"]
    log = section["log"]
    args = log["args"]
    return (
        f"block {document['chain']['blockNumber']} is under checkpoint {args['sequence']} "
        f"(blocks {args['fromBlock']}..{args['toBlock']}) posted on chain {section['chainId']} "
        f"in block {log['blockNumber']} at {log['blockTimestamp']}"
    )


def verify_independent_online(run: Run, public_w3: Web3 | None) -> None:
    """The public anchor against a node of the public chain (SKIP without one)."""
    document = run.document
    if "checkpoint" not in document:
        return
    if public_w3 is None:
        run.checks.append(
            Check(
                ONLINE_ANCHOR_CHECK,
                True,
                "not checked against the public chain: give a node of it "
                "(poc verify --public-rpc-url URL)",
                skipped=True,
            )
        )
        return

    def online() -> Check:
        problems = check_checkpoint_online(document["checkpoint"], public_w3)
        log = document["checkpoint"]["log"]
        detail = (
            f"the public chain's node has block {log['blockNumber']} with that hash, the "
            "checkpoint's log in it, ChainCheckpoints' code at the contract"
        )
        return _outcome(ONLINE_ANCHOR_CHECK, problems, detail, "checkpoint")

    _guarded(run, ONLINE_ANCHOR_CHECK, online, "checkpoint")

"""The evidence pack's exchange registers, read from PocExchange's events alone.

- **Disclosure register**: every disclosure of the project — who shared which commitment with
  whom, under which agreement version, concerning which contributions, when — and each
  recipient's answer (acknowledged, declined with the hash of its reason, or none yet), with
  the block, time and transaction of each.
- **Access-rights register**: every request for access rights — who asked whom, for which
  contribution, for which purpose, on which proposed terms, by which deadline — and the answer
  (granted on terms with their hash, refused with the hash of the reason, withdrawn) or none,
  flagged overdue when the deadline passed unanswered as of the pack's block.

Neither needs this service: anyone with a node and the exchange's address rebuilds them. The
documents and reasons themselves stay with the partners; their hashes are what the chain holds.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from ledger.chain.events import get_events
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.domain.events import (
    AccessGranted,
    AccessRefused,
    AccessRequested,
    AccessRequestWithdrawn,
    ContractEvent,
    Disclosed,
    DisclosureAcknowledged,
    DisclosureDeclined,
)
from ledger.evidence.bundle import iso_utc


@dataclass(frozen=True)
class Moment:
    """Where and when an event happened."""

    block_number: int
    time: str
    tx_hash: str

    def to_json(self) -> dict[str, Any]:
        return {"blockNumber": self.block_number, "time": self.time, "txHash": self.tx_hash}


@dataclass
class Registers:
    """Both registers of one project, as JSON-ready lists."""

    disclosures: list[dict[str, Any]] = field(default_factory=list)
    access_requests: list[dict[str, Any]] = field(default_factory=list)


def _moments(w3: Web3, events: list[ContractEvent]) -> dict[int, str]:
    times: dict[int, str] = {}
    for number in sorted({e.block_number for e in events}):
        with translating():
            times[number] = iso_utc(int(w3.eth.get_block(number)["timestamp"]))
    return times


def exchange_registers(
    w3: Web3, exchange: str, project_id: int, *, from_block: int = 0
) -> Registers:
    """The disclosure and access-rights registers of `project_id` at PocExchange `exchange`."""
    events = get_events(
        w3,
        exchange,
        from_block,
        event_types=(
            Disclosed,
            DisclosureAcknowledged,
            DisclosureDeclined,
            AccessRequested,
            AccessGranted,
            AccessRefused,
            AccessRequestWithdrawn,
        ),
        project_id=project_id,
    )
    times = _moments(w3, events)
    with translating():
        head = w3.eth.get_block("latest")
    now = int(head["timestamp"])

    def at(e: ContractEvent) -> Moment:
        return Moment(e.block_number, times[e.block_number], e.tx_hash)

    registers = Registers()
    disclosures: dict[bytes, dict[str, Any]] = {}
    requests: dict[int, dict[str, Any]] = {}
    for e in events:
        if isinstance(e, Disclosed):
            entry = {
                "disclosureId": to_hex(e.disclosure_id),
                "sharer": e.sharer,
                "contentCommitment": to_hex(e.content_commitment),
                "agreementVersion": e.agreement_version,
                "contributionIds": [to_hex(c) for c in e.contribution_ids],
                "disclosed": at(e).to_json(),
                "recipients": [
                    {"recipient": r, "answer": "none", "reasonHash": None, "answered": None}
                    for r in e.recipients
                ],
            }
            disclosures[e.disclosure_id] = entry
            registers.disclosures.append(entry)
        elif isinstance(e, DisclosureAcknowledged | DisclosureDeclined):
            found = disclosures.get(e.disclosure_id)
            if found is None:
                continue
            for recipient in found["recipients"]:
                if recipient["recipient"] == e.recipient:
                    if isinstance(e, DisclosureDeclined):
                        recipient["answer"] = "declined"
                        recipient["reasonHash"] = to_hex(e.reason_hash)
                    else:
                        recipient["answer"] = "acknowledged"
                    recipient["answered"] = at(e).to_json()
        elif isinstance(e, AccessRequested):
            opened: dict[str, Any] = {
                "requestId": e.request_id,
                "contributionId": to_hex(e.contribution_id),
                "requester": e.requester,
                "owner": e.owner,
                "purpose": e.purpose.name.lower(),
                "proposedTerms": e.terms.name.lower(),
                "proposedTermsHash": to_hex(e.terms_hash),
                "answerDeadline": iso_utc(e.answer_deadline),
                "requested": at(e).to_json(),
                "answer": "none",
                "overdue": now > e.answer_deadline,
                "grantedTerms": None,
                "grantedTermsHash": None,
                "reasonHash": None,
                "answered": None,
            }
            requests[e.request_id] = opened
            registers.access_requests.append(opened)
        elif isinstance(e, AccessGranted | AccessRefused | AccessRequestWithdrawn):
            request = requests.get(e.request_id)
            if request is None:
                continue
            request["overdue"] = False
            request["answered"] = at(e).to_json()
            if isinstance(e, AccessGranted):
                request["answer"] = "granted"
                request["grantedTerms"] = e.terms.name.lower()
                request["grantedTermsHash"] = to_hex(e.terms_hash)
            elif isinstance(e, AccessRefused):
                request["answer"] = "refused"
                request["reasonHash"] = to_hex(e.reason_hash)
            else:
                request["answer"] = "withdrawn"
    return registers


def disclosure_csv(entries: list[dict[str, Any]]) -> bytes:
    """One row per recipient of each disclosure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "disclosure_id",
            "sharer",
            "recipient",
            "content_commitment",
            "agreement_version",
            "contribution_ids",
            "disclosed_at",
            "disclosed_tx",
            "answer",
            "answered_at",
            "answered_tx",
            "reason_hash",
        ]
    )
    for d in entries:
        for r in d["recipients"]:
            answered = r["answered"] or {}
            writer.writerow(
                [
                    d["disclosureId"],
                    d["sharer"],
                    r["recipient"],
                    d["contentCommitment"],
                    d["agreementVersion"],
                    " ".join(d["contributionIds"]),
                    d["disclosed"]["time"],
                    d["disclosed"]["txHash"],
                    r["answer"],
                    answered.get("time", ""),
                    answered.get("txHash", ""),
                    r["reasonHash"] or "",
                ]
            )
    return out.getvalue().encode("utf-8")


def access_csv(entries: list[dict[str, Any]]) -> bytes:
    """One row per access-rights request."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [
        ("request_id", "requestId"),
        ("contribution_id", "contributionId"),
        ("requester", "requester"),
        ("owner", "owner"),
        ("purpose", "purpose"),
        ("proposed_terms", "proposedTerms"),
        ("proposed_terms_hash", "proposedTermsHash"),
        ("answer_deadline", "answerDeadline"),
        ("answer", "answer"),
        ("overdue", "overdue"),
        ("granted_terms", "grantedTerms"),
        ("granted_terms_hash", "grantedTermsHash"),
        ("reason_hash", "reasonHash"),
    ]
    writer.writerow([c for c, _ in columns] + ["requested_at", "requested_tx", "answered_at"])
    for r in entries:
        answered = r["answered"] or {}
        writer.writerow(
            [
                "" if r[key] is None else str(r[key]).lower() if key == "overdue" else r[key]
                for _, key in columns
            ]
            + [r["requested"]["time"], r["requested"]["txHash"], answered.get("time", "")]
        )
    return out.getvalue().encode("utf-8")

"""Histories for the scoring tests: `History` builds one the ledger could have emitted, each
event in its own log position; the partners A to D, the policy maker and the clock."""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Sequence

from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from ledger.domain import hashing
from ledger.domain.events import (
    ContributionRegistered,
    ContributionSuperseded,
    ContributionWithdrawn,
    DisputeOpened,
    DisputeResolved,
    DisputeVoted,
    Endorsed,
    PartnerAdded,
    PartnerRemoved,
    PolicySet,
    ProjectCreated,
)
from ledger.domain.values import Category, DisputeOutcome, Origin, Policy, text_to_bytes32
from ledger.scoring.history import ScoringEvent
from ledger.scoring.results import ScoreResult
from ledger.scoring.rules import BPS
from ledger.scoring.scheme import score

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


DAY = 86_400


PROJECT = 7


def address(label: str) -> str:
    """A checksummed address derived from a label, stable across runs."""
    return to_checksum_address(hashlib.sha256(label.encode()).digest()[:20])


A, B, C, D = (address(name) for name in ("flax SME", "university lab", "research centre", "d"))


def make_policy(
    categories: Sequence[tuple[int, int]] = ((1, BPS),),
    *,
    background: int = BPS,
    result: int = BPS,
    quorum: int = 1,
    window: int = 7 * DAY,
    cap: int = 0,
    floor: int = 0,
    parent_share: int = 0,
) -> Policy:
    """A policy from (unit scale, weight bps) per category."""
    return Policy(
        background_weight_bps=background,
        result_weight_bps=result,
        endorsement_quorum=quorum,
        dispute_window=window,
        split_approval_bps=6_667,
        governance_bps=6_667,
        partner_cap_bps=cap,
        partner_floor_bps=floor,
        categories=tuple(
            Category(text_to_bytes32(f"category {i}"), text_to_bytes32("unit"), scale, weight)
            for i, (scale, weight) in enumerate(categories)
        ),
        parent_share_bps=parent_share,
    )


class History:
    """Builds a history the ledger could have emitted: each event in its own log position."""

    def __init__(self, partners: Sequence[str], policy: Policy, project_id: int = PROJECT):
        self.project_id = project_id
        self.events: list[ScoringEvent] = []
        self.block = 0
        self.next_id = 0
        self.disputes: dict[str, int] = {}
        self._add(
            ProjectCreated,
            coordinator=partners[0],
            agreement_hash="0x" + "aa" * 32,
            partners=tuple(partners),
        )
        self.set_policy(policy)
        for partner in partners:
            self._add(PartnerAdded, partner=partner)

    def _add(self, kind: type[ScoringEvent], **fields: object) -> None:
        """Append one event; ids and hashes may be given as 0x-hex (the events hold bytes)."""
        self.block += 1
        position = {"project_id": self.project_id, "block_number": self.block, "log_index": 0}
        hints = typing.get_type_hints(kind)
        for name, value in fields.items():
            if hints[name] is bytes and isinstance(value, str):
                fields[name] = bytes.fromhex(value.removeprefix("0x"))
        self.events.append(kind(**position, **fields))  # type: ignore[arg-type]

    def set_policy(self, policy: Policy) -> int:
        version = 1 + sum(isinstance(e, PolicySet) for e in self.events)
        self._add(
            PolicySet,
            version=version,
            policy_hash="0x" + hashing.policy_hash(policy).hex(),
            policy=policy,
        )
        return version

    def add_partner(self, partner: str) -> None:
        self._add(PartnerAdded, partner=partner)

    def remove_partner(self, partner: str) -> None:
        self._add(PartnerRemoved, partner=partner)

    def register(
        self,
        contributor: str,
        value: int,
        *,
        category: int = 0,
        origin: Origin = Origin.RESULT,
        at: int = T0,
        supersedes: str | None = None,
        cid: str | None = None,
        parents: Sequence[str] = (),
    ) -> str:
        self.next_id += 1
        if cid is None:
            cid = "0x" + hashlib.sha256(f"{self.project_id}/{self.next_id}".encode()).hexdigest()
        self._add(
            ContributionRegistered,
            contribution_id=cid,
            contributor=contributor,
            commitment="0x" + keccak(cid.encode()).hex(),
            origin=origin,
            category=category,
            value=value,
            registered_at=at,
            supersedes=supersedes or "0x" + "00" * 32,
            parents=tuple(bytes.fromhex(p.removeprefix("0x")) for p in parents),
        )
        if supersedes:
            self._add(ContributionSuperseded, contribution_id=supersedes, replacement_id=cid)
        return cid

    def endorse(self, cid: str, *ratings: tuple[str, int]) -> None:
        for endorser, rating in ratings:
            self._add(Endorsed, contribution_id=cid, endorser=endorser, rating=rating)

    def withdraw(self, cid: str, contributor: str) -> None:
        self._add(ContributionWithdrawn, contribution_id=cid, contributor=contributor)

    def open_dispute(self, cid: str, disputer: str, eligible: int = 1) -> int:
        number = self.disputes.get(cid, 0) + 1
        self.disputes[cid] = number
        self._add(
            DisputeOpened,
            contribution_id=cid,
            disputer=disputer,
            dispute_number=number,
            reason_hash="0x" + "bb" * 32,
            eligible_voters=eligible,
        )
        return number

    def vote(self, cid: str, voter: str, uphold: bool) -> None:
        self._add(
            DisputeVoted,
            contribution_id=cid,
            voter=voter,
            dispute_number=self.disputes[cid],
            uphold=uphold,
        )

    def resolve(self, cid: str, outcome: DisputeOutcome) -> None:
        self._add(
            DisputeResolved, contribution_id=cid, dispute_number=self.disputes[cid], outcome=outcome
        )

    def score(self, as_of: int = T0 + 30 * DAY, policy_version: int | None = None) -> ScoreResult:
        return score(self.events, as_of=as_of, policy_version=policy_version)


def three_partners(
    *, quorum: int = 1, window: int = 7 * DAY, cap: int = 0, floor: int = 0
) -> History:
    return History([A, B, C], make_policy(quorum=quorum, window=window, cap=cap, floor=floor))

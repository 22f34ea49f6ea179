"""Stateful property test: random sequences of partner actions against a model of the contracts.

The machine drives project 1 (four partners, 3 of 4 approve a split, 7-day dispute window)
through registrations, endorsements, withdrawals, supersessions, disputes and votes, split
proposals and approvals, ETH and token deposits and releases, and clock moves. Before each
action it predicts the outcome from its own model: success, or the exact custom error. After
each step it checks the invariants:
- every finalized split's bps sum to 10,000;
- per token, vault holdings == received - released == the sum of the partners' balances, and
  each balance is what the model's largest-remainder allocation says;
- no contribution disappears: every registered id keeps a non-None status, and statuses only
  move Active -> Withdrawn | Superseded | Invalidated, or to Invalidated by an upheld dispute.
Bounded to run in seconds; POC_STATEFUL_EXAMPLES=200 searches longer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.contracts.support import (
    ACTIVE,
    BPS,
    INVALIDATED,
    NONE,
    SUPERSEDED,
    WITHDRAWN,
    ZERO_ADDRESS,
    ZERO_BYTES32,
    Actor,
    event,
    hexb,
    reverts,
    sorted_addresses,
)
from tests.contracts.test_vault import reference_allocation
from tests.contracts.world import World

ETH = ZERO_ADDRESS
ALLOWED = {
    ACTIVE: {ACTIVE, WITHDRAWN, SUPERSEDED, INVALIDATED},
    WITHDRAWN: {WITHDRAWN, INVALIDATED},  # a dispute opened before the withdrawal upheld
    SUPERSEDED: {SUPERSEDED, INVALIDATED},
    INVALIDATED: {INVALIDATED},
}


@dataclass
class ModelContribution:
    contributor: str
    registered_at: int
    status: int = ACTIVE
    endorsers: set[str] = field(default_factory=set)


@dataclass
class ModelDispute:
    number: int
    disputer: str
    voters: set[str] = field(default_factory=set)
    uphold: int = 0
    reject: int = 0
    open: bool = True


@dataclass
class ModelSplit:
    partners: list[str]
    bps: list[int]
    approvals: set[str]
    finalized: bool = False


class LedgerMachine(RuleBasedStateMachine):
    world: World  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = self.world.chain.snapshot()
        self.contributions: dict[bytes, ModelContribution] = {}
        self.order: list[bytes] = []
        self.disputes: dict[bytes, ModelDispute] = {}
        self.splits: dict[int, ModelSplit] = {}
        self.versions: list[int] = []
        self.balances: dict[tuple[str, str], int] = {}
        self.received: dict[str, int] = {ETH: 0}
        self.released: dict[str, int] = {ETH: 0}
        self.seen_status: dict[bytes, int] = {}
        self.checked_versions = 0

    def teardown(self) -> None:
        self.world.chain.revert(self.snapshot)

    # ------------------------------------------------------------------------ helpers

    @property
    def partners(self) -> list[Actor]:
        return self.world.partners

    def _send(self, fn: Any, who: Actor, error: tuple[Any, ...] | None, value: int = 0) -> Any:
        if error is None:
            return self.world.chain.send(fn, who, value=value)
        contract = "RoyaltyVault" if fn.address == self.world.vault.address else "PocLedger"
        with reverts(contract, *error):
            self.world.chain.send(fn, who, value=value)
        return None

    def _pick(self, data: st.DataObject) -> bytes:
        return data.draw(st.sampled_from(self.order), label="contribution")

    @initialize()
    def fund_token(self) -> None:
        self.world.mint_and_approve(self.world.eve, 10**30)
        self.received[self.world.token.address] = 0
        self.released[self.world.token.address] = 0

    # -------------------------------------------------------------------- contributions

    @rule(
        who=st.integers(0, 3),
        value=st.integers(0, 2**64 - 1),
        category=st.integers(0, 3),
        data=st.data(),
    )
    def register(self, who: int, value: int, category: int, data: st.DataObject) -> None:
        partner = self.partners[who]
        parents: tuple[bytes, ...] = ()
        supersedes = ZERO_BYTES32
        if self.order:
            parents = tuple(
                data.draw(st.lists(st.sampled_from(self.order), max_size=2), label="parents")
            )
            if data.draw(st.booleans(), label="supersede"):
                supersedes = self._pick(data)
        reg = self.world.registration(
            partner, value=value, category=category, parents=parents, supersedes=supersedes
        )
        error: tuple[Any, ...] | None = None
        old = self.contributions.get(supersedes)
        if category >= 3:
            error = ("PocUnknownCategory", category, 3)
        elif old is not None and old.status != ACTIVE:
            error = ("PocContributionNotActive", supersedes, old.status)
        elif old is not None and old.contributor != partner.address:
            error = ("PocNotContributor", supersedes, partner.address)
        receipt = self._send(self.world.ledger.functions.register(reg.as_tuple()), partner, error)
        if receipt is None:
            return
        new_id = hexb(event(self.world.ledger, "ContributionRegistered", receipt)["contributionId"])
        self.contributions[new_id] = ModelContribution(partner.address, self.world.chain.now())
        self.order.append(new_id)
        if old is not None:
            old.status = SUPERSEDED

    @precondition(lambda self: self.order)
    @rule(who=st.integers(0, 3), rating=st.integers(0, 5), data=st.data())
    def endorse(self, who: int, rating: int, data: st.DataObject) -> None:
        partner, cid = self.partners[who], self._pick(data)
        c = self.contributions[cid]
        error: tuple[Any, ...] | None = None
        if rating == 0:
            error = ("PocInvalidRating", 0)
        elif c.status != ACTIVE:
            error = ("PocContributionNotActive", cid, c.status)
        elif c.contributor == partner.address:
            error = ("PocSelfEndorsement", cid, partner.address)
        elif partner.address in c.endorsers:
            error = ("PocAlreadyEndorsed", cid, partner.address)
        fn = self.world.ledger.functions.endorse(self.world.project, cid, rating)
        if self._send(fn, partner, error) is not None:
            c.endorsers.add(partner.address)

    @precondition(lambda self: self.order)
    @rule(who=st.integers(0, 3), data=st.data())
    def withdraw(self, who: int, data: st.DataObject) -> None:
        partner, cid = self.partners[who], self._pick(data)
        c = self.contributions[cid]
        error: tuple[Any, ...] | None = None
        if c.status != ACTIVE:
            error = ("PocContributionNotActive", cid, c.status)
        elif c.contributor != partner.address:
            error = ("PocNotContributor", cid, partner.address)
        fn = self.world.ledger.functions.withdrawContribution(self.world.project, cid)
        if self._send(fn, partner, error) is not None:
            c.status = WITHDRAWN

    # ------------------------------------------------------------------------- disputes

    @precondition(lambda self: self.order)
    @rule(who=st.integers(0, 3), data=st.data())
    def open_dispute(self, who: int, data: st.DataObject) -> None:
        partner, cid = self.partners[who], self._pick(data)
        c = self.contributions[cid]
        d = self.disputes.get(cid)
        closes_at = c.registered_at + self.world.policy.dispute_window
        error: tuple[Any, ...] | None = None
        if c.status != ACTIVE:
            error = ("PocContributionNotActive", cid, c.status)
        elif c.contributor == partner.address:
            error = ("PocSelfDispute", cid, partner.address)
        elif self.world.chain.next_timestamp() > closes_at:
            error = ("PocDisputeWindowClosed", cid, closes_at)
        elif d is not None and d.open:
            error = ("PocDisputeAlreadyOpen", cid)
        fn = self.world.ledger.functions.openDispute(self.world.project, cid, b"\x01" * 32)
        if self._send(fn, partner, error) is not None:
            self.disputes[cid] = ModelDispute((d.number if d else 0) + 1, partner.address)

    @precondition(lambda self: self.disputes)
    @rule(who=st.integers(0, 3), uphold=st.booleans(), data=st.data())
    def vote(self, who: int, uphold: bool, data: st.DataObject) -> None:
        partner = self.partners[who]
        cid = data.draw(st.sampled_from(sorted(self.disputes)), label="disputed")
        c, d = self.contributions[cid], self.disputes[cid]
        error: tuple[Any, ...] | None = None
        if not d.open:
            error = ("PocNoOpenDispute", cid)
        elif partner.address in (c.contributor, d.disputer):
            error = ("PocNotEligibleVoter", cid, partner.address)
        elif partner.address in d.voters:
            error = ("PocAlreadyVoted", cid, partner.address)
        fn = self.world.ledger.functions.voteDispute(self.world.project, cid, uphold)
        if self._send(fn, partner, error) is None:
            return
        d.voters.add(partner.address)
        if uphold:
            d.uphold += 1
        else:
            d.reject += 1
        # Two eligible voters (everyone but the two parties): a strict majority is both.
        if d.uphold * 2 > 2:
            d.open = False
            c.status = INVALIDATED
        elif d.reject * 2 > 2:
            d.open = False

    @precondition(lambda self: self.disputes)
    @rule(who=st.integers(0, 3), data=st.data())
    def withdraw_dispute(self, who: int, data: st.DataObject) -> None:
        partner = self.partners[who]
        cid = data.draw(st.sampled_from(sorted(self.disputes)), label="disputed")
        d = self.disputes[cid]
        error: tuple[Any, ...] | None = None
        if not d.open:
            error = ("PocNoOpenDispute", cid)
        elif d.disputer != partner.address:
            error = ("PocNotDisputer", cid, partner.address)
        fn = self.world.ledger.functions.withdrawDispute(self.world.project, cid)
        if self._send(fn, partner, error) is not None:
            d.open = False

    @rule(days=st.integers(1, 4))
    def travel(self, days: int) -> None:
        self.world.chain.travel(days * 86_400)

    # --------------------------------------------------------------------------- splits

    @rule(who=st.integers(0, 3), weights=st.lists(st.integers(0, 50), min_size=4, max_size=4))
    def propose_split(self, who: int, weights: list[int]) -> None:
        if sum(weights) == 0:
            weights = [1, 1, 1, 1]
        partners = sorted_addresses([p.address for p in self.partners])
        bps = [w * BPS // sum(weights) for w in weights]
        bps[-1] += BPS - sum(bps)
        split = self.world.split_input(partners, bps)
        proposer = self.partners[who]
        fn = self.world.vault.functions.proposeSplit(self.world.project, split)
        receipt = self._send(fn, proposer, None)
        proposal_id = int(event(self.world.vault, "SplitProposed", receipt)["proposalId"])
        self.splits[proposal_id] = ModelSplit(partners, bps, {proposer.address})

    @precondition(lambda self: self.splits)
    @rule(who=st.integers(0, 3), data=st.data())
    def approve_split(self, who: int, data: st.DataObject) -> None:
        partner = self.partners[who]
        proposal_id = data.draw(st.sampled_from(sorted(self.splits)), label="proposal")
        s = self.splits[proposal_id]
        error: tuple[Any, ...] | None = None
        if s.finalized:
            error = ("VaultSplitAlreadyFinalized", proposal_id)
        elif partner.address in s.approvals:
            error = ("VaultAlreadyApproved", proposal_id, partner.address)
        fn = self.world.vault.functions.approveSplit(self.world.project, proposal_id)
        if self._send(fn, partner, error) is None:
            return
        s.approvals.add(partner.address)
        if len(s.approvals) >= 3:
            s.finalized = True
            self.versions.append(proposal_id)

    # --------------------------------------------------------------------- money in/out

    def _deposit(self, token: str, amount: int) -> None:
        vault = self.world.vault.functions
        if token == ETH:
            fn, value = vault.deposit(self.world.project), amount
        else:
            fn, value = vault.depositToken(self.world.project, token, amount), 0
        if not self.versions:
            self._send(fn, self.world.eve, ("VaultNoSplitInForce", self.world.project), value)
            return
        self._send(fn, self.world.eve, None, value)
        s = self.splits[self.versions[-1]]
        for partner, share in zip(s.partners, reference_allocation(amount, s.bps), strict=True):
            self.balances[token, partner] = self.balances.get((token, partner), 0) + share
        self.received[token] += amount

    @rule(amount=st.one_of(st.integers(1, 1_000), st.integers(1, 10**18)))
    def deposit_eth(self, amount: int) -> None:
        self._deposit(ETH, amount)

    @rule(amount=st.one_of(st.integers(1, 1_000), st.integers(1, 10**27)))
    def deposit_token(self, amount: int) -> None:
        self._deposit(self.world.token.address, amount)

    @rule(who=st.integers(0, 3), use_token=st.booleans())
    def release(self, who: int, use_token: bool) -> None:
        token = self.world.token.address if use_token else ETH
        partner = self.partners[who].address
        owed = self.balances.get((token, partner), 0)
        fn = self.world.vault.functions.release(self.world.project, token, partner)
        error = None if owed else ("VaultNothingToRelease", self.world.project, partner, token)
        if self._send(fn, self.world.relayer, error) is not None:
            self.balances[token, partner] = 0
            self.released[token] += owed

    # ------------------------------------------------------------------------ invariants

    @invariant()
    def finalized_splits_sum_to_whole(self) -> None:
        vault = self.world.vault.functions
        assert vault.currentSplitVersion(self.world.project).call() == len(self.versions)
        # A finalized split is immutable: each version is read once, when it appears.
        for version, proposal_id in enumerate(self.versions, start=1):
            if version <= self.checked_versions:
                continue
            self.checked_versions = version
            assert vault.splitProposalOf(self.world.project, version).call() == proposal_id
            info = vault.splitProposal(self.world.project, proposal_id).call()
            assert info[1] is True
            assert sum(info[10]) == BPS

    @invariant()
    def vault_holds_what_it_owes(self) -> None:
        vault = self.world.vault.functions
        for token in self.received:
            if self.received[token] == 0:
                # Nothing arrived (deposits before a split revert): only the totals to check.
                assert vault.totals(self.world.project, token).call() == [0, 0]
                continue
            if token == ETH:
                held = self.world.chain.balance(self.world.vault.address)
            else:
                held = self.world.token.functions.balanceOf(self.world.vault.address).call()
            received, released = vault.totals(self.world.project, token).call()
            owed = [
                vault.balanceOf(self.world.project, token, p.address).call() for p in self.partners
            ]
            assert (received, released) == (self.received[token], self.released[token])
            assert held == received - released == sum(owed)
            assert owed == [self.balances.get((token, p.address), 0) for p in self.partners]

    @invariant()
    def no_contribution_disappears(self) -> None:
        for cid in self.order:
            status = self.world.status(cid)
            assert status != NONE
            previous = self.seen_status.get(cid, ACTIVE)
            assert status in ALLOWED[previous], (cid.hex(), previous, status)
            assert status == self.contributions[cid].status
            self.seen_status[cid] = status


def test_random_action_sequences_keep_invariants(world: World) -> None:
    LedgerMachine.world = world
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=int(os.environ.get("POC_STATEFUL_EXAMPLES", "5")),
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )

"""Gas of every PocLedger/RoyaltyVault/ChainCheckpoints operation on a real anvil, and
registration throughput.

A benchmark, not a test. It starts a fresh anvil (`poc.sandbox.anvil.AnvilProcess`, not persisted),
deploys the contracts, sets up the contract tests' starting state (tests/contracts/world.py:
four partners, agreement in force) and performs each operation once, reading `gasUsed` from
the real receipt. Batch anchoring is measured at 1, 10, 100 and 1,000 leaves (trees built by
OpenZeppelin's StandardMerkleTree), reported per contribution. The issue's budgets:

- signed single registration (registerBySig) <= 90,000 gas (steady state: the signer's nonce
  bitmap word already in use; the first nonce of each 256 costs one fresh slot more, shown);
- endorse <= 60,000 gas;
- batch anchoring <= 100 gas per contribution at 1,000 per batch;
- release <= 80,000 gas (ETH and token; steady state: the project's first release of a token
  also writes its `released` total from zero, shown).

Also the public anchor: a `ChainCheckpoints.checkpoint` (the anchorer's first, then a later
one covering 1,000 consortium blocks, and that per block); no budget was set for it.

Throughput: `--count` registrations signed locally (EIP-712 by the partner, then the relayer's
transaction), sent raw one after the other without waiting, then every receipt collected by
polling each ~5 ms; tx/s from the first send to the last receipt.

`run(...)` returns the records (figure, value, unit, goal) for other tools, e.g.
scripts/bench_all.py; `--json` prints them as JSON.

    .venv/bin/python scripts/bench_chain.py [--count 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from eth_account import Account  # noqa: E402
from eth_utils.crypto import keccak  # noqa: E402
from hexbytes import HexBytes  # noqa: E402
from web3.exceptions import TransactionNotFound  # noqa: E402
from web3.types import Nonce, TxParams, TxReceipt, Wei  # noqa: E402

from poc.sandbox.anvil import AnvilProcess  # noqa: E402
from tests.contracts.support import (  # noqa: E402
    ADD_PARTNER,
    ZERO_ADDRESS,
    AnvilChain,
    BatchLeaf,
    actor,
    contribution_id_of,
    event,
    hexb,
    oz_merkle_tree,
    sorted_addresses,
)
from tests.contracts.world import AGREEMENT, World, address_data, build_world  # noqa: E402

ETH = ZERO_ADDRESS
REGISTER_BY_SIG_BUDGET = 90_000
ENDORSE_BUDGET = 60_000
BATCH_PER_CONTRIBUTION_BUDGET = 100
RELEASE_BUDGET = 80_000
BATCH_SIZES = (1, 10, 100, 1_000)
THROUGHPUT_TX_GAS = 300_000
RECEIPT_POLL_S = 0.005


@dataclass(frozen=True)
class Record:
    """One measured figure; `goal` is "<= N" for a budget, "-" when there is none."""

    figure: str
    value: float
    unit: str
    goal: str

    @property
    def verdict(self) -> str:
        compare: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge}
        parts = self.goal.split()
        if len(parts) != 2 or parts[0] not in compare:
            return "INFO"
        return "PASS" if compare[parts[0]](self.value, float(parts[1])) else "FAIL"


class _Gas:
    """Collects one gas record per operation."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def add(self, figure: str, receipt: TxReceipt, budget: int | None = None) -> TxReceipt:
        goal = f"<= {budget}" if budget is not None else "-"
        self.records.append(Record(figure, int(receipt["gasUsed"]), "gas", goal))
        return receipt


# ------------------------------------------------------------------------------------- gas


def measure_gas(world: World) -> list[Record]:
    """Every operation once, on `world` (a fresh starting state on anvil)."""
    gas = _Gas()
    chain, ledger, vault = world.chain, world.ledger.functions, world.vault.functions
    pid = world.project

    # Projects and membership.
    partners = [world.alice, world.bob, world.carol, world.dave]
    receipt = chain.send(
        ledger.createProject(AGREEMENT, [p.address for p in partners], world.policy.as_tuple()),
        world.alice,
    )
    gas.add("createProject (4 partners, 3 categories)", receipt)
    new_pid = event(world.ledger, "ProjectCreated", receipt)["projectId"]
    gas.add(
        "addPartner (before in force)",
        chain.send(ledger.addPartner(new_pid, world.eve.address), world.alice),
    )
    gas.add(
        "removePartner (before in force)",
        chain.send(ledger.removePartner(new_pid, world.eve.address), world.alice),
    )
    for p in partners[:-1]:
        receipt = world.accept(new_pid, p)
    gas.add("acceptAgreement", receipt)
    gas.add("acceptAgreement (last: in force)", world.accept(new_pid, partners[-1]))
    gas.add("setIdentity", chain.send(ledger.setIdentity("Vlas NV", "BE0123.456.789"), world.bob))

    # Contributions.
    reg = world.registration(world.bob)
    gas.add("register (direct)", chain.send(ledger.register(reg.as_tuple()), world.bob))
    for nonce, label in ((1 << 20, "first nonce of a bitmap word"), ((1 << 20) + 1, None)):
        reg = world.registration(world.bob)
        auth = world.sign(world.bob, "Register", reg.message(), nonce=nonce)
        receipt = chain.send(ledger.registerBySig(reg.as_tuple(), auth), world.relayer)
        if label:
            gas.add(f"registerBySig ({label})", receipt)
        else:
            gas.add("registerBySig", receipt, REGISTER_BY_SIG_BUDGET)
    parent_a, parent_b = world.register(world.alice), world.register(world.carol)
    reg = world.registration(world.bob, parents=(parent_a, parent_b), uri="ipfs://bafybeigdyrzt5")
    gas.add("register (2 parents, URI)", chain.send(ledger.register(reg.as_tuple()), world.bob))
    old = world.register(world.bob)
    reg = world.registration(world.bob, supersedes=old)
    gas.add(
        "register superseding (supersede)", chain.send(ledger.register(reg.as_tuple()), world.bob)
    )
    gone = world.register(world.bob)
    gas.add("withdrawContribution", chain.send(ledger.withdrawContribution(pid, gone), world.bob))

    # Merkle batches.
    for size in BATCH_SIZES:
        leaves = [
            BatchLeaf(world.commitment(world.carol, label=f"batch {size} leaf {i}"), value=i + 1)
            for i in range(size)
        ]
        tree = oz_merkle_tree(leaves)
        receipt = chain.send(ledger.anchorBatch(pid, tree.root, size, ""), world.carol)
        batch_id = hexb(event(world.ledger, "BatchAnchored", receipt)["batchId"])
        gas.add(f"anchorBatch ({size} leaves)", receipt)
        goal = f"<= {BATCH_PER_CONTRIBUTION_BUDGET}" if size == 1_000 else "-"
        per = round(int(receipt["gasUsed"]) / size, 1)
        gas.records.append(Record(f"anchorBatch per contribution ({size})", per, "gas", goal))
    last = len(leaves) - 1
    receipt = chain.send(
        ledger.revealBatched(pid, batch_id, leaves[last].as_tuple(), list(tree.proofs[last])),
        world.relayer,
    )
    gas.add(f"revealBatched (1,000-leaf tree, proof of {len(tree.proofs[last])})", receipt)

    # Endorsements and disputes.
    target = world.register(world.bob)
    gas.add("endorse", chain.send(ledger.endorse(pid, target, 4), world.carol), ENDORSE_BUDGET)
    message = {"projectId": pid, "contributionId": target, "rating": 5}
    auth = world.sign(world.dave, "Endorse", message, nonce=(1 << 20) + 2)
    gas.add("endorseBySig", chain.send(ledger.endorseBySig(pid, target, 5, auth), world.relayer))
    reason = keccak(text="prior art")
    gas.add("openDispute", chain.send(ledger.openDispute(pid, target, reason), world.carol))
    gas.add("voteDispute", chain.send(ledger.voteDispute(pid, target, True), world.alice))
    gas.add(
        "voteDispute (resolving: upheld)",
        chain.send(ledger.voteDispute(pid, target, True), world.dave),
    )
    other = world.register(world.bob)
    chain.send(ledger.openDispute(pid, other, reason), world.carol)
    gas.add("withdrawDispute", chain.send(ledger.withdrawDispute(pid, other), world.carol))

    # Splits and revenue.
    payees = sorted_addresses([p.address for p in partners])
    split = world.split_input(payees, [4_000, 3_000, 2_000, 1_000])
    by_address = {p.address: p for p in partners}
    receipt = chain.send(vault.proposeSplit(pid, split), by_address[payees[0]])
    gas.add("proposeSplit (4 partners)", receipt)
    split_id = event(world.vault, "SplitProposed", receipt)["proposalId"]
    gas.add("approveSplit", chain.send(vault.approveSplit(pid, split_id), by_address[payees[1]]))
    gas.add(
        "approveSplit (finalizing)",
        chain.send(vault.approveSplit(pid, split_id), by_address[payees[2]]),
    )
    gas.add(
        "deposit (ETH, 4 partners)", chain.send(vault.deposit(pid), world.eve, value=10**18 + 3)
    )
    gas.add("deposit (ETH, again)", chain.send(vault.deposit(pid), world.eve, value=10**18 + 3))
    world.mint_and_approve(world.eve, 10**24)
    token = world.token.address
    gas.add("depositToken", chain.send(vault.depositToken(pid, token, 10**21 + 3), world.eve))
    # The project's first release of a token also writes its `released` total from zero.
    gas.add(
        "release (ETH, the project's first)",
        chain.send(vault.release(pid, ETH, payees[0]), world.relayer),
    )
    gas.add(
        "release (ETH)",
        chain.send(vault.release(pid, ETH, payees[1]), world.relayer),
        RELEASE_BUDGET,
    )
    gas.add(
        "release (token, the project's first)",
        chain.send(vault.release(pid, token, payees[0]), world.relayer),
    )
    gas.add(
        "release (token)",
        chain.send(vault.release(pid, token, payees[1]), world.relayer),
        RELEASE_BUDGET,
    )
    treasury = actor("treasury").address
    gas.add(
        "releaseTo (ETH, fresh account)",
        chain.send(vault.releaseTo(pid, ETH, treasury), by_address[payees[2]]),
    )
    message = {"projectId": pid, "token": token, "recipient": treasury}
    signer = by_address[payees[3]]
    auth = world.sign(signer, "ReleaseTo", message, contract=world.vault, nonce=1)
    gas.add(
        "releaseToBySig (token)",
        chain.send(vault.releaseToBySig(pid, token, treasury, auth), world.relayer),
    )

    # Governance (last: adding eve changes the partner count the thresholds use).
    receipt = chain.send(
        ledger.propose(pid, ADD_PARTNER, address_data(world.eve.address)), world.alice
    )
    gas.add("propose (AddPartner)", receipt)
    proposal_id = event(world.ledger, "ProposalCreated", receipt)["proposalId"]
    gas.add("approveProposal", chain.send(ledger.approveProposal(pid, proposal_id), world.bob))
    gas.add(
        "approveProposal (executing: partner added)",
        chain.send(ledger.approveProposal(pid, proposal_id), world.carol),
    )
    gas.add("cancelNonce", chain.send(ledger.cancelNonce(7), world.bob))

    # Public checkpoints (ChainCheckpoints, deployed on the public chain in production; gas
    # does not depend on which chain). The cost does not grow with the blocks covered: one
    # root per range.
    checkpoints = chain.deploy("ChainCheckpoints", sender=world.deployer).functions
    root, last_hash = keccak(text="checkpoint root"), keccak(text="last block hash")
    gas.add(
        "checkpoint (an anchorer's first of a chain)",
        chain.send(checkpoints.checkpoint(31337, 0, 999, last_hash, root), world.relayer),
    )
    receipt = gas.add(
        "checkpoint (next, 1,000 blocks)",
        chain.send(checkpoints.checkpoint(31337, 1_000, 1_999, last_hash, root), world.relayer),
    )
    per_block = round(int(receipt["gasUsed"]) / 1_000, 1)
    gas.records.append(Record("checkpoint per consortium block (1,000)", per_block, "gas", "-"))
    return gas.records


# ------------------------------------------------------------------------------ throughput


def measure_throughput(world: World, count: int) -> list[Record]:
    """`count` signed registrations relayed raw and pipelined; tx/s to the last receipt."""
    w3 = world.chain.w3
    relayer = Account.from_key(world.relayer.key)
    partners = world.partners
    signing_started = time.perf_counter()
    raw: list[HexBytes] = []
    nonce = w3.eth.get_transaction_count(relayer.address)
    base_fee = int(w3.eth.get_block("latest")["baseFeePerGas"])
    chain_id = world.chain.chain_id
    deadline = world.chain.next_timestamp() + 3_600
    ids: list[bytes] = []
    for i in range(count):
        partner = partners[i % len(partners)]
        reg = world.registration(partner)
        auth = world.sign(
            partner,
            "Register",
            reg.message(),
            nonce=(2 << 20) + i,
            deadline=deadline,
            chain_id=chain_id,
        )
        params: TxParams = {
            "from": relayer.address,
            "nonce": Nonce(nonce + i),
            "gas": THROUGHPUT_TX_GAS,
            "maxFeePerGas": Wei(4 * base_fee + 10**9),
            "maxPriorityFeePerGas": Wei(10**9),
            "chainId": chain_id,
        }
        tx = world.ledger.functions.registerBySig(reg.as_tuple(), auth).build_transaction(params)
        raw.append(relayer.sign_transaction(tx).raw_transaction)
        ids.append(contribution_id_of(world.project, partner.address, reg.commitment))
    signing_s = time.perf_counter() - signing_started

    started = time.perf_counter()
    hashes = [w3.eth.send_raw_transaction(tx) for tx in raw]
    sent_s = time.perf_counter() - started
    gas_used = 0
    for tx_hash in hashes:
        while True:
            try:
                receipt = w3.eth.get_transaction_receipt(tx_hash)
                break
            except TransactionNotFound:
                time.sleep(RECEIPT_POLL_S)
        if receipt["status"] != 1:
            raise RuntimeError(f"registration {tx_hash.hex()} reverted")
        gas_used += int(receipt["gasUsed"])
    elapsed = time.perf_counter() - started
    assert world.status(ids[-1]) == 1
    return [
        Record("registerBySig throughput (pipelined)", round(count / elapsed, 1), "tx/s", "-"),
        Record("registerBySig send phase", round(count / sent_s, 1), "tx/s", "-"),
        Record("registrations", count, "count", "-"),
        Record("local signing per registration", round(signing_s * 1000 / count, 2), "ms", "-"),
        Record("registerBySig mean gas (pipelined run)", round(gas_used / count), "gas", "-"),
    ]


# ------------------------------------------------------------------------------------ main


def run(*, count: int = 500, anvil_bin: str | None = None) -> list[Record]:
    """Start a fresh anvil, measure every operation's gas and the registration throughput."""
    with tempfile.TemporaryDirectory(prefix="bench-chain-") as tmp:
        node = AnvilProcess(tmp, binary=anvil_bin, persist=False)
        with node:
            chain = AnvilChain.connect(node.url)
            world = build_world(chain)
            records = measure_gas(world)
            if count > 0:
                records += measure_throughput(world, count)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="registrations for throughput")
    parser.add_argument("--anvil", help="anvil binary (default: node_modules/.bin/anvil)")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    args = parser.parse_args(argv)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    records = run(count=args.count, anvil_bin=args.anvil)
    if args.json:
        print(json.dumps([{**asdict(r), "verdict": r.verdict} for r in records], indent=2))
        return 0
    width = max(len(r.figure) for r in records)
    print(f"{'figure':<{width}}  {'value':>12}  unit   {'goal':<9}  verdict")
    for r in records:
        value = f"{r.value:,.1f}" if isinstance(r.value, float) else f"{r.value:,}"
        print(f"{r.figure:<{width}}  {value:>12}  {r.unit:<5}  {r.goal:<9}  {r.verdict}")
    print(f"load average at start: {load}; gas does not depend on it, rates do")
    return 0


if __name__ == "__main__":
    sys.exit(main())

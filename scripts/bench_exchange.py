"""Gas of every PocExchange operation on a real anvil, beside the ledger's own registration.

A benchmark, not a test. It starts a fresh anvil (not persisted), deploys PocLedger,
RoyaltyVault and PocExchange, sets up the contract tests' starting state (tests/contracts/
world.py: four partners, agreement in force) and performs each exchange operation, reading
`gasUsed` from the real receipt. Signed (`…BySig`) operations are measured with the signer's
nonce word already in use (steady state), like `registerBySig` in scripts/bench_chain.py.

Each row also has a ratio to a baseline measured in the same run: the ledger's `registerBySig`
(steady state), so that a reader sees what a receipt costs next to what a contribution costs.
There are no budgets in the issue for these operations: the verdicts are INFO.

`run()` returns the records (figure, value, unit, goal) for scripts/bench_all.py; `--json`
prints them as JSON.

    .venv/bin/python scripts/bench_exchange.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from eth_utils.crypto import keccak  # noqa: E402
from web3.types import TxReceipt  # noqa: E402

from poc.sandbox.anvil import AnvilProcess  # noqa: E402
from scripts.bench_chain import Record  # noqa: E402
from tests.contracts.exchange_world import (  # noqa: E402
    CARRYING_OUT_PROJECT,
    EXPLOITING_OWN_RESULTS,
    FAIR_AND_REASONABLE,
    REASON,
    ROYALTY_FREE,
    TERMS,
    ExchangeWorld,
)
from tests.contracts.support import DAY, Actor, AnvilChain, event, hexb  # noqa: E402
from tests.contracts.world import build_world  # noqa: E402

# Nonces of one bitmap word, used once first so that the measured calls pay no fresh slot.
STEADY_NONCE = 1 << 24


class _Gas:
    """Gas records, each with its ratio to the run's registerBySig."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.baseline: int | None = None

    def add(self, figure: str, receipt: TxReceipt) -> None:
        used = int(receipt["gasUsed"])
        self.records.append(Record(figure, used, "gas", "-"))
        if self.baseline:
            ratio = round(used / self.baseline, 2)
            self.records.append(Record(f"{figure}, relative", ratio, "x registerBySig", "-"))


def measure_gas(xw: ExchangeWorld) -> list[Record]:
    """Every exchange operation once on `xw`, after the registerBySig baseline."""
    w, chain, ex = xw.world, xw.chain, xw.exchange.functions
    pid = w.project
    gas = _Gas()
    nonces = iter(range(STEADY_NONCE, STEADY_NONCE + 256))

    def signed(
        who: Actor, primary: str, message: dict[str, Any], ledger: bool = False
    ) -> tuple[str, int, int, bytes]:
        contract = w.ledger if ledger else xw.exchange
        return w.sign(who, primary, message, contract=contract, nonce=next(nonces))

    # Warm every signer's nonce word on both contracts, then the baseline.
    for who in (w.alice, w.bob, w.carol, w.dave):
        chain.send(ex.cancelNonce(STEADY_NONCE + 255), who)
        chain.send(w.ledger.functions.cancelNonce(STEADY_NONCE + 255), who)
    reg = w.registration(w.bob)
    auth = signed(w.bob, "Register", reg.message(), ledger=True)
    receipt = chain.send(w.ledger.functions.registerBySig(reg.as_tuple(), auth), w.relayer)
    gas.add("registerBySig (ledger, baseline)", receipt)
    gas.baseline = int(receipt["gasUsed"])

    # Keys.
    key = keccak(text="X25519 public key 1")
    gas.add("publishEncryptionKey (first)", chain.send(ex.publishEncryptionKey(key), w.alice))
    rotated = keccak(text="X25519 public key 2")
    gas.add(
        "publishEncryptionKey (rotation)", chain.send(ex.publishEncryptionKey(rotated), w.alice)
    )
    auth = signed(w.bob, "PublishEncryptionKey", {"publicKey": key})
    gas.add(
        "publishEncryptionKeyBySig",
        chain.send(ex.publishEncryptionKeyBySig(key, auth), w.relayer),
    )

    # Disclosures.
    background = w.register(w.alice)
    for recipients in ([w.bob], [w.bob, w.carol, w.dave]):
        commitment = xw.commitment(w.alice)
        receipt = chain.send(
            ex.disclose(pid, commitment, [r.address for r in recipients], [background]), w.alice
        )
        label = "recipient" if len(recipients) == 1 else "recipients"
        gas.add(f"disclose ({len(recipients)} {label}, 1 reference)", receipt)
    disclosed = event(xw.exchange, "Disclosed", receipt)
    disclosure_id = hexb(disclosed["disclosureId"])
    commitment = xw.commitment(w.bob)
    addresses = [w.alice.address, w.carol.address]
    message = {
        "projectId": pid,
        "contentCommitment": commitment,
        "recipients": addresses,
        "contributionIds": [],
    }
    auth = signed(w.bob, "Disclose", message)
    gas.add(
        "discloseBySig (2 recipients)",
        chain.send(ex.discloseBySig(pid, commitment, addresses, [], auth), w.relayer),
    )
    ack = {
        "projectId": pid,
        "disclosureId": disclosure_id,
        "contentCommitment": hexb(disclosed["contentCommitment"]),
        "sharer": w.alice.address,
    }
    gas.add(
        "acknowledge",
        chain.send(
            ex.acknowledge(pid, disclosure_id, ack["contentCommitment"], w.alice.address), w.bob
        ),
    )
    auth = signed(w.carol, "Acknowledge", ack)
    gas.add(
        "acknowledgeBySig",
        chain.send(
            ex.acknowledgeBySig(
                pid, disclosure_id, ack["contentCommitment"], w.alice.address, auth
            ),
            w.relayer,
        ),
    )
    auth = signed(
        w.dave, "Decline", {"projectId": pid, "disclosureId": disclosure_id, "reasonHash": REASON}
    )
    gas.add(
        "declineBySig",
        chain.send(ex.declineBySig(pid, disclosure_id, REASON, auth), w.relayer),
    )

    # Access rights.
    receipt = chain.send(
        ex.requestAccess(pid, background, CARRYING_OUT_PROJECT, ROYALTY_FREE, TERMS), w.bob
    )
    gas.add("requestAccess", receipt)
    first = event(xw.exchange, "AccessRequested", receipt)["requestId"]
    message = {
        "projectId": pid,
        "contributionId": background,
        "purpose": EXPLOITING_OWN_RESULTS,
        "terms": FAIR_AND_REASONABLE,
        "termsHash": TERMS,
    }
    auth = signed(w.carol, "RequestAccess", message)
    receipt = chain.send(
        ex.requestAccessBySig(
            pid, background, EXPLOITING_OWN_RESULTS, FAIR_AND_REASONABLE, TERMS, auth
        ),
        w.relayer,
    )
    gas.add("requestAccessBySig", receipt)
    second = event(xw.exchange, "AccessRequested", receipt)["requestId"]
    gas.add("grantAccess", chain.send(ex.grantAccess(pid, first, ROYALTY_FREE, TERMS), w.alice))
    auth = signed(
        w.alice, "RefuseAccess", {"projectId": pid, "requestId": second, "reasonHash": REASON}
    )
    gas.add(
        "refuseAccessBySig", chain.send(ex.refuseAccessBySig(pid, second, REASON, auth), w.relayer)
    )
    receipt = chain.send(
        ex.requestAccess(pid, background, CARRYING_OUT_PROJECT, ROYALTY_FREE, TERMS), w.dave
    )
    third = event(xw.exchange, "AccessRequested", receipt)["requestId"]
    gas.add("withdrawAccessRequest", chain.send(ex.withdrawAccessRequest(pid, third), w.dave))

    # Settings.
    draft = w.create_project(w.alice, [w.alice, w.bob])
    values = (14 * DAY, 365 * DAY, chain.now() + 365 * DAY)
    gas.add(
        "setExchangeSettings (before in force)",
        chain.send(ex.setExchangeSettings(draft, values), w.alice),
    )
    receipt = chain.send(ex.proposeExchangeSettings(pid, values), w.alice)
    gas.add("proposeExchangeSettings", receipt)
    proposal_id = event(xw.exchange, "ExchangeSettingsProposed", receipt)["proposalId"]
    gas.add(
        "approveExchangeSettings", chain.send(ex.approveExchangeSettings(pid, proposal_id), w.bob)
    )
    gas.add(
        "approveExchangeSettings (applying)",
        chain.send(ex.approveExchangeSettings(pid, proposal_id), w.carol),
    )
    gas.add("cancelNonce (exchange)", chain.send(ex.cancelNonce(7), w.eve))
    return gas.records


def run(*, anvil_bin: str | None = None) -> list[Record]:
    """Start a fresh anvil, deploy the three contracts, measure every exchange operation."""
    with tempfile.TemporaryDirectory(prefix="bench-exchange-") as tmp:
        node = AnvilProcess(tmp, binary=anvil_bin, persist=False)
        with node:
            chain = AnvilChain.connect(node.url)
            world = build_world(chain)
            exchange = chain.deploy("PocExchange", world.ledger.address, sender=world.deployer)
            return measure_gas(ExchangeWorld(world=world, exchange=exchange))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--anvil", help="anvil binary (default: node_modules/.bin/anvil)")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    args = parser.parse_args(argv)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    records = run(anvil_bin=args.anvil)
    if args.json:
        print(json.dumps([{**asdict(r), "verdict": r.verdict} for r in records], indent=2))
        return 0
    width = max(len(r.figure) for r in records)
    print(f"{'figure':<{width}}  {'value':>12}  unit")
    for r in records:
        value = f"{r.value:,.2f}" if isinstance(r.value, float) else f"{r.value:,}"
        print(f"{r.figure:<{width}}  {value:>12}  {r.unit}")
    print(f"load average at start: {load}; gas does not depend on it")
    return 0


if __name__ == "__main__":
    sys.exit(main())

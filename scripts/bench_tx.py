"""Raw ETH-transfer throughput on anvil: how fast the chain layer can push transactions.

Modes, each on a fresh anvil in a temporary directory:
- web3-wait: send, then web3's wait_for_transaction_receipt (asks at once, then every 0.1 s),
- sequential: `TxSender.transfer` (send, poll every 5 ms),
- threads: 8 threads sharing one sender,
- send_many: pipelined batches of 100.
Run with --persist to include the sandbox's state persistence (dump every second, historical
states preserved) and see what it costs. A benchmark, not a test: it asserts nothing.
`records()` returns the rates as records for other scripts (`scripts/bench_all.py` uses them
as the raw-transfer baseline); `--json` prints them.

    .venv/bin/python scripts/bench_tx.py [--count 1000] [--persist] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil
from ledger.chain.transactions import TRANSFER_GAS, TxRequest
from poc.sandbox.anvil import AnvilProcess

THREADS = 8
BATCH = 100


def _web3_wait(chain: Chain, count: int) -> None:
    sender = chain.sender(0)
    to = chain.accounts[1].address
    for _ in range(count):
        tx_hash = sender.send(TxRequest(to=to, value=1, gas=TRANSFER_GAS))
        chain.w3.eth.wait_for_transaction_receipt(tx_hash)


def _sequential(chain: Chain, count: int) -> None:
    sender = chain.sender(0)
    to = chain.accounts[1].address
    for _ in range(count):
        sender.transfer(to, 1)


def _threads(chain: Chain, count: int) -> None:
    sender = chain.sender(0)
    to = chain.accounts[1].address
    per_thread = count // THREADS

    def work() -> None:
        for _ in range(per_thread):
            sender.transfer(to, 1)

    workers = [threading.Thread(target=work) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _send_many(chain: Chain, count: int) -> None:
    sender = chain.sender(0)
    to = chain.accounts[1].address
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        sender.send_many([TxRequest(to=to, value=1, gas=TRANSFER_GAS)] * size)


MODES: dict[str, tuple[Callable[[Chain, int], None], int]] = {
    # web3's 0.1 s polling makes this mode slow: it runs a tenth of the count.
    "web3-wait": (_web3_wait, 10),
    "sequential": (_sequential, 1),
    "threads": (_threads, 1),
    "send_many": (_send_many, 1),
}


@dataclass(frozen=True)
class Record:
    """One measured figure."""

    figure: str
    value: float
    unit: str
    goal: str


def run(count: int, persist: bool, modes: Sequence[str] | None = None) -> dict[str, float]:
    """Transactions per second of each mode (of `modes` only, if given)."""
    results: dict[str, float] = {}
    for name, (mode, divisor) in MODES.items():
        if modes is not None and name not in modes:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-tx-") as tmp:
            node = AnvilProcess(Path(tmp), persist=persist)
            with node:
                chain = connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node)
                chain.sender(0).transfer(chain.accounts[1].address, 1)  # warm up
                n = max(count // divisor, THREADS)
                started = time.perf_counter()
                mode(chain, n)
                elapsed = time.perf_counter() - started
                done = chain.w3.eth.get_transaction_count(chain.accounts[0].address) - 1
                results[name] = done / elapsed
                state = node.state_path.stat().st_size if node.state_path.exists() else 0
                print(
                    f"{name:>11}: {done:5d} tx in {elapsed:6.2f} s = {done / elapsed:7.1f} tx/s"
                    + (f"   (state file {state / 1e6:.1f} MB)" if persist else ""),
                    flush=True,
                )
    return results


def records(count: int, persist: bool, modes: Sequence[str] | None = None) -> list[Record]:
    """`run` as records: one ETH-transfer rate per mode (no goal: a baseline)."""
    rates = run(count, persist, modes)
    suffix = ", persisted" if persist else ""
    return [
        Record(f"ETH transfers/s, {name}{suffix}", round(rate, 1), "1/s", "-")
        for name, rate in rates.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000, help="transactions per mode")
    parser.add_argument("--persist", action="store_true", help="persist state like the sandbox")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    args = parser.parse_args(argv)
    if args.json:
        with contextlib.redirect_stdout(sys.stderr):  # the per-mode lines stay readable
            result = records(args.count, args.persist)
        print(json.dumps([asdict(r) for r in result], indent=2))
        return 0
    # Other processes on a small machine skew the numbers: say how busy it was.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"anvil, {args.count} ETH transfers per mode, persist={args.persist}; load {load}")
    run(args.count, args.persist)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every benchmark in one run: one table (figure, value, goal, verdict) and `bench/results.json`.

`make bench` runs this before a release. Each section reuses the benchmark script that owns
the figure and only adds what no script measures:

- baselines: a fixed pure-Python workload (`PY_BASELINE_LOOPS` modular multiplications) and raw
  ETH transfers on anvil (`scripts/bench_tx.py`, pipelined and sequential);
- gas, from receipts on anvil: every PocLedger/RoyaltyVault operation with issue 3's budgets,
  gas per contribution in batches of 1, 10, 100 and 1,000, pipelined registerBySig throughput
  (`scripts/bench_chain.py`), and the EAS comparison (`scripts/bench_eas.py`: EAS 1.9.0 from
  its npm artifacts, deployed on the same anvil as our contracts);
- exchange, gas from receipts on anvil: every PocExchange operation (keys, disclosures,
  receipts, access-rights requests and answers, settings), each also relative to the ledger's
  registerBySig measured in the same run (`scripts/bench_exchange.py`);
- the API (`scripts/bench_api.py`): registrations/s one-tx-each and batched, p50/p99 latency at
  50 concurrent clients;
- flood (`scripts/bench_flood.py`): the API with its default limits while one client floods
  it, by one good key and with made-up keys: the other keys' p99 idle and under the flood,
  their ratio (goal: within 2x), the share of the flood answered 429;
- index rebuild: events/s that `ledger.sync.follower.rebuild_index` folds from the chain;
- scoring (`scripts/bench_scoring.py`): 1,000,000 contributions;
- evidence (`scripts/bench_evidence.py`): offline verify time per bundle, evidence-pack export;
- sandbox: `poc sandbox` from the command to the first 200 of `/health`, first start (deploys
  and seeds) and restart;
- host (`scripts/bench_host.py`): `poc host` on loopback, 50 workspaces, 10 active at once
  registering and reading: first start of a workspace, latency p50/p99, memory.

Verdicts: PASS/FAIL against the goal the issues set, INFO where there is none. Gas does not
depend on the machine; times and rates do, so each of those also gets a row relative to a
baseline measured in this same run (`x py` = the figure divided by the pure-Python baseline's
time, `x raw tx` = divided by the raw-transfer rate): compare those across machines, not the
raw numbers. The load average is recorded at the start and the end: on a shared 2-core
machine other processes lengthen every time. Some sizes are scaled down so the whole run stays
under ten minutes; those rows say so. A section that crashes is reported as FAIL and the run
goes on; the exit status is 1 if any row failed.

    .venv/bin/python scripts/bench_all.py [--out bench/results.json] [--only gas,api,...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import operator
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402

from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil  # noqa: E402
from ledger.chain.transactions import TxRequest  # noqa: E402
from ledger.store import Store  # noqa: E402
from ledger.sync.follower import follower_for, rebuild_index  # noqa: E402
from poc.sandbox.anvil import AnvilProcess, free_port  # noqa: E402
from scripts import (  # noqa: E402
    bench_api,
    bench_chain,
    bench_eas,
    bench_evidence,
    bench_exchange,
    bench_flood,
    bench_host,
    bench_scoring,
    bench_tx,
)

DEFAULT_OUT = REPO_ROOT / "bench" / "results.json"
SECTIONS = (
    "baseline",
    "gas",
    "exchange",
    "api",
    "flood",
    "index",
    "scoring",
    "evidence",
    "sandbox",
    "host",
)
# About a second of CPU on a 2-core VM: long enough to time, short enough to repeat.
PY_BASELINE_LOOPS = 3_000_000
# Sizes: the scripts' defaults where they are quick, scaled down where the defaults would take
# the run past ten minutes on a busy 2-core VM. The whole run takes about 2 minutes there when
# it is quiet; other processes (load average 15) stretched a run four- to fivefold.
RAW_TX_COUNT = 300
API_REQUESTS = 800  # bench_api default 1,500
EXPORT_CONTRIBUTIONS = 1_000  # bench_evidence default 10,000
VERIFY_ROUNDS = 30
SCORING_REPEAT = 3
INDEX_REGISTRATIONS = 2_000
CHAIN_THROUGHPUT_COUNT = 500
REGISTRATIONS_PER_BLOCK = 500
SANDBOX_TIMEOUT = 120.0
HOST_WORKSPACES = 50
HOST_ACTIVE = 10
HOST_REQUESTS = 40


class _Figure(Protocol):
    """What every benchmark script's records have in common (read-only: they are frozen)."""

    @property
    def figure(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def goal(self) -> str: ...


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    section: str
    figure: str
    value: float | None
    unit: str
    goal: str
    verdict: str
    note: str = ""


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}


def verdict(value: float, goal: str) -> str:
    """PASS/FAIL for a goal such as "<= 90000" or "> 150"; INFO for "-" or no goal."""
    parts = goal.split()
    if len(parts) != 2 or parts[0] not in _COMPARE:
        return "INFO"
    try:
        bound = float(parts[1].replace(",", "").replace("_", ""))
    except ValueError:
        return "INFO"
    return "PASS" if _COMPARE[parts[0]](value, bound) else "FAIL"


@dataclass
class Run:
    """The rows collected so far, the baselines, and what each section cost."""

    rows: list[Row] = field(default_factory=list)
    py_baseline_s: float | None = None
    raw_tx_per_s: float | None = None
    section_seconds: dict[str, float] = field(default_factory=dict)

    def add(
        self, section: str, figure: str, value: float, unit: str, goal: str = "-", note: str = ""
    ) -> None:
        self.rows.append(Row(section, figure, value, unit, goal, verdict(value, goal), note))

    def add_records(self, section: str, records: Iterable[_Figure], note: str = "") -> None:
        for r in records:
            self.add(section, r.figure, r.value, r.unit, r.goal, note)

    def relative_time(self, section: str, figure: str, seconds: float) -> None:
        """A row of `seconds` relative to the pure-Python baseline (machine-independent-ish)."""
        if self.py_baseline_s:
            self.add(
                section,
                f"{figure}, relative",
                round(seconds / self.py_baseline_s, 3),
                "x py",
                note="/ pure-Python baseline time",
            )

    def relative_rate(self, section: str, figure: str, per_second: float) -> None:
        """A row of a rate relative to the raw-transfer baseline on the same node software."""
        if self.raw_tx_per_s:
            self.add(
                section,
                f"{figure}, relative",
                round(per_second / self.raw_tx_per_s, 3),
                "x raw tx",
                note="/ raw ETH transfers/s (pipelined)",
            )

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Time a section; a crash becomes a FAIL row and the run continues."""
        print(f"== {name} (load average {_load()})", flush=True)
        started = time.perf_counter()
        try:
            yield
        except Exception as exc:
            traceback.print_exc()
            message = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
            self.rows.append(Row(name, f"{name} section crashed", None, "", "-", "FAIL", message))
        finally:
            self.section_seconds[name] = round(time.perf_counter() - started, 1)


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Send a script's own progress prints to stderr: stdout carries the table."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


@contextlib.contextmanager
def _anvil(*extra: str) -> Iterator[Chain]:
    """A fresh in-memory anvil and a chain connected to it."""
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        node = AnvilProcess(Path(tmp), persist=False, extra_args=extra)
        with node:
            chain = connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node)
            try:
                yield chain
            finally:
                chain.close()


# ------------------------------------------------------------------------------ sections


def bench_baseline(run: Run) -> None:
    """The reference workloads every machine-dependent figure is divided by."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        acc = 1
        for i in range(PY_BASELINE_LOOPS):
            acc = (acc * (i | 1)) % 1_000_003
        timings.append(time.perf_counter() - started)
    run.py_baseline_s = min(timings)
    run.add(
        "baseline",
        f"pure-Python loop ({PY_BASELINE_LOOPS:,} mul-mod), best of 3",
        round(run.py_baseline_s, 3),
        "s",
    )
    with _quiet():
        rates = bench_tx.records(RAW_TX_COUNT, persist=False, modes=("sequential", "send_many"))
    run.add_records("baseline", rates, note=f"{RAW_TX_COUNT} transfers (script default 1,000)")
    run.raw_tx_per_s = next(r.value for r in rates if "send_many" in r.figure)


def bench_gas(run: Run) -> None:
    """Gas of every operation and batch (`bench_chain`), then the EAS comparison (`bench_eas`),
    each on its own fresh anvil, from receipts."""
    with _quiet():
        records = bench_chain.run(count=CHAIN_THROUGHPUT_COUNT)
    note = f"{CHAIN_THROUGHPUT_COUNT} registrations"
    for r in records:
        rate = r.unit == "tx/s"
        run.add("gas", r.figure, r.value, r.unit, r.goal, note if rate else "")
        if rate:
            run.relative_rate("gas", r.figure, r.value)
    run.add_records("gas", bench_eas.run(), note="EAS 1.9.0 beside PocLedger")


def bench_exchange_section(run: Run) -> None:
    """Gas of every PocExchange operation (`bench_exchange`) on its own fresh anvil."""
    with _quiet():
        records = bench_exchange.run()
    run.add_records("exchange", records)


def bench_api_section(run: Run) -> None:
    """Throughput and latency of the API at 50 clients (`bench_api.run_bench`).

    Judged in the deployed layout: one API process serving requests, the follower and the
    outbox worker in `python -m poc.background`. The all-in-one process (the sandbox's way)
    is measured too, one-tx-each only, for information.
    """
    with _quiet():
        records = bench_api.run_bench(clients=50, requests=API_REQUESTS, background_process=True)
        single = bench_api.run_bench(clients=50, requests=API_REQUESTS, one_only=True)
    note = f"{API_REQUESTS} requests (script default 1,500); worker in poc.background"
    for r in records:
        run.add("api", r.figure, round(r.value, 1), r.unit, r.goal, note)
        # Relative rows for the figures only: accepted rates and latencies.
        if r.unit == "1/s" and "accepted" in r.figure:
            run.relative_rate("api", r.figure, r.value)
        elif r.unit == "ms" and "latency" in r.figure:
            run.relative_time("api", r.figure, r.value / 1e3)
    for r in single:
        if r.unit in ("ms", "1/s") and "CPU" not in r.figure:
            run.add(
                "api",
                f"all in one process: {r.figure}",
                round(r.value, 1),
                r.unit,
                note="follower and worker inside the API process (the sandbox's layout)",
            )


def bench_flood_section(run: Run) -> None:
    """The victims' p99 with one flooding client, against their idle p99 measured in the same
    run (`bench_flood.run`: windows alternate), default limits."""
    with _quiet():
        records = bench_flood.run()
    note = (
        f"{bench_flood.ROUNDS} x {bench_flood.WINDOW_SECONDS:g} s per condition, "
        f"{bench_flood.FLOOD_CONNECTIONS} flood connections, default limits"
    )
    for r in records:
        run.add("flood", r.figure, round(r.value, 2), r.unit, r.goal, note)
        if r.unit == "ms":
            run.relative_time("flood", r.figure, r.value / 1e3)


def bench_index(run: Run) -> None:
    """Events per second `rebuild_index` folds into a fresh SQLite index from anvil."""
    with _anvil("--gas-limit", "2000000000") as chain, tempfile.TemporaryDirectory() as tmp:
        setup = bench_eas.prepare(chain)
        ledger, partner = setup.ledger, setup.partner
        w3 = chain.w3
        w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        gas = ledger.gas_limit("register")
        for first in range(0, INDEX_REGISTRATIONS, REGISTRATIONS_PER_BLOCK):
            txs = []
            for _ in range(min(REGISTRATIONS_PER_BLOCK, INDEX_REGISTRATIONS - first)):
                data = ledger.contract.encode_abi("register", [setup.registration().as_abi()])
                txs.append(TxRequest(to=ledger.address, data=bytes.fromhex(data[2:]), gas=gas))
            hashes = partner.send_all(txs)
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            partner.wait_many(hashes)
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
        store = Store.open(f"sqlite:///{Path(tmp) / 'index.sqlite3'}")
        follower = follower_for(
            w3,
            store,
            ledger_address=ledger.address,
            vault_address=setup.vault.address,
            start_block=0,
        )
        started = time.perf_counter()
        events = rebuild_index(follower)
        elapsed = time.perf_counter() - started
        store.close()
    rate = events / elapsed
    run.add(
        "index",
        "index rebuild from the chain",
        round(rate, 1),
        "events/s",
        note=f"{events:,} events in {elapsed:.1f} s, SQLite",
    )
    run.relative_time("index", "index rebuild, time per 1,000 events", 1_000 / rate)


def bench_scoring_section(run: Run) -> None:
    """Scoring 1,000,000 contributions (`bench_scoring.run`), at full size."""
    records = bench_scoring.run(1_000_000, 50, SCORING_REPEAT)
    run.add_records("scoring", records, note=f"best of {SCORING_REPEAT}")
    run.relative_time("scoring", records[0].figure, records[0].value)


def bench_evidence_section(run: Run) -> None:
    """Offline verify time per bundle and evidence-pack export (`bench_evidence`)."""
    verify = bench_evidence.bench_verify(VERIFY_ROUNDS)
    run.add_records("evidence", verify, note=f"{VERIFY_ROUNDS} rounds x 5 bundles")
    run.relative_time("evidence", verify[0].figure, verify[0].value / 1e3)
    with _quiet():
        export = bench_evidence.bench_export(EXPORT_CONTRIBUTIONS)
    note = f"{EXPORT_CONTRIBUTIONS:,} contributions (script default 10,000)"
    run.add_records("evidence", export, note=note)
    seconds = next(r.value for r in export if r.figure == "export_pack_s")
    run.relative_time("evidence", "export_pack_s", seconds)


def bench_sandbox(run: Run) -> None:
    """`poc sandbox` from the command to the first 200 of /health: first start, then restart."""
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        data = Path(tmp) / "data"
        for label in ("first start (deploy + seed)", "restart"):
            seconds = _sandbox_ready_seconds(data)
            run.add("sandbox", f"sandbox {label} to /health", round(seconds, 2), "s")
            run.relative_time("sandbox", f"sandbox {label}", seconds)


def _sandbox_ready_seconds(data: Path) -> float:
    port = free_port()
    poc = Path(sys.executable).with_name("poc")
    command = [str(poc), "sandbox", "--data-dir", str(data), "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - started < SANDBOX_TIMEOUT:
            if proc.poll() is not None:
                raise RuntimeError(f"poc sandbox exited with {proc.returncode} before /health")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            time.sleep(0.05)
        raise RuntimeError(f"/health did not answer within {SANDBOX_TIMEOUT:g} s")
    finally:
        # Ctrl-C, as a user stops it: anvil writes its state for the restart.
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def bench_host_section(run: Run) -> None:
    """The hosted platform (`bench_host`): 50 workspaces, 10 active at once registering and
    reading through `poc host` on loopback; latency p99 and memory."""
    with _quiet():
        records = bench_host.run(
            workspaces=HOST_WORKSPACES, active=HOST_ACTIVE, requests=HOST_REQUESTS
        )
    note = f"{HOST_WORKSPACES} workspaces, {HOST_ACTIVE} at once, {HOST_REQUESTS} requests each"
    for r in records:
        run.add("host", r.figure, r.value, r.unit, r.goal, note)
        if r.unit == "ms" and "p99" in r.figure:
            run.relative_time("host", r.figure, r.value / 1e3)


SECTION_FUNCTIONS: dict[str, Callable[[Run], None]] = {
    "baseline": bench_baseline,
    "gas": bench_gas,
    "exchange": bench_exchange_section,
    "api": bench_api_section,
    "flood": bench_flood_section,
    "index": bench_index,
    "scoring": bench_scoring_section,
    "evidence": bench_evidence_section,
    "sandbox": bench_sandbox,
    "host": bench_host_section,
}


# ------------------------------------------------------------------------------ output


def _format_value(row: Row) -> str:
    if row.value is None:
        return "-"
    if row.unit == "gas":
        return f"{row.value:,.0f}"
    if abs(row.value) >= 1_000:
        return f"{row.value:,.0f}"
    return f"{row.value:g}"


def render(rows: Sequence[Row]) -> str:
    """The table: figure, value with unit, goal, verdict, note."""
    header = ("figure", "value", "goal", "verdict", "note")
    lines = [
        (r.figure, f"{_format_value(r)} {r.unit}".strip(), r.goal, r.verdict, r.note) for r in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(4)]
    out = []
    for line in [header, *lines]:
        cells = [str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append("  ".join([*cells, line[4]]).rstrip())
        if line is header:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON file")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}"
    )
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {SECTIONS}")
    if "baseline" not in wanted:
        wanted.insert(0, "baseline")  # every relative figure needs it

    run = Run()
    load_before = os.getloadavg()
    started = time.perf_counter()
    for name in SECTIONS:
        if name in wanted:
            with run.section(name):
                SECTION_FUNCTIONS[name](run)
    total = time.perf_counter() - started
    load_after = os.getloadavg()

    print()
    print(render(run.rows))
    print()
    print(
        f"{len(run.rows)} figures in {total:.0f} s on {os.cpu_count()} CPUs; load average "
        f"{', '.join(f'{v:.1f}' for v in load_before)} at the start, "
        f"{', '.join(f'{v:.1f}' for v in load_after)} at the end. Sections (s): "
        + ", ".join(f"{k} {v:g}" for k, v in run.section_seconds.items())
    )
    failed = [r for r in run.rows if r.verdict == "FAIL"]
    print(f"{len(failed)} FAIL" + (": " + "; ".join(r.figure for r in failed) if failed else ""))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": _git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_start": load_before,
            "load_average_end": load_after,
        },
        "baselines": {
            "pure_python_s": run.py_baseline_s,
            "raw_transfers_per_s": run.raw_tx_per_s,
        },
        "duration_s": round(total, 1),
        "section_seconds": run.section_seconds,
        "rows": [asdict(r) for r in run.rows],
    }
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

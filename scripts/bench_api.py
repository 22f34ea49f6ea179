"""Benchmark of the partner API: accepted registrations per second and request latency.

Starts a persisted anvil, deploys the contracts, seeds a three-partner project with custodial
keys and API keys, runs the API as a uvicorn subprocess on 127.0.0.1, and fires registrations
from `--clients` concurrent clients:

- one-tx-each: every request registers one contribution (one relayed transaction each);
- batched: every request anchors a Merkle batch of `--batch-size` contributions (one
  transaction per batch).

"Accepted" means answered 202 (stored durably in the outbox); the outbox worker sends and
confirms in the background. Prints `figure  value  goal` lines; `--json` prints the records.
`run_bench()` returns the same records for other scripts. `LiveStack` (anvil + API process) is
also what the fault-injection test drives.

Usage: bench_api.py [--clients 50] [--requests 1500] [--batch-size 100] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from api.auth import Role, issue_api_key  # noqa: E402
from ledger.anvil import AnvilProcess, free_port  # noqa: E402
from ledger.artifacts import load_artifact  # noqa: E402
from ledger.chain import Backend, Chain, ChainConfig, connect_anvil  # noqa: E402
from ledger.contracts import PocLedgerClient  # noqa: E402
from ledger.deployment import DeploymentRecord, deploy_contract  # noqa: E402
from ledger.domain import Category, Policy  # noqa: E402
from ledger.hashing import commitment, new_salt, sha256_bytes  # noqa: E402
from ledger.keystore import KeyStore  # noqa: E402
from ledger.store import Store  # noqa: E402

KEYSTORE_PASSWORD = "bench-password"
AGREEMENT = bytes.fromhex("a5" * 32)
POLICY = Policy(
    background_weight_bps=5_000,
    result_weight_bps=10_000,
    endorsement_quorum=1,
    dispute_window=7 * 24 * 3600,
    split_approval_bps=6_667,
    governance_bps=6_667,
    partner_cap_bps=0,
    partner_floor_bps=0,
    categories=(Category.of("person-hours", "hour", 1, 10_000),),
)


@dataclass(frozen=True)
class BenchRecord:
    """One measured figure."""

    figure: str
    value: float
    unit: str
    goal: str
    met: bool


@dataclass
class LiveStack:
    """A persisted anvil, the deployed contracts, a seeded project and the API as a process."""

    data_dir: Path
    node: AnvilProcess
    chain: Chain
    record: DeploymentRecord
    project_id: int
    partners: list[LocalAccount]
    api_keys: list[str]
    persist_delay: float
    api_workers: int = 1
    api_port: int = field(default_factory=free_port)
    api_proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(
        cls, data_dir: Path, *, persist_delay: float = 2.5, api_workers: int = 1
    ) -> LiveStack:
        """Start anvil, deploy, seed the project and keys, start the API."""
        data_dir.mkdir(parents=True, exist_ok=True)
        node = AnvilProcess(data_dir / "anvil")
        node.start()
        chain = connect_anvil(ChainConfig(backend=Backend.ANVIL), node=node)
        deployer = chain.sender(0)
        ledger_art, vault_art = load_artifact("PocLedger"), load_artifact("RoyaltyVault")
        ledger_address, ledger_receipt = deploy_contract(
            deployer, ledger_art.abi, ledger_art.bytecode
        )
        _, vault_receipt = deploy_contract(
            deployer, vault_art.abi, vault_art.bytecode, ledger_address
        )
        record = DeploymentRecord.create(
            chain, deployer.address, {"PocLedger": ledger_receipt, "RoyaltyVault": vault_receipt}
        )
        record.write(data_dir / "deployment.json")
        partners = list(chain.accounts[1:4])
        keystore = KeyStore(data_dir / "keystores", KEYSTORE_PASSWORD, scrypt_n=1 << 4)
        for i, account in enumerate(partners):
            keystore.add(f"partner-{i}", account)
        ledger = PocLedgerClient(chain.w3, ledger_address, chain_id=chain.chain_id)
        created = ledger.create_project(
            chain.sender(partners[0]), AGREEMENT, [p.address for p in partners], POLICY
        )
        project_id = int(created.value)
        for account in partners:
            ledger.accept_agreement(chain.sender(account), project_id, 1, AGREEMENT)
        store = Store.open(f"sqlite:///{data_dir / 'index.sqlite3'}")
        keys = [
            issue_api_key(store, account.address, Role.PARTNER, f"bench-{i}")
            for i, account in enumerate(partners)
        ]
        store.close()
        stack = cls(
            data_dir, node, chain, record, project_id, partners, keys, persist_delay, api_workers
        )
        stack.start_api()
        return stack

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def api_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POC_")}
        env.update(
            {
                "POC_DATA_DIR": str(self.data_dir),
                "POC_RPC_URL": self.node.url,
                "POC_RELAYER_KEY": "0x" + bytes(self.chain.accounts[0].key).hex(),
                "POC_KEYSTORE_PASSWORD": KEYSTORE_PASSWORD,
                "POC_PERSIST_DELAY": str(self.persist_delay),
                "POC_RATE_LIMIT_PER_SECOND": "100000",
                "POC_RATE_LIMIT_BURST": "100000",
                "POC_LOST_AFTER": "1.0",
            }
        )
        return env

    def start_api(self, timeout: float = 30.0) -> None:
        """Start the API process and wait for /health."""
        log = (self.data_dir / "api.log").open("ab")
        self.api_proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--log-level",
                "warning",
                "--workers",
                str(self.api_workers),
            ],
            cwd=REPO_ROOT,
            env=self.api_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api_proc.poll() is not None:
                raise RuntimeError(f"the API exited; see {self.data_dir / 'api.log'}")
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the API did not answer /health in time")

    def kill_api(self) -> None:
        """SIGKILL the API process (fault injection)."""
        if self.api_proc is not None:
            self.api_proc.send_signal(signal.SIGKILL)
            self.api_proc.wait(10)
            self.api_proc = None

    def stop(self) -> None:
        """Stop the API and anvil."""
        if self.api_proc is not None:
            self.api_proc.terminate()
            try:
                self.api_proc.wait(10)
            except subprocess.TimeoutExpired:
                self.api_proc.kill()
            self.api_proc = None
        self.chain.close()
        self.node.stop()

    def registration(self, partner: int, label: str) -> dict[str, Any]:
        """A fresh registration body of partner number `partner`."""
        address = self.partners[partner].address
        commit = commitment(address, self.project_id, sha256_bytes(label.encode()), new_salt())
        return {"commitment": "0x" + commit.hex(), "origin": "result", "category": 0, "value": 1}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def _fire(
    stack: LiveStack, clients: int, requests: int, batch_size: int | None
) -> tuple[float, list[float], int]:
    """Send `requests` requests from `clients` concurrent clients; return (elapsed, latencies
    of accepted requests, registrations accepted)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    latencies: list[float] = []
    accepted = 0
    url = f"{stack.base_url}/v1/projects/{stack.project_id}/"

    async def client(number: int, http: httpx.AsyncClient) -> None:
        nonlocal accepted
        partner = number % len(stack.partners)
        headers = {"X-API-Key": stack.api_keys[partner]}
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if batch_size is None:
                body = stack.registration(partner, f"one-{i}")
                target = url + "contributions"
            else:
                items = [stack.registration(partner, f"batch-{i}-{j}") for j in range(batch_size)]
                body = {"items": items}
                target = url + "batches"
            started = time.perf_counter()
            response = await http.post(target, json=body, headers=headers)
            if response.status_code in (200, 202):
                latencies.append(time.perf_counter() - started)
                accepted += batch_size or 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(n, http) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, accepted


def run_bench(
    *,
    clients: int = 50,
    requests: int = 1_500,
    batch_size: int = 100,
    api_workers: int = 4,
    data_dir: Path | None = None,
) -> list[BenchRecord]:
    """Run both scenarios on a fresh stack; return the measured figures."""
    with tempfile.TemporaryDirectory(prefix="poc-bench-api-") as tmp:
        stack = LiveStack.start(data_dir or Path(tmp), api_workers=api_workers)
        try:
            # Warm-up: connections, caches, the first nonce words.
            asyncio.run(_fire(stack, 5, 20, None))
            one_elapsed, one_lat, one_count = asyncio.run(_fire(stack, clients, requests, None))
            batch_requests = max(requests // 10, clients)
            b_elapsed, b_lat, b_count = asyncio.run(
                _fire(stack, clients, batch_requests, batch_size)
            )
        finally:
            stack.stop()
    one_rate = one_count / one_elapsed
    batch_rate = b_count / b_elapsed
    one_p50, one_p99 = _percentile(one_lat, 0.50) * 1e3, _percentile(one_lat, 0.99) * 1e3
    b_p50, b_p99 = _percentile(b_lat, 0.50) * 1e3, _percentile(b_lat, 0.99) * 1e3
    return [
        BenchRecord(
            "one-tx-each accepted registrations/s", one_rate, "1/s", ">= 150", one_rate >= 150
        ),
        BenchRecord("one-tx-each p50 latency", one_p50, "ms", "-", True),
        BenchRecord("one-tx-each p99 latency", one_p99, "ms", "< 250", one_p99 < 250),
        BenchRecord(
            f"batched ({batch_size}/request) accepted registrations/s",
            batch_rate,
            "1/s",
            ">= 1000",
            batch_rate >= 1000,
        ),
        BenchRecord("batched p50 latency", b_p50, "ms", "-", True),
        BenchRecord("batched p99 latency", b_p99, "ms", "< 250", b_p99 < 250),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1_500)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--api-workers", type=int, default=4, help="uvicorn worker processes")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    args = parser.parse_args(argv)
    records = run_bench(
        clients=args.clients,
        requests=args.requests,
        batch_size=args.batch_size,
        api_workers=args.api_workers,
    )
    if args.json:
        print(json.dumps([asdict(r) for r in records], indent=2))
    else:
        print(f"{'figure':<52} {'value':>10}  {'goal':<8}")
        for r in records:
            mark = "" if r.met else "  (goal missed)"
            print(f"{r.figure:<52} {r.value:>8.1f} {r.unit:<4} {r.goal:<8}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of the partner API: accepted registrations per second and request latency.

Starts a persisted anvil, deploys the contracts, seeds a three-partner project with custodial
keys and API keys, runs the API as a uvicorn subprocess on 127.0.0.1, and fires registrations
from `--clients` concurrent clients:

- one-tx-each: every request registers one contribution (one relayed transaction each);
- batched: every request anchors a Merkle batch of `--batch-size` contributions (one
  transaction per batch).

"Accepted" means answered 202 (stored durably in the outbox); the outbox worker sends and
confirms in the background. Each scenario runs twice:

- *saturated*: every client sends its next request as soon as the previous one is answered,
  which measures the most the stack accepts per second. Its latency is not a service time: by
  Little's law it is `clients / rate` (50 clients at 150/s wait 333 ms on average), so the
  p99 < 250 ms goal cannot hold in this run below ~200-400 accepted requests/s;
- *paced*: requests are due at the goal rate (150 registrations/s, or 1,000/s in batches) and
  each latency counts from the moment its request was due (no coordinated omission), still
  with at most `--clients` in flight. This is the latency goal's measurement.

After the saturated one-tx-each run the benchmark waits until the outbox has sent everything
and every transaction has a receipt, and reports that rate too: accepting faster than the
chain includes only grows the outbox; the backlog left when the last request is answered,
over the time it takes to clear, is the worker's own rate. After the paced one-tx-each run
it reports how long the outbox took to empty once the last request was answered: under a
second means the worker kept up with the goal rate.

The machine is shared (2 cores here: client, API, anvil, and whatever else runs), so the
benchmark also reports where the CPU went, per registration, from /proc: the API processes,
the anvil node, this client, and the rest of the machine (other processes), and the
registrations/s the machine could sustain at that cost (cores / CPU per registration).
The client is a minimal HTTP/1.1 keep-alive client over asyncio with the request bodies
prepared beforehand, so that it takes as little of the shared CPU as possible.

Prints `figure  value  goal` lines; `--json` prints the records. `run_bench()` returns the
same records for other scripts. `LiveStack` (anvil + API process) is also what the
fault-injection test drives.

Usage: bench_api.py [--clients 50] [--requests 1500] [--batch-size 100] [--api-workers 1]
                    [--one-only] [--json]
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
from ledger.chain.artifacts import load_artifact  # noqa: E402
from ledger.chain.clients import PocLedgerClient  # noqa: E402
from ledger.chain.connection import Backend, Chain, ChainConfig, connect_anvil  # noqa: E402
from ledger.chain.deploy import deploy_contract  # noqa: E402
from ledger.chain.deployment_record import DeploymentRecord  # noqa: E402
from ledger.chain.keystore import KeyStore  # noqa: E402
from ledger.domain.hashing import commitment, new_salt, sha256_bytes  # noqa: E402
from ledger.domain.values import Category, Policy  # noqa: E402
from ledger.errors import AnvilError  # noqa: E402
from ledger.store import Store  # noqa: E402
from ledger.store.engine import INDEX_FILE  # noqa: E402
from poc.sandbox.anvil import AnvilProcess, free_port  # noqa: E402

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
    extra_env: dict[str, str] = field(default_factory=dict)
    # Follower and outbox worker in their own process (`python -m poc.background`), the API
    # processes only serving requests.
    background_process: bool = False
    background_proc: subprocess.Popen[bytes] | None = None
    # The store's database (`POC_DATABASE_URL`): None for the SQLite files in `data_dir`.
    database_url: str | None = None

    @classmethod
    def start(
        cls,
        data_dir: Path,
        *,
        persist_delay: float = 2.5,
        api_workers: int = 1,
        extra_env: dict[str, str] | None = None,
        background_process: bool = False,
        database_url: str | None = None,
    ) -> LiveStack:
        """Start anvil, deploy, seed the project and keys, start the API. `database_url`
        names the store's database (e.g. PostgreSQL); by default SQLite files in `data_dir`."""
        data_dir.mkdir(parents=True, exist_ok=True)
        # As the sandbox runs it: no historical states (proofs use receipts and headers), so
        # the state dump anvil rewrites every second stays small.
        node = AnvilProcess(data_dir / "anvil", preserve_history=False)
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
        store = Store.open(database_url or f"sqlite:///{data_dir / INDEX_FILE}")
        keys = [
            issue_api_key(store, account.address, Role.PARTNER, f"bench-{i}")
            for i, account in enumerate(partners)
        ]
        store.close()
        stack = cls(
            data_dir,
            node,
            chain,
            record,
            project_id,
            partners,
            keys,
            persist_delay,
            api_workers,
            extra_env=dict(extra_env or {}),
            background_process=background_process,
            database_url=database_url,
        )
        stack.start_api()
        return stack

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def store_url(self) -> str:
        """The URL of the API's store (its index; the outbox beside it or in it)."""
        return self.database_url or f"sqlite:///{self.data_dir / INDEX_FILE}"

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
                "POC_MAX_IN_FLIGHT_PER_KEY": "100000",
                "POC_LOST_AFTER": "1.0",
                **({"POC_DATABASE_URL": self.database_url} if self.database_url else {}),
                **self.extra_env,
            }
        )
        return env

    def start_api(self, timeout: float = 60.0) -> None:
        """Start the API process (and the background one, if asked) and wait for /health."""
        log = (self.data_dir / "api.log").open("ab")
        env = self.api_env()
        if self.background_process:
            self.start_background()
            env = {**env, "POC_START_WORKERS": "false"}
        self.api_proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "poc.wiring:create_app",
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
            env=env,
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

    def start_background(self) -> None:
        """Start `python -m poc.background` (the follower and the outbox worker)."""
        with (self.data_dir / "background.log").open("ab") as log:
            self.background_proc = subprocess.Popen(
                [sys.executable, "-m", "poc.background"],
                cwd=REPO_ROOT,
                env=self.api_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill_background(self) -> None:
        """SIGKILL the background process (fault injection)."""
        if self.background_proc is not None:
            self.background_proc.send_signal(signal.SIGKILL)
            self.background_proc.wait(10)
            self.background_proc = None

    def kill_api(self) -> None:
        """SIGKILL the API process and the background one (fault injection)."""
        for proc in (self.api_proc, self.background_proc):
            if proc is not None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
        self.api_proc = self.background_proc = None

    def stop(self) -> None:
        """Stop the API and anvil."""
        for proc in (self.api_proc, self.background_proc):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.api_proc = self.background_proc = None
        self.chain.close()
        self.node.stop()

    def api_pids(self) -> list[int]:
        """The API's processes: uvicorn, the workers it spawned, the background process."""
        pids = [] if self.api_proc is None else [self.api_proc.pid, *_children(self.api_proc.pid)]
        if self.background_proc is not None:
            pids.append(self.background_proc.pid)
        return pids

    def registration(self, partner: int, label: str) -> dict[str, Any]:
        """A fresh registration body of partner number `partner`."""
        address = self.partners[partner].address
        commit = commitment(address, self.project_id, sha256_bytes(label.encode()), new_salt())
        return {"commitment": "0x" + commit.hex(), "origin": "result", "category": 0, "value": 1}


# ------------------------------------------------------------------------------ CPU use


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _children(pid: int) -> list[int]:
    """Direct children of `pid` (uvicorn's worker processes), from /proc."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.parent.name))
    return found


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) `pid` has used, 0 if it is gone or /proc is missing."""
    try:
        # The command name may hold spaces and parentheses: fields start after the last ")".
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _machine_busy() -> float:
    """CPU seconds all cores have spent busy since boot (0 without /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / _CLOCK_TICKS


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds spent during a run, by who spent them, and the run's wall time."""

    api: float
    node: float
    client: float
    machine: float
    wall: float

    @property
    def others(self) -> float:
        """CPU seconds of every other process on the machine (other work sharing the cores)."""
        return max(self.machine - self.api - self.node - self.client, 0.0)

    @property
    def stack(self) -> float:
        return self.api + self.node + self.client


class CpuMeter:
    """Reads the CPU counters of the stack's processes, this process and the machine."""

    def __init__(self, stack: LiveStack) -> None:
        self.stack = stack
        self._pids = stack.api_pids()
        self._start = self._read()

    def _read(self) -> tuple[float, float, float, float, float]:
        node_pid = self.stack.node.pid
        return (
            sum(_process_cpu(pid) for pid in self._pids),
            _process_cpu(node_pid) if node_pid is not None else 0.0,
            time.process_time(),
            _machine_busy(),
            time.perf_counter(),
        )

    def stop(self) -> CpuUse:
        end = self._read()
        api, node, client, machine, wall = (b - a for a, b in zip(self._start, end, strict=True))
        return CpuUse(api, node, client, machine, wall)


# ------------------------------------------------------------------------------ the client


class _Connection:
    """One keep-alive HTTP/1.1 connection that posts JSON and reads the status and body.

    httpx spends several milliseconds of CPU per request; on two shared cores that is CPU the
    API does not get. This client does only what the benchmark needs (fixed headers,
    Content-Length bodies) in a fraction of that.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def post(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        """Send `head` (request line and headers, without Content-Length) and `body`."""
        self.writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the API closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


@dataclass(frozen=True)
class Request:
    """A prepared request: path, the partner whose key sends it, the JSON body."""

    path: str
    partner: int
    body: bytes
    registrations: int


@dataclass(frozen=True)
class PhaseResult:
    """What one load phase measured."""

    requests: int
    registrations: int
    elapsed: float
    latencies: tuple[float, ...]
    failures: tuple[str, ...]
    cpu: CpuUse

    @property
    def rate(self) -> float:
        """Accepted registrations per second."""
        return self.registrations / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, fraction: float) -> float:
        return _percentile(list(self.latencies), fraction) * 1e3

    def cpu_ms(self, seconds: float) -> float:
        """CPU seconds spread over the accepted registrations, in ms each."""
        return seconds / self.registrations * 1e3 if self.registrations else float("nan")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def prepare_requests(
    stack: LiveStack, count: int, batch_size: int | None, tag: str
) -> list[Request]:
    """`count` fresh requests, partners taking turns, bodies serialised up front."""
    requests = []
    for i in range(count):
        partner = i % len(stack.partners)
        if batch_size is None:
            payload: dict[str, Any] = stack.registration(partner, f"{tag}-{i}")
            path = f"/v1/projects/{stack.project_id}/contributions"
        else:
            items = [stack.registration(partner, f"{tag}-{i}-{j}") for j in range(batch_size)]
            payload = {"items": items}
            path = f"/v1/projects/{stack.project_id}/batches"
        body = json.dumps(payload, separators=(",", ":")).encode()
        requests.append(Request(path, partner, body, batch_size or 1))
    return requests


async def _fire(
    stack: LiveStack, clients: int, requests: list[Request], rate: float | None = None
) -> PhaseResult:
    """Send `requests` over `clients` connections; with `rate` (requests/s) request i is due at
    i / rate seconds and its latency counts from then, else each connection sends as soon as
    its previous answer arrives."""
    host, port = "127.0.0.1", stack.api_port
    heads = [
        (
            f"POST {{path}} HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-Key: {key}\r\n"
            "Content-Type: application/json\r\n"
        )
        for key in stack.api_keys
    ]
    connections = [await _Connection.open(host, port) for _ in range(clients)]
    latencies: list[float] = []
    failures: list[str] = []
    accepted = 0
    next_index = 0
    meter = CpuMeter(stack)
    started = time.perf_counter()

    async def client(connection: _Connection) -> None:
        nonlocal accepted, next_index
        while next_index < len(requests):
            index = next_index
            next_index += 1
            request = requests[index]
            if rate is None:
                due = time.perf_counter()
            else:
                due = started + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            head = heads[request.partner].format(path=request.path).encode()
            status, body = await connection.post(head, request.body)
            if status in (200, 202):
                latencies.append(time.perf_counter() - due)
                accepted += request.registrations
            else:
                failures.append(f"{status} {body[:200]!r}")

    try:
        await asyncio.gather(*(client(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    elapsed = time.perf_counter() - started
    return PhaseResult(
        len(requests), accepted, elapsed, tuple(latencies), tuple(failures), meter.stop()
    )


def _run(
    stack: LiveStack, clients: int, requests: list[Request], rate: float | None = None
) -> PhaseResult:
    result = asyncio.run(_fire(stack, clients, requests, rate))
    if result.failures:
        print(
            f"warning: {len(result.failures)} requests not accepted, e.g. {result.failures[0]}",
            file=sys.stderr,
        )
    return result


def outbox_backlog(stack: LiveStack) -> int:
    """Operations not yet sent, or sent without a receipt."""
    store = Store(stack.store_url)
    try:
        counts = store.outbox.count_operations()
    finally:
        store.close()
    return counts.get("accepted", 0) + counts.get("sent", 0)


def wait_for_outbox(stack: LiveStack, timeout: float = 600.0) -> float:
    """Wait until every operation is sent and has a receipt; return the wait in seconds."""
    store = Store(stack.store_url)
    started = time.perf_counter()
    try:
        while store.outbox.operations_in(["accepted", "sent"], limit=1):
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"the outbox did not drain within {timeout:g} s")
            time.sleep(0.05)
    finally:
        store.close()
    return time.perf_counter() - started


# ------------------------------------------------------------------------------ the run


def _latency_records(name: str, result: PhaseResult, goal: str, limit: float) -> list[BenchRecord]:
    p50, p99 = result.percentile_ms(0.50), result.percentile_ms(0.99)
    return [
        BenchRecord(f"{name} p50 latency", p50, "ms", "-", True),
        BenchRecord(f"{name} p99 latency", p99, "ms", goal, p99 < limit),
    ]


def _cpu_records(name: str, result: PhaseResult) -> list[BenchRecord]:
    cpu = result.cpu
    cores = os.cpu_count() or 1
    stack_ms = result.cpu_ms(cpu.stack)
    return [
        BenchRecord(f"{name}: API CPU per registration", result.cpu_ms(cpu.api), "ms", "-", True),
        BenchRecord(
            f"{name}: anvil CPU per registration", result.cpu_ms(cpu.node), "ms", "-", True
        ),
        BenchRecord(
            f"{name}: client CPU per registration", result.cpu_ms(cpu.client), "ms", "-", True
        ),
        BenchRecord(
            f"{name}: other processes' CPU during the run",
            cpu.others / cpu.wall if cpu.wall else 0.0,
            "cores",
            "-",
            True,
        ),
        BenchRecord(
            f"{name}: {cores} cores / (API+anvil+client CPU)",
            cores / stack_ms * 1e3 if stack_ms else float("nan"),
            "1/s",
            "-",
            True,
        ),
    ]


def run_bench(
    *,
    clients: int = 50,
    requests: int = 1_500,
    batch_size: int = 100,
    api_workers: int = 1,
    one_rate: float = 150.0,
    batched_rate: float = 1_000.0,
    data_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    one_only: bool = False,
    background_process: bool = False,
) -> list[BenchRecord]:
    """Run both scenarios, saturated and paced, on a fresh stack; return the measured figures.

    `one_rate` and `batched_rate` are the paced runs' registrations/s (the goals);
    `one_only` skips the batched scenario.
    """
    batch_requests = max(requests // 10, clients)
    paced_batches = max(int(batched_rate / batch_size * 5), 1)  # about five seconds
    with tempfile.TemporaryDirectory(prefix="poc-bench-api-") as tmp:
        stack = LiveStack.start(
            data_dir or Path(tmp),
            api_workers=api_workers,
            extra_env=extra_env,
            background_process=background_process,
        )
        try:
            warm = prepare_requests(stack, 40, None, "warm")
            one = prepare_requests(stack, requests, None, "one")
            one_paced = prepare_requests(stack, requests, None, "one-paced")
            batched = prepare_requests(stack, batch_requests, batch_size, "batch")
            batched_paced = prepare_requests(stack, paced_batches, batch_size, "batch-paced")
            # Warm-up: connections, caches, the first nonce words.
            _run(stack, 5, warm)
            wait_for_outbox(stack)
            one_result = _run(stack, clients, one)
            backlog = outbox_backlog(stack)
            drain = wait_for_outbox(stack)
            included_rate = one_result.registrations / (one_result.elapsed + drain)
            # Once the burst is answered the worker has the machine to itself.
            worker_rate = backlog / drain if drain > 0 else float("inf")
            one_paced_result = _run(stack, clients, one_paced, one_rate)
            paced_drain = wait_for_outbox(stack)
            if not one_only:
                batched_result = _run(stack, clients, batched)
                wait_for_outbox(stack)
                batched_paced_result = _run(
                    stack, clients, batched_paced, batched_rate / batch_size
                )
        finally:
            try:
                stack.stop()
            except AnvilError as exc:
                # Its state dump (every block, with historical states) outgrew the stop
                # timeout; it was killed, and the figures are measured already.
                print(f"warning: {exc}", file=sys.stderr)
    one_rate_got = one_result.rate
    paced_included_rate = one_paced_result.registrations / (one_paced_result.elapsed + paced_drain)
    one_records = [
        BenchRecord(
            "one-tx-each accepted registrations/s",
            one_rate_got,
            "1/s",
            ">= 150",
            one_rate_got >= 150,
        ),
        *_latency_records("one-tx-each (saturated)", one_result, "-", float("inf")),
        BenchRecord(
            "one-tx-each sent and included registrations/s", included_rate, "1/s", "-", True
        ),
        BenchRecord(
            "one-tx-each: outbox backlog after the burst sent and included per s",
            worker_rate,
            "1/s",
            "-",
            True,
        ),
        *_latency_records(f"one-tx-each paced at {one_rate:g}/s", one_paced_result, "< 250", 250),
        BenchRecord(
            f"one-tx-each paced at {one_rate:g}/s: sent and included registrations/s",
            paced_included_rate,
            "1/s",
            "-",
            True,
        ),
        # The worker keeps up when next to nothing is left to send once the requests stop.
        BenchRecord(
            f"one-tx-each paced at {one_rate:g}/s: outbox emptied after the last request",
            paced_drain,
            "s",
            "< 1",
            paced_drain < 1.0,
        ),
        *_cpu_records("one-tx-each", one_result),
    ]
    if one_only:
        return one_records
    batch_rate_got = batched_result.rate
    return [
        *one_records,
        BenchRecord(
            f"batched ({batch_size}/request) accepted registrations/s",
            batch_rate_got,
            "1/s",
            ">= 1000",
            batch_rate_got >= 1000,
        ),
        *_latency_records("batched (saturated)", batched_result, "-", float("inf")),
        *_latency_records(
            f"batched paced at {batched_rate:g}/s", batched_paced_result, "< 250", 250
        ),
        *_cpu_records("batched", batched_result),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1_500)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="POC_NAME=VALUE",
        help="extra API setting (repeatable), e.g. POC_PREFLIGHT=false",
    )
    parser.add_argument(
        "--one-only", action="store_true", help="only the one-tx-each scenario (quicker)"
    )
    parser.add_argument(
        "--background-process",
        action="store_true",
        help="follower and outbox worker in `python -m poc.background`, not in the API process",
    )
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    records = run_bench(
        clients=args.clients,
        requests=args.requests,
        batch_size=args.batch_size,
        api_workers=args.api_workers,
        extra_env=dict(item.split("=", 1) for item in args.env),
        one_only=args.one_only,
        background_process=args.background_process,
    )
    if args.json:
        print(json.dumps([asdict(r) for r in records], indent=2))
    else:
        print(f"{'figure':<60} {'value':>10}  {'goal':<8}")
        for r in records:
            mark = "" if r.met else "  (goal missed)"
            print(f"{r.figure:<60} {r.value:>8.1f} {r.unit:<5} {r.goal:<8}{mark}")
        load_after = os.getloadavg()
        print(
            f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
            f"on {os.cpu_count()} cores"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

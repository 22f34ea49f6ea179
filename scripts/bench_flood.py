"""Benchmark of the API's limits under a flood: does one client leave the others served?

Starts the API as a real uvicorn process (one process, `--no-proxy-headers`, no chain: the
index and the API keys only) with the limits of its settings, defaults unless told otherwise,
and issues partner keys: some *victims* and one *flooder*. Then it alternates windows:

- *idle*: the victims send `GET /v1/projects`, paced (`--victim-rate` requests/s in all, the
  keys taking turns, each key well under its own limit), and every latency counts from the
  moment its request was due (no coordinated omission);
- *flood*: the same, while a separate process (`python scripts/bench_flood.py flood …`, so that
  it competes for the CPU as an outside client does) sends as fast as the server answers over
  `--flood-connections` keep-alive connections, either with the flooder's own good key (`key`)
  or with a made-up key each request (`bad-keys`, from 127.0.0.2: another client address than
  the victims').

Idle and flood windows alternate (idle first, `--rounds` of each) so that a change in the load
other processes put on the shared machine falls into both. Figures: the victims' p99 idle and
under flood and their ratio (the issue's goal: within 2x), the share of the flood refused with
429, and what of it the server still served (the flooder's own limit, or its key checks).

`measure()` returns the same figures for the test (`tests/api/test_flood.py`) and for
`scripts/bench_all.py`; `python scripts/bench_flood.py [--mode key|bad-keys] [--json]` prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from api.auth import Role, issue_api_key  # noqa: E402
from ledger.store import Store  # noqa: E402
from poc.sandbox.anvil import free_port  # noqa: E402

FloodMode = Literal["key", "bad-keys"]
VICTIM_PATH = "/v1/projects"
HOST = "127.0.0.1"
# Another loopback address (all of 127/8 is loopback on Linux): the bad-key flood comes from a
# client address of its own, as an attacker's would.
FLOOD_SOURCE = "127.0.0.2"
# Victim keys and their requests a second in all: 15/s each, under the default 20/s per key.
VICTIM_KEYS = 4
VICTIM_RATE = 60.0
# The flooder's connections: more than its key's rate reserves in one wait (20), so that part
# of the flood is refused, not only slowed down.
FLOOD_CONNECTIONS = 64
# Idle and flood windows of this many seconds, this many of each: 1,080 victim requests per
# condition at 60/s. Short windows, many of them: a stall of another process on the shared
# machine then falls into one short window, and both conditions get their share of stalls.
ROUNDS = 6
WINDOW_SECONDS = 3.0
# After a flood window, before the next idle one: requests the flood held up get answered.
SETTLE_SECONDS = 1.0
# Partner addresses the keys act for (the keys are all the server needs; no chain).
_PARTNERS = [f"0x{i:040x}" for i in range(1, 17)]


@dataclass(frozen=True)
class FloodFigures:
    """What one run measured."""

    mode: FloodMode
    idle_samples: int
    flood_samples: int
    idle_p50_ms: float
    idle_p99_ms: float
    flood_p50_ms: float
    flood_p99_ms: float
    victim_failures: int
    flood_requests: int
    flood_refused: int
    flood_served: int
    flood_seconds: float
    refusal_codes: dict[str, int] = field(default_factory=dict)
    # Idle/flood window pairs run: `rounds`, plus any that `min_samples` asked for.
    rounds: int = 0

    @property
    def p99_ratio(self) -> float:
        """The victims' p99 under flood over their idle p99."""
        return self.flood_p99_ms / self.idle_p99_ms if self.idle_p99_ms else float("inf")

    @property
    def refused_share(self) -> float:
        """The share of the flood's requests answered 429."""
        return self.flood_refused / self.flood_requests if self.flood_requests else 0.0

    @property
    def served_per_second(self) -> float:
        """Flood requests that got past the limits (2xx, or 401 after a key check) per second."""
        return self.flood_served / self.flood_seconds if self.flood_seconds else 0.0


# ------------------------------------------------------------------------------ the server


@dataclass
class FloodServer:
    """The API as a uvicorn process on a fresh data directory, with partner keys."""

    data_dir: Path
    victim_keys: list[str]
    flooder_key: str
    port: int
    proc: subprocess.Popen[bytes]

    @classmethod
    def start(
        cls, data_dir: Path, *, victims: int = VICTIM_KEYS, env: dict[str, str] | None = None
    ) -> FloodServer:
        data_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(f"sqlite:///{data_dir / 'index.sqlite3'}")
        try:
            keys = [
                issue_api_key(store, _PARTNERS[i], Role.PARTNER, f"flood-bench-{i}")
                for i in range(victims + 1)
            ]
        finally:
            store.close()
        port = free_port()
        server_env = {k: v for k, v in os.environ.items() if not k.startswith("POC_")}
        server_env.update(
            {"POC_DATA_DIR": str(data_dir), "POC_START_WORKERS": "false", **(env or {})}
        )
        with (data_dir / "api.log").open("ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "poc.wiring:create_app",
                    "--factory",
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                    # The API reads X-Forwarded-For itself, from trusted proxies only.
                    "--no-proxy-headers",
                ],
                cwd=REPO_ROOT,
                env=server_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = cls(data_dir, keys[1:], keys[0], port, proc)
        try:
            server._wait_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.data_dir / "api.log").read_text(errors="replace")
                raise RuntimeError(f"the API exited:\n{log[-2000:]}")
            with contextlib.suppress(OSError), Connection(HOST, self.port) as conn:
                if conn.get("/health", None)[0] == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("the API did not answer /health in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


# ------------------------------------------------------------------------------ the victims


class Connection:
    """One keep-alive HTTP/1.1 connection for GETs, as light on the CPU as a client can be."""

    def __init__(self, host: str, port: int, source: str | None = None) -> None:
        self.host, self.port = host, port
        address = (source, 0) if source else None
        self.sock = socket.create_connection((host, port), timeout=30, source_address=address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, path: str, key: str | None) -> tuple[int, dict[str, str], bytes]:
        auth = f"X-API-Key: {key}\r\n" if key else ""
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{auth}\r\n".encode()
        )
        status_line = self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self.reader.read(int(headers.get("content-length", "0")))
        return status, headers, body

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class Victims:
    """Paced GETs by the victim keys, one connection each, in a thread of their own."""

    def __init__(self, server: FloodServer, rate: float) -> None:
        self.server = server
        self.interval = 1.0 / rate
        self.latencies: dict[str, list[float]] = {}
        self.failures: list[str] = []
        self._window = "warm-up"
        self._stop = threading.Event()
        self._restart = threading.Event()
        self._thread = threading.Thread(target=self._run, name="victims", daemon=True)

    def window(self, name: str) -> None:
        """Count the latencies from now on under `name`. The schedule starts afresh: what the
        victims fell behind in one window must not count in the next."""
        self._window = name
        self._restart.set()

    def __enter__(self) -> Victims:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        keys = self.server.victim_keys
        connections = [Connection(HOST, self.server.port) for _ in keys]
        try:
            due = time.perf_counter()
            turn = 0
            while not self._stop.is_set():
                if self._restart.is_set():
                    self._restart.clear()
                    due = max(due, time.perf_counter())
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                window = self._window
                index = turn % len(keys)
                try:
                    status, _, body = connections[index].get(VICTIM_PATH, keys[index])
                except (OSError, ConnectionError, ValueError) as exc:
                    self.failures.append(f"{window}: {exc!r}")
                    connections[index].close()
                    connections[index] = Connection(HOST, self.server.port)
                else:
                    if status == 200:
                        latency = time.perf_counter() - due
                        self.latencies.setdefault(window, []).append(latency)
                    else:
                        self.failures.append(f"{window}: {status} {body[:200]!r}")
                turn += 1
                due += self.interval
        finally:
            for connection in connections:
                connection.close()


# ------------------------------------------------------------------------------ the flooder


class Flooder:
    """The flooding process (`flood` sub-command), started and stopped through its stdin."""

    def __init__(self, server: FloodServer, mode: FloodMode, connections: int) -> None:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "flood",
            "--port",
            str(server.port),
            "--mode",
            mode,
            "--key",
            server.flooder_key,
            "--connections",
            str(connections),
        ]
        self.proc = subprocess.Popen(
            command, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._expect("ready")

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def _expect(self, word: str) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith(word):
            raise RuntimeError(f"the flooder said {line!r}, expected {word!r}")
        return line[len(word) :].strip()

    def start(self) -> None:
        self._send("start")
        self._expect("started")

    def stop(self) -> dict[str, int]:
        """Pause the flood; the answers it got since `start`, by status (and 429 code)."""
        self._send("stop")
        counts: dict[str, int] = json.loads(self._expect("stopped"))
        return counts

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._send("quit")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def _random_key() -> str:
    return f"poc_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


async def _flood(port: int, mode: FloodMode, key: str, connections: int) -> None:
    """The flooder's loop: `connections` clients sending GETs back to back while flooding."""
    flooding = asyncio.Event()
    counts: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    source = (FLOOD_SOURCE, 0) if mode == "bad-keys" else None
    host_header = f"Host: {HOST}:{port}\r\n"
    fixed = f"GET {VICTIM_PATH} HTTP/1.1\r\n{host_header}X-API-Key: {key}\r\n\r\n".encode()

    async def client() -> None:
        reader = writer = None
        while True:
            await flooding.wait()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port, local_addr=source)
                assert reader is not None
                if mode == "key":
                    request = fixed
                else:
                    request = (
                        f"GET {VICTIM_PATH} HTTP/1.1\r\n{host_header}"
                        f"X-API-Key: {_random_key()}\r\n\r\n"
                    ).encode()
                writer.write(request)
                status_line = await reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = status_line.split(b" ", 2)[1].decode()
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                if flooding.is_set():
                    if status == "429":
                        code = json.loads(body).get("code", "?")
                        counts[f"429 {code}"] += 1
                    else:
                        counts[status] += 1
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                counts["connection error"] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None

    def control() -> None:
        for line in sys.stdin:
            command = line.strip()
            if command == "start":
                counts.clear()
                loop.call_soon_threadsafe(flooding.set)
                print("started", flush=True)
            elif command == "stop":
                paused = threading.Event()
                loop.call_soon_threadsafe(_pause, flooding, paused)
                paused.wait()
                print("stopped " + json.dumps(dict(counts)), flush=True)
            elif command == "quit":
                break
        loop.call_soon_threadsafe(loop.stop)

    tasks = [asyncio.create_task(client()) for _ in range(connections)]
    threading.Thread(target=control, daemon=True).start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        for task in tasks:
            task.cancel()


def _pause(flooding: asyncio.Event, paused: threading.Event) -> None:
    flooding.clear()
    paused.set()


def flood_main(args: argparse.Namespace) -> int:
    with contextlib.suppress(RuntimeError):  # the control thread stops the loop on quit
        asyncio.run(_flood(args.port, args.mode, args.key, args.connections))
    return 0


# ------------------------------------------------------------------------------ the run


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@contextlib.contextmanager
def running_server(
    env: dict[str, str] | None = None, *, victims: int = VICTIM_KEYS, data_dir: Path | None = None
) -> Iterator[FloodServer]:
    """A `FloodServer` on a temporary data directory, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="poc-bench-flood-") as tmp:
        server = FloodServer.start(data_dir or Path(tmp), victims=victims, env=env)
        try:
            yield server
        finally:
            server.stop()


def measure(
    server: FloodServer,
    *,
    mode: FloodMode = "key",
    rounds: int = ROUNDS,
    window: float = WINDOW_SECONDS,
    victim_rate: float = VICTIM_RATE,
    flood_connections: int = FLOOD_CONNECTIONS,
    min_samples: int = 0,
    max_rounds: int | None = None,
) -> FloodFigures:
    """Alternate idle and flood windows on `server`; return the figures.

    After `rounds` pairs of windows, more pairs are run (up to `max_rounds`, default twice
    `rounds`) while either condition has fewer than `min_samples` victim latencies. A victim
    waits for each answer before its next request, so on a slow or busy machine a window holds
    fewer requests than its length promises; a p99 needs enough of them to mean something."""
    flooder = Flooder(server, mode, flood_connections)
    counts: Counter[str] = Counter()
    flood_seconds = 0.0
    limit = max_rounds if max_rounds is not None else 2 * rounds
    done = 0

    def enough(victims: Victims) -> bool:
        return all(len(victims.latencies.get(w, [])) >= min_samples for w in ("idle", "flood"))

    try:
        with Victims(server, victim_rate) as victims:
            time.sleep(1.0)  # warm-up: connections, caches, the victims' first lookups
            while done < rounds or (done < limit and not enough(victims)):
                done += 1
                victims.window("idle")
                time.sleep(window)
                flooder.start()
                started = time.perf_counter()
                victims.window("flood")
                time.sleep(window)
                victims.window("settling")
                counts.update(flooder.stop())
                flood_seconds += time.perf_counter() - started
                time.sleep(SETTLE_SECONDS)
    finally:
        flooder.close()
    idle = victims.latencies.get("idle", [])
    flood = victims.latencies.get("flood", [])
    total = sum(counts.values())
    refused = sum(n for status, n in counts.items() if status.startswith("429"))
    served = sum(n for status, n in counts.items() if status in ("200", "401"))
    return FloodFigures(
        mode=mode,
        idle_samples=len(idle),
        flood_samples=len(flood),
        idle_p50_ms=_percentile(idle, 0.50) * 1e3,
        idle_p99_ms=_percentile(idle, 0.99) * 1e3,
        flood_p50_ms=_percentile(flood, 0.50) * 1e3,
        flood_p99_ms=_percentile(flood, 0.99) * 1e3,
        victim_failures=len(victims.failures),
        flood_requests=total,
        flood_refused=refused,
        flood_served=served,
        flood_seconds=flood_seconds,
        refusal_codes={k: v for k, v in counts.items() if k.startswith("429")},
        rounds=done,
    )


@dataclass(frozen=True)
class BenchRecord:
    """One figure for `scripts/bench_all.py`."""

    figure: str
    value: float
    unit: str
    goal: str


def records(figures: FloodFigures, label: str) -> list[BenchRecord]:
    """The figures of one run as table rows."""
    return [
        BenchRecord(f"{label}: victims' idle p99", figures.idle_p99_ms, "ms", "-"),
        BenchRecord(f"{label}: victims' p99 under flood", figures.flood_p99_ms, "ms", "-"),
        BenchRecord(f"{label}: p99 under flood / idle p99", figures.p99_ratio, "x", "<= 2"),
        BenchRecord(f"{label}: flood answered 429", figures.refused_share * 100, "%", "-"),
        BenchRecord(
            f"{label}: flood requests past the limits",
            figures.served_per_second,
            "1/s",
            "-",
        ),
        BenchRecord(
            f"{label}: flood requests sent",
            figures.flood_requests / figures.flood_seconds if figures.flood_seconds else 0.0,
            "1/s",
            "-",
        ),
        BenchRecord(
            f"{label}: victims' requests not answered 200", figures.victim_failures, "", "<= 0"
        ),
    ]


def run(
    modes: tuple[FloodMode, ...] = ("key", "bad-keys"),
    *,
    rounds: int = ROUNDS,
    window: float = WINDOW_SECONDS,
    env: dict[str, str] | None = None,
) -> list[BenchRecord]:
    """Both floods on one server with the default limits (or `env`'s); the table rows."""
    rows: list[BenchRecord] = []
    labels = {"key": "flood by one key", "bad-keys": "flood of made-up keys"}
    with running_server(env) as server:
        for mode in modes:
            figures = measure(server, mode=mode, rounds=rounds, window=window)
            rows.extend(records(figures, labels[mode]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command")
    flood = sub.add_parser("flood", help="be the flooding process (driven through stdin)")
    flood.add_argument("--port", type=int, required=True)
    flood.add_argument("--mode", choices=["key", "bad-keys"], default="key")
    flood.add_argument("--key", required=True)
    flood.add_argument("--connections", type=int, default=FLOOD_CONNECTIONS)
    parser.add_argument("--mode", choices=["key", "bad-keys", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--window", type=float, default=WINDOW_SECONDS, help="seconds per window")
    parser.add_argument("--victim-rate", type=float, default=VICTIM_RATE)
    parser.add_argument("--flood-connections", type=int, default=FLOOD_CONNECTIONS)
    parser.add_argument(
        "--env", action="append", default=[], metavar="POC_NAME=VALUE", help="API setting"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "flood":
        return flood_main(args)
    modes: tuple[FloodMode, ...] = ("key", "bad-keys") if args.mode == "both" else (args.mode,)
    env = dict(item.split("=", 1) for item in args.env)
    results = []
    with running_server(env) as server:
        for mode in modes:
            figures = measure(
                server,
                mode=mode,
                rounds=args.rounds,
                window=args.window,
                victim_rate=args.victim_rate,
                flood_connections=args.flood_connections,
            )
            results.append(figures)
    if args.json:
        print(json.dumps([{**asdict(f), "p99_ratio": f.p99_ratio} for f in results], indent=2))
        return 0
    for figures in results:
        print(f"== flood mode {figures.mode}")
        for r in records(figures, figures.mode):
            print(f"{r.figure:<60} {r.value:>9.2f} {r.unit:<4} {r.goal}")
        print(
            f"samples idle {figures.idle_samples}, flood {figures.flood_samples}; "
            f"p50 idle {figures.idle_p50_ms:.1f} ms, flood {figures.flood_p50_ms:.1f} ms; "
            f"429 codes {figures.refusal_codes}"
        )
    print(f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

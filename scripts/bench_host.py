"""The hosted platform under load: 50 workspaces, 10 active at once, registering and reading.

A benchmark, not a test. It runs `poc host` as its own process on 127.0.0.1 (loopback only),
on a throw-away PostgreSQL (`poc.hosting.local`; SQLite when PostgreSQL's programs are
missing), with anvil nodes per workspace that the platform stops when idle. Then, in rounds of
`active` workspaces at once until `workspaces` were used:

1. the operator invites each workspace of the round (operator API) and its owner redeems the
   invitation (the first start: node, deployment, demo seed, keys);
2. one client per workspace, all at once, sends `requests` requests: a registration of a new
   contribution (accepted, 202) and a read of the project's contributions, in turn;
3. the round's workspaces are left idle, and the platform stops their nodes.

Figures: the first start of a workspace (p50, p99), registration and read latency (p50, p99)
with `active` workspaces busy at once, errors, and memory: every process of the platform (the
sum of their resident sets: `poc host`, its API processes, its nodes; peak over the run, and
per active workspace). The platform's per-minute request quota is raised so that the run
measures serving, not refusing.

It runs twice, the same load each time, so that the rows compare: `split` is `poc host` as it
starts by default (one background process owning the nodes, two API processes on the public
port), `one process` is `poc host --single-process`.

`run()` returns the records for scripts/bench_all.py; `--json` prints them.

    .venv/bin/python scripts/bench_host.py [--workspaces 50] [--active 10] [--requests 40]
        [--modes split,single] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402

from ledger.domain.hashing import commitment, new_salt, sha256_bytes  # noqa: E402
from poc.sandbox.anvil import free_port  # noqa: E402
from scripts.bench_chain import Record  # noqa: E402

OPERATOR_TOKEN = "bench-" + secrets.token_hex(20)
START_TIMEOUT = 180.0


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and its descendants (the platform and its anvil nodes)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{current}/task/{current}/children") as fh:
                pending.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


@contextlib.contextmanager
def _database() -> Iterator[str | None]:
    try:
        from poc.hosting.local import LocalPostgres

        postgres = LocalPostgres()
    except Exception:  # no PostgreSQL programs here: the platform's SQLite default
        yield None
        return
    try:
        postgres.start()
        yield postgres.url
    finally:
        postgres.stop()


#: The platform's shapes the run compares: `poc host`'s extra arguments and the rows' label.
MODES: dict[str, tuple[list[str], str]] = {
    "split": (["--api-processes", "2"], "split (1 background + 2 API processes)"),
    "single": (["--single-process"], "one process"),
}


@contextlib.contextmanager
def _platform(
    data_dir: Path, database_url: str | None, mode: str
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "POC_HOST_OPERATOR_TOKEN": OPERATOR_TOKEN,
            "POC_HOST_REQUESTS_PER_MINUTE": "1000000",
            "POC_HOST_IDLE_MINUTES": "0.05",
            "POC_HOST_ACTIVITY_SECONDS": "1",
            "POC_HOST_SWEEP_SECONDS": "2",
            "POC_HOST_KEYSTORE_SCRYPT_N": "16",
        }
    )
    command = [
        sys.executable,
        "-m",
        "poc",
        "host",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *MODES[mode][0],
    ]
    if database_url:
        command += ["--database-url", database_url]
    # A file, not a pipe: nobody reads the API processes' warnings while the run goes on.
    with tempfile.TemporaryFile() as told:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=told)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    told.seek(0)
                    raise RuntimeError(f"poc host ended: {told.read().decode()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (
                        httpx.get(
                            f"http://127.0.0.1:{port}/health",
                            headers={"Host": f"localhost:{port}"},
                        ).status_code
                        == 200
                    ):
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("poc host did not answer in time")
                time.sleep(0.2)
            try:
                yield process, port
            except BaseException:
                told.seek(0)
                print(f"poc host said:\n{told.read().decode()[-6000:]}", file=sys.stderr)
                raise
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _client(port: int, host: str) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": host}, timeout=120.0)


def run(
    workspaces: int = 50,
    active: int = 10,
    requests: int = 40,
    modes: tuple[str, ...] = ("split", "single"),
) -> list[Record]:
    """Measure each of `modes` under the same load; the records (figure, value, unit, goal),
    each figure prefixed with its mode."""
    records: list[Record] = []
    for mode in modes:
        label = MODES[mode][1]
        records += [
            Record(f"{label}: {r.figure}", r.value, r.unit, r.goal)
            for r in _run_mode(mode, workspaces, active, requests)
        ]
    return records


def _run_mode(mode: str, workspaces: int, active: int, requests: int) -> list[Record]:
    starts: list[float] = []
    registers: list[float] = []
    reads: list[float] = []
    errors = 0
    peak = 0
    with contextlib.ExitStack() as stack:
        temp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-host-"))
        database_url = stack.enter_context(_database())
        process, port = stack.enter_context(_platform(Path(temp) / "data", database_url, mode))
        stop = threading.Event()
        baseline = _tree_rss(process.pid)

        def watch() -> None:
            nonlocal peak
            while not stop.wait(0.5):
                peak = max(peak, _tree_rss(process.pid))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        operator = _client(port, f"localhost:{port}")
        auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

        def join(slug: str) -> dict[str, Any]:
            made = operator.post(
                "/operator/api/workspaces",
                json={"slug": slug, "ownerName": slug, "ownerEmail": f"{slug}@bench.example"},
                headers=auth,
            )
            made.raise_for_status()
            started = time.perf_counter()
            with _client(port, f"{slug}.localhost:{port}") as client:
                joined = client.post(
                    f"/join/{made.json()['code']}", headers={"Accept": "application/json"}
                )
                joined.raise_for_status()
                status = client.get(
                    "/hosted/api/status",
                    headers={"X-Workspace-Session": joined.json()["session"]},
                )
                status.raise_for_status()
            starts.append(time.perf_counter() - started)
            keys = {k["label"]: k for k in joined.json()["keys"]}
            return {
                "slug": slug,
                "key": keys["leievlas"],
                "project": status.json()["projectId"],
            }

        refused: list[str] = []

        def work(ws: dict[str, Any]) -> int:
            failures = 0
            key = ws["key"]
            project = ws["project"]
            headers = {"X-API-Key": key["apiKey"]}
            with _client(port, f"{ws['slug']}.localhost:{port}") as client:
                for i in range(requests):
                    if i % 2 == 0:
                        content = sha256_bytes(new_salt())
                        body = {
                            "commitment": "0x"
                            + commitment(key["address"], project, content, new_salt()).hex(),
                            "origin": "result",
                            "category": 0,
                            "value": "1",
                        }
                        started = time.perf_counter()
                        response = client.post(
                            f"/v1/projects/{project}/contributions", json=body, headers=headers
                        )
                        registers.append(time.perf_counter() - started)
                        if response.status_code != 202:
                            failures += 1
                            refused.append(f"{response.status_code} {response.text[:200]}")
                    else:
                        started = time.perf_counter()
                        response = client.get(
                            f"/v1/projects/{project}/contributions?limit=50", headers=headers
                        )
                        reads.append(time.perf_counter() - started)
                        if response.status_code != 200:
                            failures += 1
                            refused.append(f"{response.status_code} {response.text[:200]}")
            return failures

        used = 0
        round_number = 0
        while used < workspaces:
            size = min(active, workspaces - used)
            slugs = [f"b{round_number:02d}-{i:02d}" for i in range(size)]
            with ThreadPoolExecutor(max_workers=size) as pool:
                joined = list(pool.map(join, slugs))
                errors += sum(pool.map(work, joined))
            used += size
            round_number += 1
        stop.set()
        watcher.join()
        operator.close()
        for answer in refused[:5]:
            print(f"{mode}: refused: {answer}", file=sys.stderr)
    ms = 1000.0
    return [
        Record(
            f"first start of a workspace (node, deploy, seed, keys), p50, {active} at once",
            round(statistics.median(starts), 2),
            "s",
            "-",
        ),
        Record(
            f"first start of a workspace, p99, {active} at once",
            round(_percentile(starts, 0.99), 2),
            "s",
            "-",
        ),
        Record(
            f"registration latency p50, {active} workspaces active",
            round(_percentile(registers, 0.5) * ms, 1),
            "ms",
            "-",
        ),
        Record(
            f"registration latency p99, {active} workspaces active",
            round(_percentile(registers, 0.99) * ms, 1),
            "ms",
            "-",
        ),
        Record(
            f"read latency p50, {active} workspaces active",
            round(_percentile(reads, 0.5) * ms, 1),
            "ms",
            "-",
        ),
        Record(
            f"read latency p99, {active} workspaces active",
            round(_percentile(reads, 0.99) * ms, 1),
            "ms",
            "-",
        ),
        Record(
            f"errors over {workspaces} workspaces x {requests} requests", errors, "count", "<= 0"
        ),
        Record("memory at start (platform processes)", round(baseline / 2**20, 1), "MB", "-"),
        Record(
            f"memory peak (platform processes + nodes), {workspaces} workspaces, {active} at once",
            round(peak / 2**20, 1),
            "MB",
            "-",
        ),
        Record(
            "memory per active workspace (peak - start) / active",
            round((peak - baseline) / active / 2**20, 1),
            "MB",
            "-",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--active", type=int, default=10)
    parser.add_argument("--requests", type=int, default=40, help="per workspace")
    parser.add_argument(
        "--modes", default="split,single", help="which of split, single (comma-separated)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"unknown mode(s): {', '.join(unknown)}")
    records = run(args.workspaces, args.active, args.requests, modes)
    if args.json:
        print(json.dumps([{**asdict(r), "verdict": r.verdict} for r in records], indent=2))
        return 0
    width = max(len(r.figure) for r in records)
    for r in records:
        print(f"{r.figure:<{width}}  {r.value:>10}  {r.unit}  {r.verdict}")
    print(f"load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

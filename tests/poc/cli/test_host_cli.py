"""`poc host`: refuses to start without an operator token, refuses to listen beyond the
loopback without the platform's domain, and `--local` starts a throw-away PostgreSQL and
removes it (and its temporary data) when stopped; by default it is the background process and
starts two API processes, all of which end with it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from poc.cli.main import main
from poc.hosting.local import find_postgres_bin
from poc.sandbox.anvil import free_port


@pytest.fixture
def no_host_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("POC_HOST_"):
            monkeypatch.delenv(name)


@dataclass(frozen=True)
class HostRun:
    """A running `poc host --local`: its process id, port, and what it printed up to ready."""

    pid: int
    port: int
    text: str


@contextmanager
def _running_host(*arguments: str) -> Iterator[HostRun]:
    """Start `poc host --local` on a free port, wait for its "Stop with Ctrl-C", and at the
    end stop it with SIGTERM, as an operator's Ctrl-C or service manager would: it must exit
    with 0."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "poc", "host", "--local", "--port", str(port), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300
        assert process.stdout is not None
        while not any("Stop with Ctrl-C" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(lines)
            lines.append(line)
        yield HostRun(process.pid, port, "".join(lines))
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=120)
    assert process.returncode == 0, "".join(lines) + rest


def test_host_without_operator_token_refuses_to_start(
    no_host_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["host", "--data-dir", str(tmp_path), "--port", str(free_port())]) == 1
    assert "POC_HOST_OPERATOR_TOKEN" in capsys.readouterr().err


def test_host_beyond_loopback_without_domain_refuses_to_start(
    no_host_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["host", "--listen", "0.0.0.0"]) == 1
    assert "--domain" in capsys.readouterr().err


def test_host_local_on_a_public_address_refuses_to_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["host", "--local", "--listen", "0.0.0.0", "--domain", "x.example"]) == 1
    assert "127.0.0.1" in capsys.readouterr().err


@pytest.mark.timeout(600)
def test_host_local_starts_a_throwaway_postgres_and_removes_it_on_stop(no_host_env: None) -> None:
    try:
        find_postgres_bin()
    except Exception as exc:
        pytest.skip(str(exc))
    before = set(Path(tempfile.gettempdir()).glob("poc-host-pg-*"))
    with _running_host("--chain", "memory") as host_run:
        text, port = host_run.text, host_run.port
        token = re.search(r"operator token\s+([0-9a-f]{48})", text)
        data = re.search(r"data\s+(\S+)", text)
        assert token and data, text
        assert "postgresql+psycopg://" in text and "127.0.0.1" in text
        base = f"http://127.0.0.1:{port}"
        host = {"Host": f"localhost:{port}"}
        assert httpx.get(f"{base}/health", headers=host).status_code == 200
        listed = httpx.get(
            f"{base}/operator/api/workspaces",
            headers={**host, "Authorization": f"Bearer {token.group(1)}"},
        )
        assert listed.status_code == 200 and listed.json() == []
        database = re.search(r"postgresql\+psycopg://(?:\S+@)?127\.0\.0\.1:(\d+)/", text)
        assert database, text
        # Another test's host may have made a directory meanwhile: ours serves our port.
        new = set(Path(tempfile.gettempdir()).glob("poc-host-pg-*")) - before
        ours = {d for d in new if _postmaster_port(d) == int(database.group(1))}
        assert len(ours) == 1 and Path(data.group(1)).is_dir()
    assert not Path(data.group(1)).exists()
    assert not any(p.exists() for p in ours), "the throw-away PostgreSQL was left behind"


def _postmaster_port(root: Path) -> int | None:
    """The port of the server running on `root`/data (line 4 of its postmaster.pid)."""
    try:
        lines = (root / "data" / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""
    state = next(
        (
            line.split(":", 1)[1].strip()
            for line in status.splitlines()
            if line.startswith("State:")
        ),
        "?",
    )
    return f"{state} {cmdline[:120]}"


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        children: list[str] = []
        # Per thread: a child belongs to the thread that forked it.
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children += (task / "children").read_text().split()
            except OSError:
                continue
        for child in map(int, children):
            found.add(child)
            pending.append(child)
    return found


@pytest.mark.timeout(600)
def test_host_local_runs_background_and_api_processes_and_stops_them_all(
    no_host_env: None,
) -> None:
    try:
        find_postgres_bin()
    except Exception as exc:
        pytest.skip(str(exc))
    with _running_host() as host_run:
        text, port = host_run.text, host_run.port
        assert re.search(
            r"processes\s+1 background \(control API http://127\.0\.0\.1:\d+\), 2 API", text
        )
        data = re.search(r"data\s+(\S+)", text)
        assert data, text
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", headers={"Host": f"localhost:{port}"}).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the API processes did not answer"
            time.sleep(0.2)
        # The API processes: uvicorn's supervisor and its two workers, under `poc host`.
        children = _descendants(host_run.pid)
        workers = [
            pid
            for pid in children
            if "poc.hosting.processes:create_api_app" in Path(f"/proc/{pid}/cmdline").read_text()
            or "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_text()
        ]
        assert len(workers) >= 3, children

    def left() -> dict[int, str]:
        states = {pid: _state(pid) for pid in children}
        return {pid: s for pid, s in states.items() if s and not s.startswith("Z")}

    # Everything it started ends with it (a worker may take a moment to exit after its
    # supervisor told it to).
    deadline = time.monotonic() + 15
    while left() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left(), left()
    assert not Path(data.group(1)).exists()

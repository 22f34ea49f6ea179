"""`poc sandbox` run as a user runs it: a real process, its printed keys and addresses, its
output line by line. Shared by the end-to-end tests (tests/e2e) and the fault tests
(tests/faults), which start such processes through their `sandboxes` fixture.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from poc.sandbox.anvil import free_port

# A start takes 3-4 s on an idle laptop-class machine (README); these bounds are generous
# because the suite runs many chains in parallel and a loaded machine is several times slower.
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0

KEY_RE = re.compile(r"api key (poc_\S+)")
ANVIL_RE = re.compile(r"Chain: anvil at (http://127\.0\.0\.1:\d+)")


def _poc() -> list[str]:
    script = Path(sys.executable).with_name("poc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "poc.cli.main"]


class Sandbox:
    """One `poc sandbox` process; its output is collected line by line as it comes."""

    def __init__(
        self, *args: str, env: dict[str, str] | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [*_poc(), "sandbox", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Ready in"):
                self._ready.set()
        self._ready.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_healthy(self) -> float:
        """Seconds from the command to the first 200 from /health."""
        deadline = self.started_at + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"sandbox exited with {self.proc.returncode}:\n{self.output}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    elapsed = time.monotonic() - self.started_at
                    # The banner follows once the demo's contributions are registered through
                    # the API that now answers (`seed_contributions`): within the same bound.
                    assert self._ready.wait(max(5.0, deadline - time.monotonic())), self.output
                    print(f"/health answered {elapsed:.1f} s after the command")
                    return elapsed
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"/health did not answer within {READY_TIMEOUT} s:\n{self.output}")

    @property
    def keys(self) -> list[str]:
        """The API keys printed, in banner order (coordinator first, admin last)."""
        return KEY_RE.findall(self.output)

    @property
    def anvil_url(self) -> str:
        match = ANVIL_RE.search(self.output)
        assert match, self.output
        return match.group(1)

    def get(self, path: str, key: str | None = None) -> httpx.Response:
        headers = {"X-API-Key": key or self.keys[0]}
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=10.0)

    def stop_when_exited(self) -> int:
        """Wait for the process to end by itself; its exit status."""
        try:
            code = self.proc.wait(READY_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"sandbox still running after {READY_TIMEOUT} s:\n{self.output}")
        self._reader.join(5.0)
        return code

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"sandbox ignored {sig.name} for {STOP_TIMEOUT} s:\n{self.output}")
        self._reader.join(5.0)
        return code


def stopped_at_the_end() -> Iterator[list[Sandbox]]:
    """For a `sandboxes` fixture: started sandboxes are stopped (SIGTERM, so anvil saves and
    exits) even if a test fails."""
    started: list[Sandbox] = []
    yield started
    for sandbox in started:
        if sandbox.proc.poll() is None:
            sandbox.proc.send_signal(signal.SIGTERM)
            try:
                sandbox.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                sandbox.proc.kill()


def start_sandbox(
    sandboxes: list[Sandbox],
    *args: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Sandbox:
    sandbox = Sandbox(*args, env=env, port=port)
    sandboxes.append(sandbox)
    return sandbox

"""The split platform under test, as an operator runs it: a background process
(`poc host --role background`) and API processes (`poc host --role api`), each a real process
started from the command line, on real anvil nodes and the platform's database (PostgreSQL
with POC_TEST_DATABASE_URL, else SQLite). Each API process listens on a port of its own, so
that a test chooses which one a request goes to; requests carry the Host header a browser
would send and the workspace session as the `X-Workspace-Session` header."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from poc.hosting.control import CONTROL_HEADER, control_secret
from poc.hosting.settings import HostSettings
from poc.sandbox.anvil import free_port
from tests.poc.hosting.support import DOMAIN, OPERATOR_TOKEN

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 120.0


@dataclass
class Session:
    """A signed-in workspace owner: its session, the page's CSRF value and its API keys."""

    slug: str
    session: str
    csrf: str
    keys: dict[str, str]
    addresses: dict[str, str]

    @property
    def session_headers(self) -> dict[str, str]:
        return {"X-Workspace-Session": self.session, "X-Workspace-Csrf": self.csrf}

    def key_headers(self, label: str = "leievlas") -> dict[str, str]:
        return {"X-API-Key": self.keys[label]}


@dataclass
class SplitHost:
    """One background process and `len(api_ports)` API processes on one platform."""

    data_dir: Path
    database_url: str
    env: dict[str, str]
    control_port: int
    api_ports: list[int]
    logs: Path
    background: subprocess.Popen[bytes] | None = None
    apis: list[subprocess.Popen[bytes] | None] = field(default_factory=list)

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"

    @property
    def secret(self) -> str:
        return control_secret(HostSettings(operator_token=OPERATOR_TOKEN))  # type: ignore[arg-type]

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "poc", "host", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start(self) -> SplitHost:
        self.background = self._spawn(
            "background",
            ["--role", "background", "--control-port", str(self.control_port)],
            self.env,
        )
        self.apis = [None] * len(self.api_ports)
        for index in range(len(self.api_ports)):
            self.start_api(index)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                ready = httpx.get(
                    f"{self.control_url}/control/health",
                    headers={CONTROL_HEADER: self.secret},
                    timeout=2,
                ).status_code == 200 and all(self._answers(p) for p in self.api_ports)
            except httpx.HTTPError:
                ready = False
            if ready:
                return self
            if time.monotonic() > deadline or self.background.poll() is not None:
                raise AssertionError(f"the split did not start: {self.log_tail()}")
            time.sleep(0.25)

    def start_api(self, index: int) -> None:
        env = self.env | {"POC_HOST_CONTROL_URL": self.control_url}
        if index == 1:
            # The second asks the background process again only after two minutes: what it
            # learns of a reset sooner, it learns from the workspace's row (its generation).
            env["POC_HOST_ACTIVITY_SECONDS"] = "120"
        self.apis[index] = self._spawn(
            f"api{index}",
            ["--role", "api", "--port", str(self.api_ports[index]), "--api-processes", "1"],
            env,
        )

    def wait_api(self, index: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers(self.api_ports[index]):
            if time.monotonic() > deadline:
                raise AssertionError(f"API process {index} did not start: {self.log_tail()}")
            time.sleep(0.25)

    def _answers(self, port: int) -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health", headers={"Host": DOMAIN})
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def kill_api(self, index: int) -> None:
        """kill -9 API process `index`."""
        process = self.apis[index]
        assert process is not None
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        self.apis[index] = None

    def stop(self) -> None:
        for process in [*self.apis, self.background]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [*self.apis, self.background]:
            if process is None:
                continue
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    # -- clients -------------------------------------------------------------------------------

    def client(self, index: int, slug: str | None = None) -> httpx.Client:
        """A client of API process `index`, on the workspace's origin or the platform's."""
        host = DOMAIN if slug is None else f"{slug}.{DOMAIN}"
        return httpx.Client(
            base_url=f"http://127.0.0.1:{self.api_ports[index]}",
            headers={"Host": host},
            timeout=httpx.Timeout(300.0, connect=10.0),
        )

    @property
    def operator_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

    def join(self, slug: str, *, via: int = 0) -> Session:
        """Invite `slug` and redeem the invitation through API process `via`."""
        with self.client(via) as platform:
            invited = platform.post(
                "/operator/api/workspaces",
                json={"slug": slug, "ownerName": f"SME {slug}", "ownerEmail": f"{slug}@x.example"},
                headers=self.operator_headers,
            )
        assert invited.status_code == 201, invited.text
        with self.client(via, slug) as workspace:
            joined = workspace.post(
                f"/join/{invited.json()['code']}", headers={"Accept": "application/json"}
            )
        assert joined.status_code == 200, joined.text
        return session_of(slug, joined.json())


def session_of(slug: str, data: dict[str, Any], session: Session | None = None) -> Session:
    """A `Session` from a join's (or a reset's, or new keys') answer."""
    keys = {k["label"]: k["apiKey"] for k in data["keys"]}
    addresses = {k["label"]: k["address"] for k in data["keys"]}
    if session is not None:
        return Session(slug, session.session, session.csrf, keys, addresses)
    return Session(slug, data["session"], data["csrf"], keys, addresses)


def make_split_host(tmp: Path, database_url: str, api_processes: int = 2) -> SplitHost:
    data_dir = tmp / "data"
    logs = tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ) | {
        "POC_HOST_OPERATOR_TOKEN": OPERATOR_TOKEN,
        "POC_HOST_DATA_DIR": str(data_dir),
        "POC_HOST_DATABASE_URL": database_url,
        "POC_HOST_DOMAIN": DOMAIN,
        "POC_HOST_KEYSTORE_SCRYPT_N": "2",
        "POC_HOST_FAILED_AUTH_PER_SECOND": "1000",
        "POC_HOST_FAILED_AUTH_BURST": "10000",
        # The first API process asks the background process again after half a second.
        "POC_HOST_ACTIVITY_SECONDS": "0.5",
        "POC_HOST_SWEEP_SECONDS": "1",
        "POC_INDEX_POLL_INTERVAL": "0.05",
        "PYTHONPATH": str(ROOT),
    }
    return SplitHost(
        data_dir=data_dir,
        database_url=database_url,
        env=env,
        control_port=free_port(),
        api_ports=[free_port() for _ in range(api_processes)],
        logs=logs,
    )

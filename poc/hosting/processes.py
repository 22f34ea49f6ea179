"""The split: one background process that owns the workspaces' nodes, several API processes
that serve the public port (docs/hosting.md, "Processes").

- The **background process** (`run_background`) holds a `Platform` whose pool starts nodes
  (`poc.hosting.workspace.WorkspacePool`: deploy and seed the first time, each workspace's
  `BackgroundLeader` with its index follower and outbox worker, idle stops) and runs the
  sweeper (expiry, warnings, sizes, graduation at expiry, wipe). It serves only the control
  API (`poc.hosting.control`) on the loopback.
- The **API processes** (`create_api_app`, an import-string factory for uvicorn's `--workers`)
  each hold a `Platform` on the same registry whose pool is a `RemotePool`: workspace apps
  built as clients of the background process's nodes, `start_workers=False`.

`poc host` starts both (this module's `run_split`: the background in its own process, the API
processes as one child, uvicorn with `--workers N`); `poc host --role background` and
`--role api` run either alone, e.g. as two system services.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import Final

from pydantic import SecretStr

from ledger.errors import ConfigurationError
from poc.hosting.control import build_control_app
from poc.hosting.platform import HostApp, Platform
from poc.hosting.settings import HostSettings
from poc.sandbox.processes import start_child

#: The factory uvicorn imports in each API process.
API_APP: Final = "poc.hosting.processes:create_api_app"
_START_TIMEOUT: Final = 30.0


#: How long a request that began with an `ensure` may still be using the node (reads,
#: `Prefer: wait`, a graduation download).
REQUEST_ALLOWANCE: Final = 60.0


def idle_floor(settings: HostSettings) -> float:
    """The background process hears that a node is in use only when an API process asks for
    it (`ensure`), at most every `activity_seconds`, and a request that began then may run on:
    a node is not stopped sooner than twice that plus `REQUEST_ALLOWANCE` after its last ask.
    An API process keeps its app of a workspace as long (a request may be using it)."""
    return 2 * settings.activity_seconds + REQUEST_ALLOWANCE


def create_api_app() -> HostApp:
    """One API process's app: settings from `POC_HOST_*`, the nodes behind
    `POC_HOST_CONTROL_URL`."""
    settings = HostSettings()  # type: ignore[call-arg]  # the token comes from the environment
    if not settings.split:
        raise ConfigurationError(
            "an API process of the split needs POC_HOST_CONTROL_URL (the background process's "
            "control API)"
        )
    return HostApp(Platform(settings, idle_floor=idle_floor(settings)))


def settings_environment(settings: HostSettings) -> dict[str, str]:
    """`settings` as the `POC_HOST_*` variables an API process reads them from."""
    found: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        found[f"POC_HOST_{name.upper()}"] = text
    return found


class ControlServer:
    """The control API on 127.0.0.1:`port`, served by a thread of the background process."""

    def __init__(self, platform: Platform, port: int) -> None:
        import uvicorn

        config = uvicorn.Config(
            build_control_app(platform),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self.port = port
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, name="poc-host-control", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ControlServer:
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ConfigurationError(
                    f"the control API could not listen on 127.0.0.1:{self.port}"
                )
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)


class Background:
    """The background process's parts: its platform (nodes, sweeper) and the control API."""

    def __init__(self, settings: HostSettings, control_port: int) -> None:
        if settings.split:
            raise ConfigurationError("the background process runs the nodes: no control_url")
        if settings.chain != "anvil":
            raise ConfigurationError(
                "the split needs anvil nodes (an in-process chain lives in one process)"
            )
        self.platform = Platform(settings, idle_floor=idle_floor(settings))
        try:
            self.control = ControlServer(self.platform, control_port).start()
        except BaseException:
            self.platform.close()
            raise
        self.platform.start_sweeper()

    def close(self) -> None:
        self.control.stop()
        self.platform.close()


def run_background(settings: HostSettings, control_port: int, stop: threading.Event) -> None:
    """Serve as the background process until `stop` is set."""
    background = Background(settings, control_port)
    try:
        print(f"poc host background process: control API on {background.control.url}", flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        background.close()


def api_command(listen: str, port: int, workers: int) -> list[str]:
    """The command line of the API processes: uvicorn itself (its supervisor stays small: it
    never imports the app), `workers` processes each building the app with the factory."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        API_APP,
        "--factory",
        "--host",
        listen,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--lifespan",
        "on",
        "--timeout-graceful-shutdown",
        "5",
        "--no-proxy-headers",
    ]


def serve_api(listen: str, port: int, workers: int) -> None:
    """Run `workers` API processes on `listen:port` (uvicorn; settings from the environment)."""
    import uvicorn

    uvicorn.run(
        API_APP,
        factory=True,
        host=listen,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        proxy_headers=False,
    )


def start_api_processes(
    settings: HostSettings,
    control_url: str,
    listen: str,
    port: int,
    workers: int,
    *,
    environ: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start the API processes as one child (it ends with this process, even a killed one)."""
    split = settings.model_copy(update={"control_url": control_url, "api_processes": workers})
    env = dict(os.environ if environ is None else environ) | settings_environment(split)
    return start_child(api_command(listen, port, workers), env=env)


def stop_child(child: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(5)

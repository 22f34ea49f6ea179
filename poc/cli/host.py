"""`poc host`: the hosted platform (`poc.hosting`): workspaces lent to SMEs, the operator's
console, behind the operator's TLS proxy (docs/hosting.md).

    poc host --local                 try it on this machine: a throw-away PostgreSQL, a
                                     temporary data directory, a generated operator token
    poc host --domain sandbox.example.org --https --listen 127.0.0.1 --port 8000
                                     a server: settings from POC_HOST_* (the operator token
                                     POC_HOST_OPERATOR_TOKEN, the database POC_HOST_DATABASE_URL)

By default it runs the split (`poc.hosting.processes`): this process is the background
process (the workspaces' nodes, their follower and outbox worker, the sweeper, a control API
on the loopback) and it starts `--api-processes` API processes (default 2) on the public
port. `--single-process` serves everything from one process (as `--chain memory` must).
`--role background` and `--role api` run either part alone (e.g. two system services).

It is the only command that may listen beyond 127.0.0.1 (`--listen`), and it then answers
only Host names under `--domain`.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import secrets
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from ledger.errors import ConfigurationError

if TYPE_CHECKING:
    from poc.cli.main import Subparsers
    from poc.hosting.settings import HostSettings

DEFAULT_PORT = 8000
DEFAULT_API_PROCESSES = 2


def register_commands(subparsers: Subparsers) -> None:
    """Add `poc host`."""
    parser = subparsers.add_parser(
        "host",
        help="run the hosted platform that lends sandbox workspaces to SMEs",
        description="Serve the hosting platform: an operator console and isolated, "
        "time-limited sandbox workspaces (each its own chain node, database and keys). "
        "Settings come from POC_HOST_* environment variables; the flags override them.",
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="try it locally: start a throw-away PostgreSQL (unless --database-url), use a "
        "temporary data directory (unless --data-dir), generate an operator token",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL of the platform's PostgreSQL")
    parser.add_argument("--data-dir", type=Path, help="the platform's files")
    parser.add_argument(
        "--listen", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: %(default)s")
    parser.add_argument(
        "--domain",
        help="host name (with port) the platform is reached at; workspaces live at "
        "<name>.<domain> (default: localhost:<port>)",
    )
    parser.add_argument("--https", action="store_true", help="reached through a TLS proxy")
    parser.add_argument(
        "--chain", choices=["anvil", "memory"], help="workspaces' nodes (default: anvil)"
    )
    parser.add_argument(
        "--api-processes",
        type=int,
        default=DEFAULT_API_PROCESSES,
        help="API processes serving the public port (default: %(default)s)",
    )
    parser.add_argument(
        "--single-process",
        action="store_true",
        help="serve everything from this one process (no background process)",
    )
    parser.add_argument(
        "--role",
        choices=["all", "background", "api"],
        default="all",
        help="run both parts (default), only the background process (nodes, sweeper, control "
        "API on --control-port), or only the API processes (POC_HOST_CONTROL_URL)",
    )
    parser.add_argument(
        "--control-port",
        type=int,
        help="loopback port of the background process's control API (default: a free one)",
    )
    parser.set_defaults(handler=_command)


def _command(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65_536:
        raise ConfigurationError(f"--port must be 1-65535, got {args.port}")
    try:
        listen = ipaddress.ip_address(args.listen)
    except ValueError as exc:
        raise ConfigurationError(f"--listen needs an IP address, got {args.listen!r}") from exc
    if not 1 <= args.api_processes <= 64:
        raise ConfigurationError(f"--api-processes must be 1-64, got {args.api_processes}")
    if args.local and args.role != "all":
        raise ConfigurationError("--local runs both parts: leave out --role")
    if args.role == "background" and not args.control_port:
        raise ConfigurationError(
            "--role background needs --control-port (how the API processes reach it)"
        )
    if args.local and not listen.is_loopback:
        raise ConfigurationError(
            "--local is for trying the platform on this machine: it listens on 127.0.0.1 only"
        )
    if not listen.is_loopback and not (args.domain or os.environ.get("POC_HOST_DOMAIN")):
        raise ConfigurationError(
            f"listening on {listen} needs the platform's --domain (the name the proxy "
            "forwards): only requests naming it, or a workspace under it, are answered"
        )
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(_stop_on_signals())
            overrides: dict[str, Any] = {}
            if args.domain or not os.environ.get("POC_HOST_DOMAIN"):
                overrides["domain"] = args.domain or f"localhost:{args.port}"
            if args.https:
                overrides["https"] = True
            if args.chain:
                overrides["chain"] = args.chain
            if args.data_dir:
                overrides["data_dir"] = args.data_dir
            if args.database_url:
                overrides["database_url"] = args.database_url
            generated_token: str | None = None
            if args.local:
                if not os.environ.get("POC_HOST_OPERATOR_TOKEN"):
                    generated_token = secrets.token_hex(24)
                    overrides["operator_token"] = generated_token
                if not args.data_dir:
                    temp = Path(tempfile.mkdtemp(prefix="poc-host-"))
                    stack.callback(shutil.rmtree, temp, ignore_errors=True)
                    overrides["data_dir"] = temp
                if not args.database_url and not os.environ.get("POC_HOST_DATABASE_URL"):
                    from poc.hosting.local import LocalPostgres

                    print("Starting a throw-away PostgreSQL ...", flush=True)
                    postgres = LocalPostgres()
                    stack.callback(postgres.stop)  # also after a start cut short
                    postgres.start()
                    overrides["database_url"] = postgres.url
            if args.role == "api":
                return _serve_api(listen, args.port, args.api_processes, overrides)
            if args.role == "background":
                return _serve_background(args.control_port, overrides)
            chain = overrides.get("chain") or os.environ.get("POC_HOST_CHAIN") or "anvil"
            if args.single_process or chain != "anvil":
                return _serve(listen, args.port, overrides, generated_token)
            return _serve_split(
                listen, args.port, args.api_processes, args.control_port, overrides, generated_token
            )
    except HostStopped as stop:
        # The stack above has stopped the platform and removed what --local made.
        print(f"Stopped ({signal.Signals(stop.signum).name}).", flush=True)
        return 0
    raise AssertionError("unreachable")


class HostStopped(Exception):
    """Raised in the main thread when SIGINT or SIGTERM asks the platform to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop_on_signals() -> Callable[[], None]:
    """SIGINT and SIGTERM as `HostStopped`, so that the throw-away PostgreSQL and the data
    directory are removed: uvicorn re-raises the signal it caught once it has shut down, and
    Python's default SIGTERM would end the process before any cleanup (as in
    `poc.sandbox.run`). Returns the undo."""
    stopping = False

    def handle(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise HostStopped(signum)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def _settings(overrides: dict[str, Any]) -> HostSettings:
    from pydantic import ValidationError

    from poc.hosting.settings import HostSettings

    try:
        return HostSettings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(
            f"poc host: {problems} (set POC_HOST_OPERATOR_TOKEN, e.g. `openssl rand -hex 32`)"
        ) from None


def _banner(settings: HostSettings, generated_token: str | None, processes: str) -> None:
    url = settings.platform_url
    lines = [
        "",
        f"poc-ledger hosting platform: {url}",
        f"  operator console  {url}/operator",
        f"  database          {_redacted(settings.resolved_database_url)}",
        f"  data              {settings.data_dir}",
        f"  processes         {processes}",
    ]
    if generated_token:
        lines.append(f"  operator token    {generated_token}   (generated for this run)")
    lines += [
        "",
        "First steps: sign in to the console with the operator token, invite an SME (a",
        "workspace name, owner and e-mail), and give its owner the invitation link. Its",
        f"workspace lives at {settings.scheme}://<name>.{settings.domain}/.",
        "Stop with Ctrl-C.",
    ]
    print("\n".join(lines), flush=True)


def _serve_split(
    listen: ipaddress.IPv4Address | ipaddress.IPv6Address,
    port: int,
    api_processes: int,
    control_port: int | None,
    overrides: dict[str, Any],
    generated_token: str | None,
) -> int:
    """This process as the background process, the API processes as one child."""
    from poc.hosting.processes import Background, start_api_processes, stop_child
    from poc.sandbox.anvil import free_port

    settings = _settings(overrides)
    background = Background(settings, control_port or free_port())
    try:
        child = start_api_processes(
            settings, background.control.url, str(listen), port, api_processes
        )
        try:
            _banner(
                settings,
                generated_token,
                f"1 background (control API {background.control.url}), {api_processes} API",
            )
            code = child.wait()
            print(f"poc host: the API processes ended ({code}); stopping.", flush=True)
            return 1
        finally:
            stop_child(child)
    finally:
        background.close()


def _serve_background(control_port: int, overrides: dict[str, Any]) -> int:
    import threading

    from poc.hosting.processes import run_background

    # SIGINT and SIGTERM end the wait as `HostStopped`; `run_background` then closes.
    run_background(_settings(overrides), control_port, threading.Event())
    return 0


def _serve_api(
    listen: ipaddress.IPv4Address | ipaddress.IPv6Address,
    port: int,
    workers: int,
    overrides: dict[str, Any],
) -> int:
    from poc.hosting.processes import serve_api, settings_environment

    settings = _settings(overrides | {"api_processes": workers})
    if not settings.split:
        raise ConfigurationError(
            "--role api needs POC_HOST_CONTROL_URL: the background process's control API"
        )
    # Each worker reads its settings from the environment (uvicorn imports the factory).
    os.environ.update(settings_environment(settings))
    serve_api(str(listen), port, workers)
    return 0


def _serve(
    listen: ipaddress.IPv4Address | ipaddress.IPv6Address,
    port: int,
    overrides: dict[str, Any],
    generated_token: str | None,
) -> int:
    import uvicorn

    from poc.hosting.platform import HostApp, Platform

    settings = _settings(overrides)
    platform = Platform(settings)
    app = HostApp(platform)
    _banner(settings, generated_token, "1 (API, nodes and sweeper together)")
    config = uvicorn.Config(
        app,
        host=str(listen),
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        proxy_headers=False,
    )
    uvicorn.Server(config).run()
    return 0


def _redacted(url: str) -> str:
    from poc.cli.main import redact_url

    return redact_url(url)

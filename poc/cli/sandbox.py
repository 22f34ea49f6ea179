"""`poc sandbox`: the command line of `poc.sandbox.run.run_sandbox`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from poc.sandbox.run import (
    DEFAULT_DATA_DIR,
    DEFAULT_PORT,
    HOST,
    ChainKind,
    SandboxOptions,
    run_sandbox,
)

if TYPE_CHECKING:
    from poc.cli.main import Subparsers


def register_commands(subparsers: Subparsers) -> None:
    """Add `poc sandbox`."""
    parser = subparsers.add_parser(
        "sandbox",
        help="run the local demo: chain, contracts, demo consortium, API on 127.0.0.1",
        description=(
            "Start a local chain (anvil, state kept in the data directory), deploy the "
            "contracts if needed, seed the demo consortium once, and serve the API and web "
            f"pages on http://{HOST}:PORT until Ctrl-C. Prints the demo partners' API keys."
        ),
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="where the chain state, keys and index live (default: ./%(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port on {HOST} (default: %(default)s; 0 picks a free one)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="wipe the data directory first and start clean"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--chain",
        choices=[ChainKind.ANVIL.value, ChainKind.MEMORY.value],
        default=ChainKind.ANVIL.value,
        help="anvil (persistent, needs Node.js) or memory (in-process, nothing persists)",
    )
    where.add_argument(
        "--rpc-url",
        help="use this external JSON-RPC node instead (key: POC_PRIVATE_KEY or POC_KEYSTORE)",
    )
    parser.set_defaults(handler=_command)


def _command(args: argparse.Namespace) -> int:
    options = SandboxOptions(
        data_dir=args.data_dir,
        port=args.port,
        reset=args.reset,
        chain=ChainKind.EXTERNAL if args.rpc_url else ChainKind(args.chain),
        rpc_url=args.rpc_url,
    )
    from poc.cli.main import STARTED_AT

    return run_sandbox(options, out=_print_flush, started=STARTED_AT)


def _print_flush(text: str) -> None:
    # Piped output (tests, service managers) must see each line as it happens.
    print(text, flush=True)

"""The `poc` command line: one argparse parser, subcommands contributed by the modules.

A module that offers commands exposes `register_commands(subparsers)`; it adds its parsers
and sets `handler` on each, a function `(argparse.Namespace) -> int` (the exit status).
Adding a module's commands is one line in `COMMAND_MODULES`. `poc deploy` is defined here:
it is a thin shell over `ledger.chain.deploy` and serves no other module.

Errors the library raises on purpose (`LedgerError`) end the command with their message (no
traceback) and exit status 1; anything else is a bug and keeps its traceback. Compiling
contracts is not a `poc` command: it is `scripts/compile_contracts.py`, a development tool.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlsplit

from ledger.errors import ConfigurationError, LedgerError

if TYPE_CHECKING:
    from ledger.chain.connection import Chain
    from ledger.chain.deployment_record import DeploymentRecord

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

Handler = Callable[[argparse.Namespace], int]

# When the command started, for start-up times users can compare with their own clock: the
# imports of web3, FastAPI and SQLAlchemy that follow are part of what they wait for.
STARTED_AT: Final = time.monotonic()

# Modules whose `register_commands(subparsers)` adds subcommands, in the order `poc --help`
# lists them. One line per module.
COMMAND_MODULES: Final[tuple[str, ...]] = (
    "poc.cli.sandbox",
    "poc.cli.host",
    "poc.cli.proofs",
    "poc.cli.partner",
    "poc.cli.score",
    "poc.cli.exchange",
    "poc.cli.openings",
)

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130


class CommandModule(Protocol):
    """What a module in `COMMAND_MODULES` provides."""

    def register_commands(self, subparsers: Subparsers) -> None: ...


def build_parser(modules: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The `poc` parser with `deploy` and the subcommands of `modules` (default:
    `COMMAND_MODULES`)."""
    parser = argparse.ArgumentParser(
        prog="poc",
        description="Proof-of-Contribution ledger: deploy the contracts, run the sandbox, and act "
        "as a partner (register, endorse, dispute, vote, prove, release) through an API.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _register_deploy(subparsers)
    for name in COMMAND_MODULES if modules is None else modules:
        module: CommandModule = importlib.import_module(name)
        module.register_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `poc` with `argv` (default: the process arguments); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except LedgerError as exc:
        # A message of several lines (a damaged database's says what to do) keeps its
        # continuation lines indented under the first, like the notes.
        first, *rest = str(exc).splitlines() or [""]
        print(f"poc {args.command}: error: {first}", file=sys.stderr)
        for line in (*rest, *getattr(exc, "__notes__", ())):
            print(f"  {line}", file=sys.stderr)
        return EXIT_ERROR


# -- poc deploy ---------------------------------------------------------------------------------

DEFAULT_DEPLOYMENT_FILE: Final = Path("deployment.json")
CONFIRMATION_POLL_SECONDS: Final = 1.0


def _register_deploy(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "deploy",
        help="deploy PocLedger and RoyaltyVault to a JSON-RPC node",
        description=(
            "Deploy PocLedger and RoyaltyVault to any EVM node reachable by JSON-RPC and write "
            "the deployment record. The deployer key comes from --keystore (with "
            "--password-file, or POC_KEYSTORE_PASSWORD) or from the POC_PRIVATE_KEY "
            "environment variable; it is never taken on the command line."
        ),
    )
    parser.add_argument(
        "--rpc-url",
        help="http(s):// or ws(s):// endpoint of the node (default: $POC_RPC_URL)",
    )
    parser.add_argument("--keystore", type=Path, help="encrypted JSON keystore of the deployer")
    parser.add_argument(
        "--password-file", type=Path, help="file holding the keystore password (one line)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_DEPLOYMENT_FILE,
        help="where to write the deployment record (default: %(default)s)",
    )
    parser.add_argument(
        "--confirmations",
        type=_non_negative_int,
        default=0,
        help="blocks on top of the last deployment before the record is written "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--confirmation-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="give up waiting for confirmations after this long (default: %(default)s)",
    )
    parser.add_argument(
        "--chain-id",
        type=int,
        help="refuse to deploy unless the node reports this chain id",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="deploy anew and overwrite --out if it already exists",
    )
    parser.set_defaults(handler=_run_deploy)


def _run_deploy(args: argparse.Namespace) -> int:
    from ledger.chain.connection import Backend, ChainConfig
    from ledger.chain.deploy import deploy_ledger
    from poc.sandbox.anvil import connect

    out: Path = args.out
    if out.exists() and not args.force:
        raise ConfigurationError(
            f"{out} already exists; pass --force to deploy anew and overwrite it, "
            "or --out to write elsewhere"
        )
    overrides: dict[str, Any] = {"backend": Backend.EXTERNAL}
    if args.rpc_url:
        overrides["rpc_url"] = args.rpc_url
    if args.keystore is not None:
        overrides["keystore_path"] = args.keystore
        # A key in the environment would conflict with the keystore asked for explicitly.
        overrides["private_key"] = None
    if args.password_file is not None:
        overrides["keystore_password_file"] = args.password_file
        overrides["keystore_password"] = None
    if args.chain_id is not None:
        overrides["expected_chain_id"] = args.chain_id
    config = ChainConfig.from_env(**overrides)
    if not (config.private_key or config.keystore_path):
        raise ConfigurationError(
            "no deployer key: pass --keystore FILE --password-file F, "
            "or set POC_PRIVATE_KEY in the environment"
        )
    with connect(config) as chain:
        deployer = chain.accounts[0]
        shown = redact_url(config.rpc_url or "")
        print(f"chain {chain.chain_id} at {shown}, deployer {deployer.address}")
        # Estimated rather than the fixed sandbox limits: gas accounting differs between
        # chains (L2s especially), and an estimate reports a failing creation before paying.
        record = deploy_ledger(chain, estimate=True)
        for contract in record.contracts:
            print(f"  {contract.name:<13} {contract.address}  tx {contract.tx_hash}")
        if args.confirmations:
            wait_for_confirmations(
                chain, record, args.confirmations, timeout=args.confirmation_timeout
            )
        record.write(out)
    print(f"deployment record written to {out}")
    return EXIT_OK


def wait_for_confirmations(
    chain: Chain,
    record: DeploymentRecord,
    confirmations: int,
    *,
    timeout: float,
    poll: float = CONFIRMATION_POLL_SECONDS,
) -> None:
    """Wait until `confirmations` blocks sit on top of the deployment's last block, then check
    that every deployment transaction is still in the chain (a reorg would have dropped it)."""
    from ledger.chain.receipts import fetch_receipt
    from ledger.chain.translate import translating
    from ledger.errors import ChainError, RpcTimeoutError

    target = max(c.block_number for c in record.contracts) + confirmations
    deadline = time.monotonic() + timeout
    shown = -1
    while (latest := chain.block_number()) < target:
        if time.monotonic() > deadline:
            raise RpcTimeoutError(
                f"block {latest} after {timeout:g} s; {confirmations} confirmations need "
                f"block {target} (does the node produce blocks without transactions?)"
            )
        if latest != shown:
            print(f"  waiting for confirmations: block {latest} of {target}")
            shown = latest
        time.sleep(poll)
    for contract in record.contracts:
        receipt = fetch_receipt(chain.w3, contract.tx_hash)
        if (
            receipt is None
            or receipt.block_number != contract.block_number
            or receipt.block_hash != _block_hash(chain, contract.block_number)
        ):
            raise ChainError(
                f"{contract.name}'s deployment {contract.tx_hash} is no longer in block "
                f"{contract.block_number} (the chain reorganised); deploy again"
            )
        with translating():
            code = chain.w3.eth.get_code(contract.address)
        if not code:
            raise ChainError(f"no code at {contract.name} {contract.address} after confirmation")
    print(f"  {confirmations} confirmations reached at block {chain.block_number()}")


def _block_hash(chain: Chain, number: int) -> str:
    from ledger.chain.translate import translating
    from ledger.domain.codec import to_hex

    with translating():
        return to_hex(chain.w3.eth.get_block(number)["hash"])


def redact_url(url: str) -> str:
    """`url` with only scheme, host and port: hosted nodes put API keys in the path, the
    query or the user part, and those must not end up in terminals and logs."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "<rpc url>"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    hidden = "/…" if (parts.path not in ("", "/") or parts.query or parts.username) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())

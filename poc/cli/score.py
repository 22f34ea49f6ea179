"""`poc score` and `poc statement`: the split and royalty statements from chain data alone.

- `poc score --project ID [--at-block N] [--policy-version V] [--json]`: read the project's
  events from any node, score them as of block N (default: the latest) at that block's
  timestamp, print the split with each partner's explanation (or, with `--json`, the document
  `GET /v1/projects/{projectId}/score` answers, recomputed from the chain);
- `poc score --project ID --check-split V`: recompute finalized split version V at the block and
  policy version it names and say whether shares and input-set hash match (exit 0) or not (1);
- `poc statement --project ID --amount N [--split-version V] [--format csv|json]`: divide a
  revenue amount by a finalized split version read from the RoyaltyVault, as the vault does.

Addresses come from `--deployment FILE` (the record `poc deploy` writes) or `--ledger` and
`--vault`; the node from `--rpc-url` or `$POC_RPC_URL`. Nothing is read from this service's
index: anyone with a node can run these. Registered by `poc.cli.main` through
`register_commands`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.errors import ConfigurationError

if TYPE_CHECKING:
    from web3 import Web3

    from ledger.chain.clients import RoyaltyVaultClient
    from ledger.scoring.results import ScoreResult

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction


def register_commands(subparsers: Subparsers) -> None:
    """Add `score` and `statement` to the `poc` parser."""
    score = subparsers.add_parser(
        "score",
        help="recompute a project's split from chain data alone",
        description="Score a project from its events on any node of the chain; with "
        "--check-split, compare a finalized split version with its recomputation.",
    )
    _chain_arguments(score)
    score.add_argument("--at-block", type=int, help="score as of this block (default: latest)")
    score.add_argument("--policy-version", type=int, help="policy version (default: latest)")
    score.add_argument(
        "--check-split", type=int, metavar="V", help="check finalized split version V"
    )
    score.add_argument("--json", action="store_true", help="print JSON")
    score.set_defaults(handler=run_score)

    statement = subparsers.add_parser(
        "statement",
        help="royalty statement of a revenue amount under a finalized split",
        description="Divide a revenue amount (smallest units: cents, wei) by a finalized split "
        "version read from the RoyaltyVault, to the last unit, as CSV or JSON.",
    )
    _chain_arguments(statement)
    statement.add_argument("--amount", type=int, required=True, help="revenue, smallest units")
    statement.add_argument("--split-version", type=int, help="default: the one in force")
    statement.add_argument("--currency", default="EUR", help="default: %(default)s")
    statement.add_argument("--decimals", type=int, default=2, help="default: %(default)s")
    statement.add_argument("--token", help="ERC-20 address (zero address: ETH)")
    statement.add_argument("--date", type=datetime.date.fromisoformat, help="YYYY-MM-DD")
    statement.add_argument("--format", choices=("csv", "json"), default="csv")
    statement.set_defaults(handler=run_statement)


def _chain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=int, required=True, help="project id")
    parser.add_argument("--rpc-url", help="JSON-RPC endpoint (default: $POC_RPC_URL)")
    parser.add_argument("--deployment", type=Path, help="deployment record of `poc deploy`")
    parser.add_argument("--ledger", help="PocLedger address (instead of --deployment)")
    parser.add_argument("--vault", help="RoyaltyVault address (instead of --deployment)")


@dataclass(frozen=True)
class Target:
    """The node and the deployment a command reads."""

    w3: Web3
    ledger: str
    vault: str | None
    from_block: int

    def vault_client(self) -> RoyaltyVaultClient:
        from ledger.chain.clients import RoyaltyVaultClient

        if self.vault is None:
            raise ConfigurationError("this needs the RoyaltyVault: pass --vault or --deployment")
        return RoyaltyVaultClient(self.w3, self.vault, chain_id=int(self.w3.eth.chain_id))


def connect_w3(url: str) -> Web3:
    """A connection to the node at `url` (tests substitute their in-process chain)."""
    from ledger.chain.connection import Backend, ChainConfig, connect_external

    return connect_external(ChainConfig(backend=Backend.EXTERNAL, rpc_url=url)).w3


def _target(args: argparse.Namespace) -> Target:
    url = args.rpc_url or os.environ.get("POC_RPC_URL")
    if not url:
        raise ConfigurationError("no node: pass --rpc-url or set POC_RPC_URL")
    if args.deployment is not None:
        from ledger.chain.deployment_record import DeploymentRecord

        record = DeploymentRecord.read(args.deployment)
        ledger, vault = record.address("PocLedger"), record.address("RoyaltyVault")
        from_block = record.deploy_block
    elif args.ledger:
        ledger, vault, from_block = args.ledger, args.vault, 0
    else:
        raise ConfigurationError("pass --deployment FILE, or --ledger (and --vault)")
    return Target(connect_w3(url), ledger, vault, from_block)


def run_score(args: argparse.Namespace) -> int:
    """`poc score`: print the split (or the check of a finalized split)."""
    from ledger.evidence.splits import check_split, score_at_block

    target = _target(args)
    progress = sys.stderr.isatty()
    if args.check_split is not None:
        check = check_split(
            target.w3,
            target.ledger,
            target.vault_client(),
            args.project,
            args.check_split,
            from_block=target.from_block,
            progress=progress,
        )
        verdict = "MATCHES" if check.matches else "DIFFERS"
        print(
            f"split version {check.split_version} of project {check.project_id} (proposal "
            f"{check.proposal_id}, block {check.computed_at_block}, policy version "
            f"{check.policy_version}): {verdict}"
        )
        for partner in sorted({*check.on_chain, *check.recomputed}, key=str.lower):
            on_chain, again = check.on_chain.get(partner, 0), check.recomputed.get(partner, 0)
            mark = "" if on_chain == again else "   <-- differs"
            print(f"  {partner}  on chain {on_chain:>5} bps  recomputed {again:>5} bps{mark}")
        print(f"  input-set hash on chain   {check.on_chain_input_set_hash}")
        print(f"  input-set hash recomputed {check.recomputed_input_set_hash}")
        return 0 if check.matches else 1
    block = args.at_block if args.at_block is not None else int(target.w3.eth.block_number)
    result = score_at_block(
        target.w3,
        target.ledger,
        args.project,
        block,
        policy_version=args.policy_version,
        from_block=target.from_block,
        progress=progress,
    )
    if args.json:
        print(json.dumps(score_document(result, block), indent=2))
    else:
        _print_score(result, block)
    return 0


def score_document(result: ScoreResult, block: int) -> dict[str, Any]:
    """The score as JSON-ready data: the document `GET /v1/projects/{projectId}/score` answers
    (camelCase, fractions as exact "p/q" strings), so that one reader reads both."""
    from api.schemas.splits import ScorePublic

    return ScorePublic.of(result, block, explain=True).model_dump(mode="json", by_alias=True)


def _print_score(result: ScoreResult, block: int) -> None:
    print(
        f"project {result.project_id} at block {block} (time {result.as_of}), policy version "
        f"{result.policy_version}: {result.counted_count} of {result.contribution_count} "
        "contributions count"
    )
    if not result.split:
        print(f"  nothing to split: {result.empty_reason}")
    for p in result.partners:
        print(
            f"  {p.partner}  {p.bps:>5} bps  raw points {p.raw_points}  {p.adjustment.value}  "
            f"({len(p.counted)} counted, {len(p.not_counted)} not)"
        )
        if p.received_points or p.passed_points:
            print(
                f"    own points {p.own_points}; received from work that builds on yours: "
                f"{p.received_points}; passed to the work yours builds on: {p.passed_points}"
            )
    for x in result.contributions():
        print(f"    {x.contribution_id}  {x.status.value:<24} {x.reason}")
    print(f"  input-set hash {result.input_set_hash}")


def run_statement(args: argparse.Namespace) -> int:
    """`poc statement`: print the statement as CSV or JSON."""
    from ledger.scoring.statements import build_statement, statement_basis

    target = _target(args)
    vault = target.vault_client()

    def finalized_split(version: int) -> dict[str, int] | None:
        proposal_id = vault.split_proposal_of(args.project, version)
        if proposal_id == 0:
            return None
        info = vault.split_proposal(args.project, proposal_id)
        return dict(zip(info.partners, info.bps, strict=True))

    # The vault holds finalized splits only: no current-score estimate here.
    chosen = statement_basis(
        project_id=args.project,
        requested=args.split_version or None,
        newest_finalized=lambda: vault.current_split_version(args.project),
        finalized_split=finalized_split,
    )
    statement = build_statement(
        total=args.amount,
        split=chosen.shares,
        project_id=args.project,
        split_version=chosen.split_version,
        currency=args.currency,
        date=args.date or datetime.datetime.now(datetime.UTC).date(),
        decimals=args.decimals,
        token=args.token,
    )
    sys.stdout.write(statement.to_csv() if args.format == "csv" else statement.to_json())
    return 0

"""`poc verify` and `poc export`: proof bundles from the command line.

- `poc verify BUNDLE [--file ORIGINAL] [--rpc-url URL] [--tsa-roots PEM] [--public-rpc-url
  URL]`: one line per check, PASS, FAIL with the reason (and the fields at fault) or SKIP
  (what to give to complete it); exit status 0 when nothing fails, 1 otherwise. Needs nothing
  from this service: the bundle, optionally the original file, any node of the chain, the TSA
  certificates the reader trusts, any node of the public chain. Whatever the file holds (not
  JSON, nested past Python's parser, larger than `MAX_BUNDLE_BYTES`, values of any type or
  size), the answer is FAIL lines and exit 1, never a traceback.
- `poc export contribution|partner|project --rpc-url URL --ledger ADDRESS ...`: write a bundle
  and its certificate, or a partner's or the project's zip. Content hashes and salts come from
  `--openings PATH`: an opening file (docs/design.md), the folder `poc openings` keeps them in,
  or a JSON object {contributionId: {"contentHash": "0x…", "salt": "0x…"}}, each optionally
  with "card" (or `--content-hash`/`--salt` for a single contribution): the partner holds them,
  not the chain. An opening's contribution card (docs/proofs.md) goes into its bundle.

Registered by `poc.cli.main` through `register_commands`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ledger.errors import ConfigurationError, ProofError

if TYPE_CHECKING:
    from web3 import Web3

    from ledger.evidence.packs import Opening

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

#: Largest bundle file `poc verify` reads: a work limit (real bundles are tens of kilobytes,
#: a history entry adds about ten). A hostile file costs the verifier about a second per
#: megabyte at worst (RLP crafted for the decoder's slowest case).
MAX_BUNDLE_BYTES: Final = 64 * 1024 * 1024


def register_commands(subparsers: Subparsers) -> None:
    """Add `verify` and `export` to the `poc` parser."""
    verify = subparsers.add_parser(
        "verify",
        help="verify a proof bundle offline, and against a node with --rpc-url",
        description="Verify a proof bundle: offline from the bundle alone, then (with "
        "--rpc-url) against any node of its chain. One line per check; exit 1 on any FAIL.",
    )
    verify.add_argument("bundle", type=Path, help="the proof bundle (JSON)")
    verify.add_argument("--file", type=Path, help="the original file, to check its SHA-256")
    verify.add_argument("--rpc-url", help="JSON-RPC endpoint of any node of the bundle's chain")
    verify.add_argument(
        "--tsa-roots",
        type=Path,
        help="PEM file of the timestamp authorities you trust (checks the token's signature)",
    )
    verify.add_argument(
        "--public-rpc-url", help="JSON-RPC endpoint of a node of the public chain (checkpoint)"
    )
    verify.set_defaults(handler=run_verify)

    export = subparsers.add_parser(
        "export", help="export proof bundles, certificates and evidence packs"
    )
    kinds = export.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, helptext in (
        ("contribution", "one contribution: bundle JSON and PDF certificate"),
        ("partner", "a partner's contributions in a project (zip)"),
        ("project", "the project's evidence pack (zip)"),
    ):
        parser = kinds.add_parser(kind, help=helptext)
        parser.add_argument("--rpc-url", required=True, help="JSON-RPC endpoint of the chain")
        parser.add_argument("--ledger", required=True, help="PocLedger address")
        parser.add_argument("--openings", type=Path, help="JSON file of content hashes and salts")
        parser.add_argument("--out", type=Path, required=True, help="output file or directory")
        parser.add_argument(
            "--language", choices=("en", "nl"), default="en", help="language of the certificates"
        )
        if kind == "contribution":
            parser.add_argument("--id", required=True, help="contribution id (0x…)")
            parser.add_argument("--content-hash", help="SHA-256 of the file (0x…)")
            parser.add_argument("--salt", help="the salt (0x…)")
        else:
            parser.add_argument("--project", type=int, required=True, help="project id")
        if kind == "partner":
            parser.add_argument("--partner", required=True, help="partner address")
        if kind == "project":
            parser.add_argument("--vault", help="RoyaltyVault address (adds the split history)")
        parser.add_argument(
            "--exchange",
            help="PocExchange address: its disclosures and access rights join the histories "
            "(and, for a project, the pack gains the exchange's registers)",
        )
        parser.set_defaults(handler=run_export)


def _sha256_file(path: Path) -> bytes:
    from ledger.domain.hashing import sha256_file

    try:
        return sha256_file(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc


def _web3(url: str) -> Web3:
    from ledger.chain.connection import ChainConfig, connect_external

    return connect_external(ChainConfig(backend="external", rpc_url=url)).w3  # type: ignore[arg-type]


def run_verify(args: argparse.Namespace) -> int:
    """`poc verify`: print one line per check; 0 if all pass."""
    from ledger.domain import untrusted_json
    from ledger.evidence.timestamps import load_trust_anchors
    from ledger.evidence.verifier import verify_with_file_hash

    # A lone surrogate in the file (JSON's "\ud800") must not stop the report from printing.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    path = Path(args.bundle)
    try:
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            print(f"FAIL  format: {path} is larger than {MAX_BUNDLE_BYTES} bytes")
            return 1
        # Measured before parsing: nested deep enough, the JSON reader crashes the process.
        document = untrusted_json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        print(f"FAIL  format: cannot read {path} as JSON: {exc}")
        return 1
    file_hash = _sha256_file(args.file) if args.file else None
    w3 = _web3(args.rpc_url) if args.rpc_url else None
    public_w3 = _web3(args.public_rpc_url) if args.public_rpc_url else None
    roots = load_trust_anchors(args.tsa_roots) if args.tsa_roots else ()
    report = verify_with_file_hash(
        document, file_sha256=file_hash, w3=w3, tsa_roots=roots, public_w3=public_w3
    )
    for line in report.lines():
        print(line)
    failed = sum(1 for check in report.checks if not check.passed)
    summary = "all checks passed" if report.ok else f"{failed} check(s) FAILED"
    if report.ok and report.skipped:
        summary += f", {report.skipped} skipped"
    scope = "offline and online" if w3 is not None else "offline only (add --rpc-url)"
    print(f"{'OK' if report.ok else 'NOT VERIFIED'}: {summary} ({scope})", file=sys.stderr)
    return 0 if report.ok else 1


def read_openings(path: Path | None) -> dict[bytes, Opening]:
    """Openings from an opening file, a `poc openings` folder, or a JSON object
    {contributionId: {contentHash, salt, card?}}; an opening's card goes into its bundle."""
    from ledger.domain.cards import ContributionCard
    from ledger.domain.codec import from_hex
    from ledger.evidence.packs import Opening
    from ledger.openings.files import OPENING_TYPE, parse_opening
    from ledger.openings.keeper import OpeningKeeper

    if path is None:
        return {}
    if path.is_dir():
        return {
            o.contribution_id: Opening(o.content_hash, o.salt, o.card) for o in OpeningKeeper(path)
        }
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read openings from {path}: {exc}") from exc
    if isinstance(document, dict) and document.get("type") == OPENING_TYPE:
        opening = parse_opening(document)
        return {opening.contribution_id: Opening(opening.content_hash, opening.salt, opening.card)}
    try:
        return {
            from_hex(cid): Opening(
                from_hex(entry["contentHash"]),
                from_hex(entry["salt"]),
                ContributionCard.from_json(entry["card"]) if entry.get("card") else None,
            )
            for cid, entry in document.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigurationError(f"cannot read openings from {path}: {exc}") from exc


def run_export(args: argparse.Namespace) -> int:
    """`poc export KIND`: write the export, print where."""
    from api.i18n import certificate_text
    from ledger.domain.codec import from_hex
    from ledger.evidence.builder import ProofBuilder
    from ledger.evidence.packs import Opening, export_contribution, export_partner, export_project

    w3 = _web3(args.rpc_url)
    openings = read_openings(args.openings)
    text = certificate_text("nl" if args.language == "nl" else "en")
    out: Path = args.out
    if args.kind == "contribution":
        cid = from_hex(args.id)
        if args.content_hash and args.salt:
            openings[cid] = Opening(from_hex(args.content_hash), from_hex(args.salt))
        if cid not in openings:
            raise ProofError("give --content-hash and --salt, or --openings with this id")
        builder = ProofBuilder(w3, args.ledger, exchange_address=args.exchange)
        _, bundle, pdf = export_contribution(builder, cid, openings[cid], text=text)
        out.mkdir(parents=True, exist_ok=True)
        for f in (bundle, pdf):
            target = out / Path(f.name).name
            target.write_bytes(f.data)
            print(f"{target}  sha256 {f.sha256}")
        return 0
    if args.kind == "partner":
        archive = export_partner(
            w3, args.ledger, args.project, args.partner, openings, text=text, exchange=args.exchange
        )
    else:
        archive = export_project(
            w3,
            args.ledger,
            args.project,
            openings,
            vault=args.vault,
            text=text,
            exchange=args.exchange,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(archive.data)
    print(f"{out}  {len(archive.files)} files  sha256 {archive.sha256}")
    if archive.unopened:
        print(f"{len(archive.unopened)} contribution(s) without opening: no bundle (see manifest)")
    return 0

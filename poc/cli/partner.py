"""The partner's commands, on its own machine, through a poc-ledger API (`poc.client`).

    poc register FILE|FOLDER --project N [--title T] [--description D] [--keyword W]...
    poc contributions --project N [--mine] [--status S]
    poc endorse CONTRIBUTION --rating 1..5
    poc dispute CONTRIBUTION (--reason TEXT | --reason-file FILE)
    poc vote CONTRIBUTION (--uphold | --reject) [--dispute N]
    poc prove FILE [--project N] [--out FOLDER] [--language en|nl]
    poc balance --project N [--token ADDRESS]
    poc release --project N [--token ADDRESS] [--to ADDRESS]

Every command takes the API (`--api URL`, else $POC_API_URL, else http://127.0.0.1:8000) and
the partner's API key (`--api-key`, else $POC_API_KEY). Without `--keystore` the service signs
with the key it holds for the partner (custodial); with `--keystore FILE` (a JSON keystore)
every write is signed here, after the typed data the service prepared is checked against the
request and the deployment (`--deployment FILE` pins it; else the API's `GET /v1/chain`). The
keystore password is asked on the terminal, or read from `--password-file` or
$POC_KEYSTORE_PASSWORD; never from the command line, where other users of the machine can
read it.

`poc register` hashes the file(s) here (they are never sent), derives each salt from the
partner's proof secret (`poc openings new-secret`; its passphrase from the terminal or
$POC_PROOF_PASSPHRASE) and keeps each opening in the openings folder (`--dir`) before anything
is sent, the way `poc openings` keeps them. A folder is registered as one Merkle batch (one
transaction) with a progress bar while hashing. Registered by `poc.cli.main` through
`register_commands`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, cast

from ledger.errors import ApiRefusalError, ConfigurationError, KeyLoadError, OpeningError

if TYPE_CHECKING:
    from rich.console import Console

    from api.schemas.contributions import ContributionPublic
    from api.schemas.operations import OperationPublic
    from poc.client import LocalKeySigner, PartnerClient, TrustedDeployment
    from poc.client.files import PreparedFile

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

DEFAULT_API_URL: Final = "http://127.0.0.1:8000"
API_URL_ENV: Final = "POC_API_URL"
API_KEY_ENV: Final = "POC_API_KEY"
PASSWORD_ENV: Final = "POC_KEYSTORE_PASSWORD"
ETH: Final = "0x0000000000000000000000000000000000000000"
# An operation the API answers with that is older than the command by more than this was
# made by an earlier run (clocks of client and server may differ a little).
REPEAT_SLACK_SECONDS: Final = 2.0

Handler = Callable[[argparse.Namespace], int]


# ------------------------------------------------------------------------------ the parsers


def register_commands(subparsers: Subparsers) -> None:
    """Add the partner commands to the `poc` parser."""
    register = _command(
        subparsers,
        "register",
        "register a file, or a folder as one batch, as your contribution",
        "Hash FILE (or every file in FOLDER) here, derive its salt from your proof secret, "
        "keep its opening, and register its commitment with a card (title, description). The "
        "file never leaves this machine. A folder becomes one Merkle batch: one transaction.",
        run_register,
    )
    register.add_argument("path", type=Path, metavar="FILE|FOLDER", help="what to register")
    _project(register)
    register.add_argument(
        "--title",
        help="what the contribution is (default: the file's name; in a folder each card gets "
        "'TITLE: path/of/file')",
    )
    register.add_argument("--description", default="", help="a longer description")
    register.add_argument(
        "--keyword", action="append", default=[], help="a keyword (repeat for more)"
    )
    register.add_argument(
        "--origin",
        choices=("result", "background"),
        default="result",
        help="result of the project, or background brought in (default: %(default)s)",
    )
    register.add_argument(
        "--category", type=_uint(255), default=0, help="category index in the project's policy"
    )
    register.add_argument(
        "--value", type=_uint(2**64 - 1), default=1, help="declared value, in the category's unit"
    )
    register.add_argument(
        "--parent", action="append", default=[], help="a contribution this builds on (0x…)"
    )
    register.add_argument(
        "--parent-note",
        action="append",
        default=[],
        help="how it builds on the --parent given at the same position",
    )
    register.add_argument(
        "--reveal",
        action="store_true",
        help="folder: also reveal every batched contribution (one transaction each) so that "
        "partners can endorse or dispute them",
    )

    listed = _command(
        subparsers,
        "contributions",
        "list a project's contributions",
        "The contributions of a project you may read, oldest first.",
        run_contributions,
    )
    _project(listed)
    listed.add_argument("--mine", action="store_true", help="only your own")
    listed.add_argument(
        "--status",
        choices=("active", "withdrawn", "superseded", "invalidated"),
        help="only those in this status",
    )

    shown = _command(
        subparsers,
        "contribution",
        "show one contribution with its card",
        "One contribution: who registered it when, its card (title, description, keywords, "
        "file), origin, category, value, status, and what it builds on.",
        run_contribution,
    )
    shown.add_argument("contribution", help="the contribution id (0x…)")

    endorse = _command(
        subparsers,
        "endorse",
        "endorse another partner's contribution",
        "Vouch for another partner's active contribution with an impact rating (once).",
        run_endorse,
    )
    endorse.add_argument("contribution", help="the contribution id (0x…)")
    endorse.add_argument(
        "--rating", type=_rating, required=True, help="impact from 1 (low) to 5 (high)"
    )

    dispute = _command(
        subparsers,
        "dispute",
        "dispute another partner's contribution",
        "Open a dispute on another partner's contribution within the dispute window. The "
        "reason is kept by the service for the project's partners; its hash goes on chain.",
        run_dispute,
    )
    dispute.add_argument("contribution", help="the contribution id (0x…)")
    reason = dispute.add_mutually_exclusive_group(required=True)
    reason.add_argument("--reason", help="why, in your words")
    reason.add_argument("--reason-file", type=Path, help="a UTF-8 text file holding the reason")

    vote = _command(
        subparsers,
        "vote",
        "vote on a dispute",
        "Vote on a contribution's open dispute: --uphold invalidates the contribution, "
        "--reject keeps it. A strict majority of the partners who may vote decides.",
        run_vote,
    )
    vote.add_argument("contribution", help="the disputed contribution's id (0x…)")
    choice = vote.add_mutually_exclusive_group(required=True)
    choice.add_argument("--uphold", action="store_true", help="the dispute is right")
    choice.add_argument("--reject", action="store_true", help="the dispute is wrong")
    vote.add_argument(
        "--dispute", type=_uint(2**32 - 1), help="the dispute's number (default: the open one)"
    )

    prove = _command(
        subparsers,
        "prove",
        "get the proof bundle and certificate of a file you registered",
        "Find the opening kept for FILE, and have the API build its proof bundle (JSON, "
        "checked by `poc verify`) and its PDF certificate. The file is hashed here, never sent.",
        run_prove,
    )
    prove.add_argument("file", type=Path, help="the original file")
    prove.add_argument("--project", type=_uint(2**32 - 1), help="its project (if kept in several)")
    prove.add_argument(
        "--out", type=Path, default=Path(), help="folder to write them to (default: here)"
    )
    prove.add_argument("--language", choices=("en", "nl"), default="en", help="certificate's")
    prove.add_argument("--project-name", help="the project's name, printed on the certificate")

    balance = _command(
        subparsers,
        "balance",
        "your royalties waiting in the project's vault",
        "What the project's vault received and what you can release now, per token.",
        run_balance,
    )
    _project(balance)
    balance.add_argument("--token", help="also this ERC-20 token (0x…)")

    release = _command(
        subparsers,
        "release",
        "pay out your royalties from the vault",
        "Release your whole balance of a token (ETH by default) to yourself, or to --to.",
        run_release,
    )
    _project(release)
    release.add_argument("--token", default=ETH, help="ERC-20 token (default: ETH)")
    release.add_argument("--to", dest="recipient", help="pay this address instead of yours")


def _command(
    subparsers: Subparsers, name: str, helptext: str, description: str, handler: Handler
) -> argparse.ArgumentParser:
    from poc.cli.openings import add_openings_dir_argument

    parser = subparsers.add_parser(name, help=helptext, description=description)
    connection = parser.add_argument_group("connection and signing")
    connection.add_argument(
        "--api",
        "--api-url",
        dest="api",
        metavar="URL",
        help=f"the poc-ledger API (default: ${API_URL_ENV}, else {DEFAULT_API_URL})",
    )
    connection.add_argument("--api-key", help=f"your API key (default: ${API_KEY_ENV})")
    add_signing_arguments(connection)
    add_openings_dir_argument(parser)
    parser.set_defaults(handler=handler)
    return parser


def _project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=_uint(2**32 - 1, low=1), required=True, help="project id")


def _uint(high: int, *, low: int = 0) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}: {text!r}")
        return value

    return parse


def _rating(text: str) -> int:
    return _uint(5, low=1)(text)


# ------------------------------------------------------------------------------ the client


def open_client(args: argparse.Namespace) -> PartnerClient:
    """The client the command's options name (custodial, or signing with the keystore)."""
    from poc.client import PartnerClient

    url = args.api or os.environ.get(API_URL_ENV) or DEFAULT_API_URL
    key = args.api_key or os.environ.get(API_KEY_ENV)
    if not key:
        raise ConfigurationError(f"no API key: give --api-key or set {API_KEY_ENV}")
    return PartnerClient(
        url, key, signer=keystore_signer(args), deployment=trusted_deployment(args)
    )


def keystore_signer(args: argparse.Namespace) -> LocalKeySigner | None:
    """The signer of `--keystore` (its password from `--password-file`, the environment or the
    terminal), None without one: the service then signs."""
    from poc.client import LocalKeySigner

    if args.keystore is None:
        return None
    return LocalKeySigner.from_keystore(args.keystore, _keystore_password(args))


def trusted_deployment(args: argparse.Namespace) -> TrustedDeployment | None:
    """The deployment `--deployment` names, to check what is signed against (None: the API's)."""
    from ledger.chain.deployment_record import DeploymentRecord
    from poc.client import TrustedDeployment

    if args.deployment is None:
        return None
    try:
        record = DeploymentRecord.read(args.deployment)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {args.deployment}: {exc.strerror}") from exc
    return TrustedDeployment(record.chain_id, dict(record.addresses))


def add_signing_arguments(group: Any) -> None:
    """`--keystore`, `--password-file` and `--deployment`, as every signing command has them."""
    group.add_argument(
        "--keystore",
        type=Path,
        metavar="FILE",
        help="sign here with the key in this JSON keystore (default: the service signs)",
    )
    group.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help=f"the keystore's password, first line (default: ${PASSWORD_ENV}, else asked)",
    )
    group.add_argument(
        "--deployment",
        type=Path,
        metavar="FILE",
        help="deployment record (from `poc deploy`) to check what you sign against "
        "(default: what the API says)",
    )


def _keystore_password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        try:
            # Editors add a final newline; a password never ends with one.
            return cast(Path, args.password_file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise KeyLoadError(
                f"cannot read the password file {args.password_file}: {exc.strerror}"
            ) from exc
    given = os.environ.get(PASSWORD_ENV)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise ConfigurationError(
            f"no terminal to ask the keystore's password: give --password-file or set "
            f"{PASSWORD_ENV}"
        )
    return getpass.getpass(f"Password of {args.keystore}: ")


def _console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


@contextmanager
def _client(args: argparse.Namespace) -> Iterator[PartnerClient]:
    client = open_client(args)
    try:
        yield client
    finally:
        client.close()


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _done(operation: OperationPublic) -> str:
    where = f" in block {operation.block_number}" if operation.block_number else ""
    return f"{operation.kind} {operation.status}{where} (operation {operation.id})"


# ------------------------------------------------------------------------------ register


def run_register(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from poc.cli.openings import keeper_of, secret_of
    from poc.client.files import CardText, collect_files, hash_files, prepare_openings

    if len(args.parent_note) > len(args.parent):
        raise ConfigurationError("each --parent-note belongs to a --parent given before it")
    files = collect_files(args.path)
    keeper = keeper_of(args)
    if not keeper.has_secret():
        raise OpeningError(
            f"no proof secret in {keeper.folder}: create one with `poc openings new-secret` "
            "(or `poc openings restore-secret` from your recovery sheet)"
        )
    secret = secret_of(keeper)
    out, err = _console(), _console(stderr=True)
    with _client(args) as client:
        partner = client.partner()
        client.check_key()
        deployment = client.deployment()
        total = sum(f.size for f in files)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[files]}"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err) as progress:
            task = progress.add_task("Hashing", total=total, files=f"0/{len(files)} files")
            count = [0]

            def opener(path: Path) -> BinaryIO:
                count[0] += 1
                progress.update(task, files=f"{count[0]}/{len(files)} files")
                # `total` given: Rich would otherwise make this file's size the whole task's total.
                return progress.open(path, "rb", total=total, task_id=task)

            hashes = hash_files(files, opener=opener)
            progress.update(task, completed=total)
        prepared = prepare_openings(
            files,
            hashes,
            keeper=keeper,
            secret=secret,
            chain_id=deployment.chain_id,
            ledger=deployment.contracts["PocLedger"],
            project_id=args.project,
            contributor=partner,
            text=CardText(
                title=args.title,
                description=args.description,
                keywords=tuple(args.keyword),
                parent_notes=tuple(zip(args.parent, args.parent_note, strict=False)),
            ),
            parents=args.parent,
        )
        err.print(f"{len(prepared)} opening(s) kept in {keeper.folder}")
        if args.path.is_dir():
            return _register_batch(client, args, prepared, out, err)
        return _register_one(client, args, prepared[0], out)


def _register_one(
    client: PartnerClient, args: argparse.Namespace, prepared: PreparedFile, out: Console
) -> int:
    from poc.client.files import registration_fields

    earlier = client.find_contribution(prepared.contribution_id)
    if earlier is not None:
        out.print(
            f"{prepared.file.path} is already registered, on {_when(earlier.registered_at)}, "
            f"as contribution {earlier.contribution_id} (nothing was signed)"
        )
        return 0
    fields = registration_fields(
        prepared,
        origin=args.origin,
        category=args.category,
        value=args.value,
        parents=[p.lower() for p in args.parent],
    )
    operation = client.register(args.project, fields)
    result = operation.result or {}
    # The result's members as the API names them (snake_case before its camelCase convention).
    if result.get("alreadyDone", result.get("already_done")):
        registered_at = result.get("registeredAt", result.get("registered_at"))
        out.print(
            f"{prepared.file.path} is already registered, on {_when(registered_at)}, "
            f"as contribution {prepared.contribution_id}"
        )
        return 0
    out.print(f"contribution {prepared.contribution_id}")
    out.print(f"title        {prepared.card.title}")
    out.print(f"status       {_done(operation)}")
    out.print(f"opening      {prepared.opening_path}  (it proves the file is yours: back it up)")
    return 0


def _register_batch(
    client: PartnerClient,
    args: argparse.Namespace,
    prepared: list[PreparedFile],
    out: Console,
    err: Console,
) -> int:
    from api.schemas.batches import BatchFields
    from poc.client.client import batch_id_of
    from poc.client.files import leaf_fields

    known = {
        c.contribution_id for c in client.contributions(args.project, contributor=client.partner())
    }
    fresh = [p for p in prepared if p.contribution_id not in known]
    if not fresh:
        out.print(f"all {len(prepared)} files are already registered (nothing was signed)")
        return 0
    if len(fresh) < len(prepared):
        err.print(f"{len(prepared) - len(fresh)} file(s) already registered are left out")
    fields = BatchFields.model_validate(
        {
            "items": [
                leaf_fields(
                    p,
                    origin=args.origin,
                    category=args.category,
                    value=args.value,
                    parents=[x.lower() for x in args.parent],
                )
                for p in fresh
            ]
        }
    )
    batch = batch_id_of(args.project, client.partner(), fields)
    earlier = next(
        (
            op
            for op in client.operations()
            if op.kind == "anchor_batch" and op.resource_id == batch and op.status != "failed"
        ),
        None,
    )
    if earlier is not None:
        out.print(f"batch        {batch}")
        out.print(
            f"files        {len(fresh):,}, already anchored on {_when(earlier.created_at)} "
            f"(operation {earlier.id}, {earlier.status}): nothing was signed or sent"
        )
        return 0
    started = time.time()
    with err.status(f"Anchoring {len(fresh):,} contributions as one batch…"):
        try:
            operation = client.anchor_batch(args.project, fields)
        except ApiRefusalError as exc:
            if exc.status != HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
                raise
            raise ConfigurationError(
                f"{len(fresh):,} files with their cards make a request larger than this "
                f"service accepts ({exc.code}); nothing was registered: register the folder's "
                "sub-folders one by one"
            ) from exc
    out.print(f"batch        {operation.resource_id}")
    # The same files again make the same root, hence the same batch: the API answers with the
    # operation that anchored it (a repeat), which was created before this command ran.
    if operation.created_at < started - REPEAT_SLACK_SECONDS:
        out.print(
            f"files        {len(fresh):,}, already anchored on {_when(operation.created_at)} "
            "(nothing new was signed or sent)"
        )
    else:
        out.print(f"files        {len(fresh):,} (one transaction)")
    out.print(f"status       {_done(operation)}")
    out.print(f"openings     {len(fresh):,} kept in {fresh[0].opening_path.parent}")
    if args.reveal and operation.resource_id:
        with err.status(f"Revealing {len(fresh):,} contributions…"):
            revealed = client.reveal(operation.resource_id)
        out.print(f"revealed     {sum(op.status == 'confirmed' for op in revealed):,}")
    return 0


# ------------------------------------------------------------------------------ reads


def run_contributions(args: argparse.Namespace) -> int:
    with _client(args) as client:
        contributor = client.partner() if args.mine else None
        items = list(
            client.contributions(args.project, contributor=contributor, status=args.status)
        )
    _show_table(
        f"Contributions of project {args.project}",
        ("id", "contributor", "title", "origin", "value", "status", "registered"),
        [
            (
                c.contribution_id,
                c.contributor,
                _title(c),
                c.origin,
                c.value,
                c.status,
                _when(c.registered_at),
            )
            for c in items
        ],
    )
    _console(stderr=True).print(f"{len(items)} contribution(s)")
    return 0


def run_contribution(args: argparse.Namespace) -> int:
    with _client(args) as client:
        c = client.contribution(args.contribution)
    card = c.card.card or {}
    file = card.get("file") or {}
    rows: list[tuple[str, str]] = [
        ("contribution", c.contribution_id),
        ("project", str(c.project_id)),
        ("contributor", c.contributor),
        ("registered", f"{_when(c.registered_at)} (block {c.block_number}, tx {c.tx_hash})"),
        ("title", _title(c)),
        ("description", str(card.get("description", ""))),
        ("keywords", ", ".join(str(k) for k in card.get("keywords", []))),
        ("file", f"{file.get('name')} ({file.get('mediaType')}, {file.get('size')} bytes)")
        if file
        else ("file", "-"),
        ("origin", c.origin),
        ("category", str(c.category)),
        ("value", c.value),
        ("status", c.status),
        ("builds on", ", ".join(c.parents) or "-"),
        ("batch", c.batch_id or "-"),
        ("supersedes", c.supersedes or "-"),
        ("superseded by", c.superseded_by or "-"),
    ]
    out = _console()
    for name, value in rows:
        out.print(f"{name:<14}{value}")
    return 0


def _show_table(title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """A Rich table on a terminal; tab-separated lines (header first) when piped, for scripts."""
    from rich.table import Table

    out = _console()
    if not out.is_terminal:
        for row in (columns, *rows):
            print("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _title(contribution: ContributionPublic) -> str:
    card = contribution.card.card
    if card is None:
        return "(no card)" if contribution.card_hash is None else "(card not kept here)"
    return str(card.get("title", ""))


def run_balance(args: argparse.Namespace) -> int:
    with _client(args) as client:
        partner = client.partner()
        balances = client.balances(args.project, token=args.token)
    rows = []
    for token in balances.tokens:
        mine = next((b.amount for b in token.balances if b.partner == partner), "0")
        name = "ETH (wei)" if token.token == ETH else token.token
        rows.append((name, token.received, token.released, mine))
    _show_table(
        f"Vault of project {args.project}, for {partner}",
        ("token", "received", "released", "yours to release"),
        rows,
    )
    return 0


# ------------------------------------------------------------------------------ writes


def run_endorse(args: argparse.Namespace) -> int:
    with _client(args) as client:
        operation = client.endorse(args.contribution, args.rating)
    _console().print(f"endorsed {args.contribution} with {args.rating}: {_done(operation)}")
    return 0


def run_dispute(args: argparse.Namespace) -> int:
    text = args.reason
    if args.reason_file is not None:
        try:
            text = Path(args.reason_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"cannot read {args.reason_file}: {exc}") from exc
    with _client(args) as client:
        operation = client.dispute(args.contribution, text)
    _console().print(f"disputed {args.contribution}: {_done(operation)}")
    return 0


def run_vote(args: argparse.Namespace) -> int:
    with _client(args) as client:
        number = args.dispute
        if number is None:
            open_ones = [
                d.number for d in client.disputes(args.contribution) if d.outcome == "open"
            ]
            if not open_ones:
                raise ConfigurationError(f"{args.contribution} has no open dispute to vote on")
            number = open_ones[-1]
        operation = client.vote(args.contribution, number, uphold=bool(args.uphold))
    verdict = "uphold" if args.uphold else "reject"
    _console().print(
        f"voted {verdict} on dispute {number} of {args.contribution}: {_done(operation)}"
    )
    return 0


def run_release(args: argparse.Namespace) -> int:
    with _client(args) as client:
        operation = client.release(args.project, token=args.token, recipient=args.recipient)
        to = args.recipient or client.partner()
    _console().print(f"released your balance of {args.token} to {to}: {_done(operation)}")
    return 0


# ------------------------------------------------------------------------------ prove


def run_prove(args: argparse.Namespace) -> int:
    from ledger.domain.codec import to_hex
    from ledger.domain.hashing import sha256_file
    from poc.cli.openings import keeper_of

    path: Path = args.file
    try:
        content_hash = sha256_file(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    keeper = keeper_of(args)
    with _client(args) as client:
        deployment = client.deployment()
        partner = client.partner()
        openings = [
            o
            for o in keeper
            if o.content_hash == content_hash
            and o.chain_id == deployment.chain_id
            and o.ledger.lower() == deployment.contracts["PocLedger"].lower()
            and o.contributor == partner
            and (args.project is None or o.project_id == args.project)
        ]
        if not openings:
            raise OpeningError(
                f"no opening of {path} is kept in {keeper.folder} for this deployment: register "
                "it (`poc register`), or import its opening file (`poc openings import`)"
            )
        if len({o.project_id for o in openings}) > 1:
            projects = ", ".join(str(o.project_id) for o in openings)
            raise ConfigurationError(f"{path} is registered in projects {projects}: give --project")
        opening = openings[0]
        cid = to_hex(opening.contribution_id)
        bundle = client.bundle(cid, content_hash=opening.content_hash, salt=opening.salt)
        pdf = client.certificate(
            cid,
            content_hash=opening.content_hash,
            salt=opening.salt,
            language=args.language,
            project_name=args.project_name,
        )
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle_path = out_dir / f"{path.name}.proof.json"
    pdf_path = out_dir / f"{path.name}.certificate-{args.language}.pdf"
    bundle_path.write_bytes(bundle)
    pdf_path.write_bytes(pdf)
    out = _console()
    out.print(f"contribution {cid}")
    out.print(f"bundle       {bundle_path}  (check it: poc verify {bundle_path} --file {path})")
    out.print(f"certificate  {pdf_path}")
    return 0

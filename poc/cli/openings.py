"""`poc openings`: the partner's proof secret and openings on its own machine.

    poc openings new-secret                 create the proof secret; print its recovery sheet
    poc openings restore-secret [--words-file F]   the secret again, from the 24 words
    poc openings show-secret                print the recovery sheet again
    poc openings derive FILE --chain-id N --ledger ADDR --project N --contributor ADDR
                                            the opening of FILE (salt derived), kept; printed
    poc openings list                       the openings kept here
    poc openings import FILE...             opening files, or a sealed backup, kept here
    poc openings export OUT                 all openings as one sealed backup

Everything lives in one folder (`--dir`, else $POC_OPENINGS_DIR, else
$XDG_DATA_HOME/poc-ledger or ~/.local/share/poc-ledger), laid out by `ledger.openings.keeper`.
Passphrases are asked for on the terminal, or taken from $POC_PROOF_PASSPHRASE (scripts);
never from the command line, where other users of the machine could read them.

For other commands (`poc register` registers a file: derive its salt, keep its opening before
sending): `add_openings_dir_argument(parser)`, then `keeper_of(args)` and `secret_of(keeper)`,
then `keeper.prepare(secret, ...)`. Registered by `poc.cli.main` through `register_commands`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ledger.errors import ConfigurationError, OpeningError

if TYPE_CHECKING:
    from ledger.openings.keeper import OpeningKeeper
    from ledger.openings.secret import ProofSecret

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

PASSPHRASE_ENV: Final = "POC_PROOF_PASSPHRASE"
DIR_ENV: Final = "POC_OPENINGS_DIR"


def default_openings_dir() -> Path:
    """$POC_OPENINGS_DIR, else $XDG_DATA_HOME/poc-ledger, else ~/.local/share/poc-ledger."""
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV])
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "poc-ledger"


def add_openings_dir_argument(parser: argparse.ArgumentParser) -> None:
    """`--dir`: where the proof secret and the openings are kept."""
    parser.add_argument(
        "--dir",
        type=Path,
        dest="openings_dir",
        help=f"folder of the proof secret and openings (default: ${DIR_ENV}, else "
        "~/.local/share/poc-ledger)",
    )


def keeper_of(args: argparse.Namespace) -> OpeningKeeper:
    """The keeper of the folder the command names (or the default one)."""
    from ledger.openings.keeper import OpeningKeeper

    return OpeningKeeper(args.openings_dir or default_openings_dir())


def passphrase(prompt: str, *, twice: bool = False) -> str:
    """A passphrase from $POC_PROOF_PASSPHRASE, else asked on the terminal (twice when new)."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise ConfigurationError(f"no terminal to ask the passphrase: set {PASSPHRASE_ENV}")
    first = getpass.getpass(f"{prompt}: ")
    if twice and getpass.getpass("Again: ") != first:
        raise ConfigurationError("the two passphrases differ")
    return first


def secret_of(keeper: OpeningKeeper) -> ProofSecret:
    """The proof secret kept in `keeper`'s folder, opened with the partner's passphrase."""
    return keeper.load_secret(passphrase("Passphrase of your proof secret"))


def _print_sheet(secret: ProofSecret) -> None:
    words = secret.words.split()
    print("Your recovery sheet: write these 24 words on paper, in this order, and keep it safe.")
    print("With them and the original files you can prove every contribution, on any machine.")
    print("Whoever has them can do so too: show them to nobody.\n")
    for row in range(0, 24, 4):
        print("   ".join(f"{n + 1:>2}. {words[n]:<9}" for n in range(row, row + 4)))
    print(f"\nSecret id: {secret.secret_id}")


def run_new_secret(args: argparse.Namespace) -> int:
    from ledger.openings.secret import ProofSecret

    keeper = keeper_of(args)
    if keeper.has_secret():
        raise OpeningError(
            f"{keeper.secret_path} already holds a proof secret: "
            "`poc openings show-secret` prints its sheet"
        )
    secret = ProofSecret.generate()
    keeper.save_secret(secret, passphrase("New passphrase for this machine", twice=True))
    _print_sheet(secret)
    print(f"Kept, encrypted with your passphrase, in {keeper.secret_path}")
    return 0


def run_restore_secret(args: argparse.Namespace) -> int:
    from ledger.openings.secret import ProofSecret

    if args.words_file:
        try:
            text = Path(args.words_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read {args.words_file}: {exc}") from exc
    else:
        if not sys.stdin.isatty():
            text = sys.stdin.read()
        else:
            text = getpass.getpass("The 24 words of your recovery sheet (not shown): ")
    secret = ProofSecret.from_words(text)
    keeper = keeper_of(args)
    keeper.save_secret(secret, passphrase("New passphrase for this machine", twice=True))
    print(f"Restored proof secret {secret.secret_id} into {keeper.secret_path}")
    return 0


def run_show_secret(args: argparse.Namespace) -> int:
    _print_sheet(secret_of(keeper_of(args)))
    return 0


def run_derive(args: argparse.Namespace) -> int:
    from ledger.domain.hashing import sha256_file

    keeper = keeper_of(args)
    secret = secret_of(keeper)
    try:
        content_hash = sha256_file(args.file)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {args.file}: {exc}") from exc
    opening = keeper.prepare(
        secret,
        chain_id=args.chain_id,
        ledger=args.ledger,
        project_id=args.project,
        contributor=args.contributor,
        content_hash=content_hash,
        file_name=Path(args.file).name,
    )
    sys.stdout.write(opening.to_bytes().decode())
    print(f"kept in {keeper.path_of(opening)}", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    openings = list(keeper_of(args))
    for o in openings:
        name = o.file_name or "-"
        print(
            f"0x{o.contribution_id.hex()}  chain {o.chain_id}  project {o.project_id}  "
            f"{o.derivation.value:<10}  {name}"
        )
    print(f"{len(openings)} opening(s)", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    keeper = keeper_of(args)
    total = 0
    for path in args.files:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"cannot read {path}: {exc}") from exc
        try:
            kind = json.loads(data).get("type")
        except (ValueError, AttributeError):
            kind = None
        if kind == "poc-ledger/sealed":
            openings = keeper.restore_sealed(data, passphrase(f"Passphrase of {path}"))
        else:
            openings = [keeper.import_file(data)]
        total += len(openings)
        print(f"{path}: {len(openings)} opening(s) kept")
    print(f"{total} opening(s) imported into {keeper.folder}", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    keeper = keeper_of(args)
    data = keeper.export_sealed(passphrase("Passphrase for the backup", twice=True))
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"{out}: {sum(1 for _ in keeper)} opening(s), encrypted")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def register_commands(subparsers: Subparsers) -> None:
    """Add `openings` and its subcommands to the `poc` parser."""
    group = subparsers.add_parser(
        "openings",
        help="your proof secret and the openings that prove your contributions",
        description="The proof secret (one per partner; every salt derives from it) and the "
        "openings of your contributions, kept in a folder on this machine.",
    )
    commands = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    def command(name: str, helptext: str, handler: object) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, help=helptext, description=helptext)
        add_openings_dir_argument(parser)
        parser.set_defaults(handler=handler)
        return parser

    command("new-secret", "create your proof secret and print its recovery sheet", run_new_secret)
    restore = command(
        "restore-secret", "restore your proof secret from its recovery sheet", run_restore_secret
    )
    restore.add_argument("--words-file", type=Path, help="a file holding the 24 words")
    command("show-secret", "print your recovery sheet again", run_show_secret)
    derive = command(
        "derive", "derive and keep the opening of a file (before registering it)", run_derive
    )
    derive.add_argument("file", type=Path, help="the file (hashed here, never sent)")
    derive.add_argument("--chain-id", type=_positive_int, required=True, help="chain id")
    derive.add_argument("--ledger", required=True, help="PocLedger address")
    derive.add_argument("--project", type=_positive_int, required=True, help="project id")
    derive.add_argument("--contributor", required=True, help="your partner address")
    command("list", "list the openings kept here", run_list)
    imported = command("import", "keep opening files or a sealed backup made elsewhere", run_import)
    imported.add_argument("files", type=Path, nargs="+", help="opening files or sealed backups")
    exported = command("export", "write every opening kept here as one sealed backup", run_export)
    exported.add_argument("out", type=Path, help="the backup file to write")

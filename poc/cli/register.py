"""`poc register FILE`: register a contribution with its card through a poc-ledger API.

The file is hashed here (SHA-256, streamed) and never sent; a fresh 32-byte salt makes the
commitment. The card (title, description, keywords, the file's name, media type and size, a
note per parent) is made and hashed here too, with its own fresh salt, and sent with its hash:
the service must arrive at the same hash, which is what the partner signs (custodial: the
service signs with the partner's key it holds). The opening (content hash, salt, card) is
written to a JSON file before anything is sent: without the salt nobody can later prove the
file, and `poc export --openings` takes that file as it is.

    poc register report.pdf --project 1 --partner 0x… --title "Retting trial v2" \\
        [--description TEXT] [--keyword WORD]... [--origin result|background] \\
        [--category N] [--value N] [--parent ID [--parent-note TEXT]]... \\
        [--api-url URL] [--api-key KEY] [--opening-out FILE]

The API key comes from `--api-key` or `$POC_API_KEY`, the URL from `--api-url` or
`$POC_API_URL` (default http://127.0.0.1:8000). Registered by `poc.cli.main` through
`register_commands`.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.errors import ConfigurationError, LedgerError

if TYPE_CHECKING:
    import httpx

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

DEFAULT_API_URL = "http://127.0.0.1:8000"


class RegisterError(LedgerError):
    """Raised when the API refuses the registration (its code and message are in the text)."""


def register_commands(subparsers: Subparsers) -> None:
    """Add `register` to the `poc` parser."""
    parser = subparsers.add_parser(
        "register",
        help="register a file as a contribution, with its title and description",
        description="Hash FILE here (it is never sent), make its commitment and its card, and "
        "register both through the API; the opening (content hash, salt, card) is saved first.",
    )
    parser.add_argument("file", type=Path, help="the file to register (stays on this machine)")
    parser.add_argument("--project", type=int, required=True, help="project id")
    parser.add_argument("--partner", required=True, help="your partner address (0x…)")
    parser.add_argument("--title", required=True, help="what the contribution is (<= 200 chars)")
    parser.add_argument("--description", default="", help="a longer description")
    parser.add_argument(
        "--keyword", action="append", default=[], help="a keyword (repeat for more)"
    )
    parser.add_argument("--origin", choices=("result", "background"), default="result")
    parser.add_argument("--category", type=int, default=0, help="category index in the policy")
    parser.add_argument("--value", type=int, default=1, help="declared value, category's unit")
    parser.add_argument(
        "--parent", action="append", default=[], help="a contribution this builds on (0x…)"
    )
    parser.add_argument(
        "--parent-note",
        action="append",
        default=[],
        help="how it builds on the --parent given at the same position",
    )
    parser.add_argument(
        "--api-url", help=f"API base URL (default $POC_API_URL or {DEFAULT_API_URL})"
    )
    parser.add_argument("--api-key", help="API key (default $POC_API_KEY)")
    parser.add_argument(
        "--opening-out", type=Path, help="where to save the opening (default FILE.opening.json)"
    )
    parser.set_defaults(handler=run_register)


def run_register(args: argparse.Namespace, *, http: httpx.Client | None = None) -> int:
    """`poc register`: hash, make the card, save the opening, register, wait, print the id."""
    import httpx

    from ledger.domain.cards import ContributionCard
    from ledger.domain.codec import to_hex
    from ledger.domain.hashing import commitment, contribution_id, new_salt, sha256_file
    from ledger.domain.values import checksum

    key = args.api_key or os.environ.get("POC_API_KEY")
    if not key:
        raise ConfigurationError("give --api-key or set POC_API_KEY")
    if len(args.parent_note) > len(args.parent):
        raise ConfigurationError("each --parent-note belongs to a --parent before it")
    path: Path = args.file
    try:
        content_hash = sha256_file(path)
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    partner = checksum(args.partner)
    salt = new_salt()
    commit = commitment(partner, args.project, content_hash, salt)
    cid = to_hex(contribution_id(args.project, partner, commit))
    media_type = mimetypes.guess_type(path.name)[0] or ""
    card = ContributionCard.create(
        title=args.title,
        description=args.description,
        file_name=path.name,
        media_type=media_type,
        size=size,
        keywords=args.keyword,
        parent_notes=list(zip(args.parent, args.parent_note, strict=False)),
    )
    card.check_parents(args.parent)
    opening_path: Path = args.opening_out or path.with_name(path.name + ".opening.json")
    opening = {
        cid: {"contentHash": to_hex(content_hash), "salt": to_hex(salt), "card": card.to_json()}
    }
    # Kept before sending: without the salt nobody can later prove the file.
    opening_path.write_text(json.dumps(opening, indent=2, ensure_ascii=False) + "\n")
    body: dict[str, Any] = {
        "commitment": to_hex(commit),
        "origin": args.origin,
        "category": args.category,
        "value": args.value,
        "parents": [p.lower() for p in args.parent],
        "card": {
            "title": card.title,
            "description": card.description,
            "file": {"name": path.name, "mediaType": media_type, "size": size},
            "keywords": list(card.keywords),
            "parentNotes": [
                {"contributionId": n.contribution_id, "note": n.note} for n in card.parents
            ],
            "salt": to_hex(card.salt),
        },
        "cardHash": card.hash_hex(),
    }
    url = args.api_url or os.environ.get("POC_API_URL") or DEFAULT_API_URL
    client = http or httpx.Client(base_url=url, timeout=120)
    try:
        response = client.post(
            f"/v1/projects/{args.project}/contributions?wait=true",
            json=body,
            headers={"X-API-Key": key},
        )
    except httpx.HTTPError as exc:
        raise RegisterError(f"cannot reach the API at {url}: {exc}") from exc
    finally:
        if http is None:
            client.close()
    answer = _json(response)
    if response.status_code >= 400:
        raise RegisterError(
            f"the API refused the registration: {answer.get('code', response.status_code)}: "
            f"{answer.get('message', response.text)}"
        )
    if answer.get("status") == "failed":
        error = answer.get("error") or {}
        raise RegisterError(f"the registration failed on chain: {error.get('code')}: {error}")
    print(f"contribution {cid}")
    print(f"card hash    {card.hash_hex()}  ({card.title})")
    print(f"status       {answer.get('status')}  (operation {answer.get('id')})")
    print(f"opening      {opening_path}  (keep it: it proves the file is yours)")
    return 0


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

"""`poc exchange` and `poc access`: share documents and answer access-rights requests through a
poc-ledger API, with the encryption done on this machine (docs/exchange.md).

- `poc exchange keygen --key-file F`: a fresh X25519 key pair, the private key written to `F`
  (mode 0600), never sent anywhere; prints the public key.
- `poc exchange publish-key --key-file F`: publish its public key for the API key's partner
  (signed with the partner's key: EIP-712 `PublishEncryptionKey`).
- `poc exchange share FILE --project ID --to ADDRESS [--to ...] [--contribution ID ...]`:
  seal FILE with a fresh file key, upload the sealed bytes, wrap the key envelope to each
  recipient's published key, disclose. Prints the disclosure id, the commitment, and the salt
  and SHA-256 the sharer keeps as its own record.
- `poc exchange inbox [--json]`: disclosures to the partner, requests to answer, own requests.
- `poc exchange open ID --key-file F --out DIR [--acknowledge]`: download, unwrap, open into
  DIR under the name the sharer gave, check the SHA-256 and salt against the commitment on
  chain; with --acknowledge, sign the receipt. A document that does not check is deleted and
  never acknowledged (exit 1).
- `poc exchange decline ID [--reason TEXT]`.
- `poc access request CONTRIBUTION --purpose P --terms T [--terms-file F]`, `poc access grant
  REQUEST --terms T --terms-file F`, `poc access refuse REQUEST --reason TEXT`, `poc access
  withdraw REQUEST`, `poc access list --project ID`. A refusal's reason goes on chain as
  `keccak256(sha256(text), salt)`, like a dispute's: the command prints text hash and salt for
  the partner to keep.

The API is `--api-url` (default `$POC_API_URL`, else http://127.0.0.1:8000) with `--api-key`
(default `$POC_API_KEY`). Every write goes through the partner client (`poc.client`) and waits
until the chain confirmed it. Without `--keystore` the service signs with the key it holds for
the partner (custodial); with `--keystore FILE` every write is signed on this machine, as the
partner commands do it (`poc.cli.partner`): the typed data `/prepare` returns is rebuilt here
and compared before signing. Registered by `poc.cli.main` through `register_commands`.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx

from ledger.errors import ConfigurationError, EnvelopeError, LedgerError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from poc.client import PartnerClient

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

DEFAULT_API_URL: Final = "http://127.0.0.1:8000"
#: Seconds a write may take to be confirmed before the command gives up waiting.
WRITE_TIMEOUT: Final = 60.0
PURPOSES: Final = ("carrying-out-project", "exploiting-own-results")
TERMS: Final = ("royalty-free", "fair-and-reasonable")

#: Builds the HTTP client of a command (tests hand in the app's TestClient).
ClientFactory = Callable[[argparse.Namespace], httpx.Client]


class ApiRefused(LedgerError):
    """The API answered a request with an error (its code and message)."""


def _client(args: argparse.Namespace) -> httpx.Client:
    key = args.api_key or os.environ.get("POC_API_KEY")
    if not key:
        raise ConfigurationError("give --api-key or set POC_API_KEY")
    url = args.api_url or os.environ.get("POC_API_URL") or DEFAULT_API_URL
    return httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=WRITE_TIMEOUT)


CLIENT_FACTORY: list[ClientFactory] = [_client]


def _check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
            detail = f"{body.get('code')}: {body.get('message')}"
        except ValueError:
            detail = response.text[:200]
        raise ApiRefused(f"the API refused ({response.status_code}) {detail}")
    return response.json() if response.content else None


def _written(write: Callable[[], Any]) -> dict[str, Any]:
    """Run a write of the partner client, which waits until the chain confirmed it: its
    operation as the API's JSON; the API's refusal, or an operation that failed, as
    ApiRefused."""
    from ledger.errors import ApiRefusalError, OperationFailedError

    try:
        operation = write()
    except ApiRefusalError as exc:
        raise ApiRefused(f"the API refused ({exc.status}) {exc.code}: {exc}") from exc
    except OperationFailedError as exc:
        raise ApiRefused(f"the write ended failed: {exc}") from exc
    dumped: dict[str, Any] = operation.model_dump(mode="json", by_alias=True)
    return dumped


def register_commands(subparsers: Subparsers) -> None:
    """Add `exchange` and `access` to the `poc` parser."""
    exchange = subparsers.add_parser(
        "exchange", help="share documents end-to-end encrypted, with signed receipts"
    )
    actions = exchange.add_subparsers(dest="action", metavar="ACTION", required=True)

    keygen = actions.add_parser("keygen", help="create this partner's encryption key pair")
    keygen.add_argument("--key-file", type=Path, required=True, help="where to keep it (0600)")
    keygen.set_defaults(handler=run_keygen)

    publish = _api_parser(actions, "publish-key", "publish the key file's public key")
    publish.add_argument("--key-file", type=Path, required=True)
    publish.set_defaults(handler=run_publish_key)

    share = _api_parser(actions, "share", "seal a file and disclose it to partners")
    share.add_argument("file", type=Path)
    share.add_argument("--project", type=int, required=True)
    share.add_argument("--to", action="append", required=True, metavar="ADDRESS")
    share.add_argument("--contribution", action="append", default=[], metavar="ID")
    share.add_argument("--name", help="the name recipients see (default: the file's)")
    share.add_argument("--media-type", default="application/octet-stream")
    share.set_defaults(handler=run_share)

    inbox = _api_parser(actions, "inbox", "what waits for this partner")
    inbox.add_argument("--json", action="store_true")
    inbox.set_defaults(handler=run_inbox)

    opened = _api_parser(actions, "open", "download, decrypt and check a disclosed document")
    opened.add_argument("disclosure")
    opened.add_argument("--key-file", type=Path, required=True)
    opened.add_argument("--out", type=Path, required=True, help="directory to write it to")
    opened.add_argument("--acknowledge", action="store_true", help="sign the receipt")
    opened.set_defaults(handler=run_open)

    decline = _api_parser(actions, "decline", "decline a disclosure")
    decline.add_argument("disclosure")
    decline.add_argument("--reason", help="kept by the partners; its salted hash goes on chain")
    decline.set_defaults(handler=run_decline)

    access = subparsers.add_parser("access", help="request and answer access rights")
    steps = access.add_subparsers(dest="action", metavar="ACTION", required=True)
    request = _api_parser(steps, "request", "request access rights to a contribution")
    request.add_argument("contribution")
    request.add_argument("--purpose", choices=PURPOSES, required=True)
    request.add_argument("--terms", choices=TERMS, required=True)
    request.add_argument("--terms-file", type=Path, help="the proposed terms document")
    request.set_defaults(handler=run_request)
    grant = _api_parser(steps, "grant", "grant a request (owner)")
    grant.add_argument("request", type=int)
    grant.add_argument("--terms", choices=TERMS, required=True)
    grant.add_argument("--terms-file", type=Path, required=True)
    grant.set_defaults(handler=run_grant)
    refuse = _api_parser(steps, "refuse", "refuse a request (owner)")
    refuse.add_argument("request", type=int)
    refuse.add_argument("--reason", required=True)
    refuse.set_defaults(handler=run_refuse)
    withdraw = _api_parser(steps, "withdraw", "withdraw one's own request")
    withdraw.add_argument("request", type=int)
    withdraw.set_defaults(handler=run_withdraw)
    listed = _api_parser(steps, "list", "a project's requests and answers")
    listed.add_argument("--project", type=int, required=True)
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(handler=run_list)


def _api_parser(actions: Any, name: str, helptext: str) -> argparse.ArgumentParser:
    from poc.cli.partner import add_signing_arguments

    parser: argparse.ArgumentParser = actions.add_parser(name, help=helptext)
    parser.add_argument("--api-url", help=f"default: $POC_API_URL or {DEFAULT_API_URL}")
    parser.add_argument("--api-key", help="default: $POC_API_KEY")
    add_signing_arguments(parser)
    return parser


def _open_client(args: argparse.Namespace) -> httpx.Client:
    return CLIENT_FACTORY[0](args)


def _partner(args: argparse.Namespace, client: httpx.Client) -> PartnerClient:
    """The partner client the writes go through, over `client`'s connection: signing on this
    machine with `--keystore`, else asking the service to sign (custodial)."""
    from poc.cli.partner import keystore_signer, trusted_deployment
    from poc.client import PartnerClient

    key = args.api_key or os.environ.get("POC_API_KEY") or client.headers.get("X-API-Key", "")
    return PartnerClient(
        str(client.base_url),
        key,
        signer=keystore_signer(args),
        deployment=trusted_deployment(args),
        http=client,
        timeout=WRITE_TIMEOUT,
        wait_seconds=WRITE_TIMEOUT,
    )


# ------------------------------------------------------------------------------ keys


def run_keygen(args: argparse.Namespace) -> int:
    from ledger.exchange import keys

    path: Path = args.key_file
    if path.exists():
        raise ConfigurationError(f"{path} exists: a key file is never overwritten")
    private = keys.generate_private_key()
    document = {
        "private_key": "0x" + keys.private_key_bytes(private).hex(),
        "public_key": "0x" + keys.public_key_bytes(private).hex(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as sink:
        json.dump(document, sink)
    print(document["public_key"])
    return 0


def _load_key(path: Path) -> X25519PrivateKey:
    from ledger.exchange import keys

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return keys.load_private_key(bytes.fromhex(str(document["private_key"])[2:]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"{path} is no key file of `poc exchange keygen`: {exc}") from exc


def run_publish_key(args: argparse.Namespace) -> int:
    from ledger.exchange import keys

    public = "0x" + keys.public_key_bytes(_load_key(args.key_file)).hex()
    with _open_client(args) as client:
        partner = _partner(args, client)
        op = _written(lambda: partner.publish_encryption_key(public))
    print(f"published {public} as key version {op.get('resourceId')}")
    return 0


# ------------------------------------------------------------------------------ sharing


def run_share(args: argparse.Namespace) -> int:
    from ledger.domain import hashing
    from ledger.exchange import envelope

    path: Path = args.file
    name = args.name or path.name
    file_key, salt = envelope.new_file_key(), hashing.new_salt()
    with _open_client(args) as client:
        me = _check(client.get("/v1/me"))
        sharer = me["partner"]
        with tempfile.TemporaryFile() as sealed, path.open("rb") as source:
            digest = envelope.seal_stream(source, sealed, file_key)
            commitment = hashing.commitment(sharer, args.project, digest.sha256, salt)
            disclosure_id = hashing.disclosure_id(args.project, sharer, commitment)
            sealed.seek(0)
            _check(
                client.put(
                    f"/v1/projects/{args.project}/documents/0x{commitment.hex()}",
                    content=sealed.read(),
                    headers={"Content-Type": "application/octet-stream"},
                )
            )
        key_envelope = envelope.KeyEnvelope(file_key, salt, name, args.media_type, digest.size)
        wrapped: dict[str, str] = {}
        seen: dict[str, str] = {}
        for recipient in args.to:
            published = _check(client.get(f"/v1/partners/{recipient}/encryption-keys"))
            if not published:
                raise ApiRefused(f"{recipient} has published no encryption key yet")
            public_key = published[-1]["publicKey"].lower()
            if public_key in seen:
                # One partner published another's key: what it receives, the other opens.
                raise ApiRefused(
                    f"{recipient} and {seen[public_key]} publish the same encryption key; "
                    "ask them which one is theirs before sharing"
                )
            seen[public_key] = recipient
            blob = envelope.wrap_key(
                key_envelope,
                bytes.fromhex(published[-1]["publicKey"][2:]),
                disclosure_id=disclosure_id,
                recipient=recipient,
            )
            wrapped[published[-1]["account"]] = base64.b64encode(blob).decode("ascii")
        partner = _partner(args, client)
        _written(
            lambda: partner.disclose(
                args.project, "0x" + commitment.hex(), wrapped, contribution_ids=args.contribution
            )
        )
    record = {
        "disclosureId": "0x" + disclosure_id.hex(),
        "contentCommitment": "0x" + commitment.hex(),
        "sha256": "0x" + digest.sha256.hex(),
        "salt": "0x" + salt.hex(),
        "recipients": list(wrapped),
    }
    print(json.dumps(record, indent=2))
    return 0


def run_inbox(args: argparse.Namespace) -> int:
    with _open_client(args) as client:
        me = _check(client.get("/v1/me"))["partner"]
        inbox = _check(client.get("/v1/inbox"))
    if args.json:
        print(json.dumps(inbox, indent=2))
        return 0
    print("Disclosures to you:")
    for item in inbox["disclosures"]:
        mine = next(r for r in item["receipts"] if r["recipient"] == me)
        print(f"  {item['disclosureId']}  from {item['sharer']}  {mine['status']}")
    print("Access-rights requests to answer:")
    for request in inbox["requestsToAnswer"]:
        print(_request_line(request))
    print("Your access-rights requests:")
    for request in inbox["myRequests"]:
        print(_request_line(request))
    return 0


def _request_line(request: dict[str, Any]) -> str:
    overdue = " OVERDUE" if request["overdue"] else ""
    return (
        f"  #{request['requestId']}  {request['requester']} -> {request['owner']}  "
        f"{request['purpose']}, {request['terms']}  {request['status']}{overdue}"
    )


def run_open(args: argparse.Namespace) -> int:
    from ledger.exchange import envelope

    private = _load_key(args.key_file)
    disclosure_id: str = args.disclosure.lower()
    with _open_client(args) as client:
        me = _check(client.get("/v1/me"))["partner"]
        disclosure = _check(client.get(f"/v1/disclosures/{disclosure_id}"))
        wrapped = _check(client.get(f"/v1/disclosures/{disclosure_id}/key"))
        document = client.get(f"/v1/disclosures/{disclosure_id}/document")
        if document.status_code >= 400:
            _check(document)
        try:
            opened = envelope.unwrap_key(
                base64.b64decode(wrapped["wrappedKey"]),
                private,
                disclosure_id=bytes.fromhex(disclosure_id[2:]),
                recipient=me,
            )
        except EnvelopeError as exc:
            print(f"REFUSED: {exc}", file=sys.stderr)
            return 1
        out: Path = args.out
        out.mkdir(parents=True, exist_ok=True)
        target = out / opened.name
        partial = out / f".{opened.name}.part"
        try:
            with partial.open("wb") as sink:
                digest = envelope.open_stream(io.BytesIO(document.content), sink, opened.file_key)
            envelope.check_opened(
                opened,
                digest,
                sharer=disclosure["sharer"],
                project_id=disclosure["projectId"],
                content_commitment=bytes.fromhex(disclosure["contentCommitment"][2:]),
            )
        except EnvelopeError as exc:
            partial.unlink(missing_ok=True)
            print(f"REFUSED: {exc}; nothing was acknowledged", file=sys.stderr)
            return 1
        os.replace(partial, target)
        print(f"{target}  ({digest.size} bytes, SHA-256 0x{digest.sha256.hex()}): matches")
        if args.acknowledge:
            partner = _partner(args, client)
            _written(lambda: partner.acknowledge(disclosure_id))
            print(f"acknowledged {disclosure_id}")
    return 0


def _salted_reason(text: str) -> tuple[str, dict[str, str]]:
    from ledger.domain import hashing

    content, salt = hashing.text_hash(text), hashing.new_salt()
    reason = hashing.reason_hash(content, salt)
    return "0x" + reason.hex(), {
        "reasonHash": "0x" + reason.hex(),
        "text_sha256": "0x" + content.hex(),
        "salt": "0x" + salt.hex(),
    }


def run_decline(args: argparse.Namespace) -> int:
    reason: str | None = None
    kept: dict[str, str] = {}
    if args.reason:
        reason, kept = _salted_reason(args.reason)
    with _open_client(args) as client:
        partner = _partner(args, client)
        _written(lambda: partner.decline(args.disclosure.lower(), reason_hash=reason))
    print(json.dumps({"declined": args.disclosure, **kept}, indent=2))
    return 0


# ------------------------------------------------------------------------------ access rights


def _file_hash(path: Path | None) -> str | None:
    if path is None:
        return None
    from ledger.domain import hashing

    return "0x" + hashing.sha256_file(path).hex()


def run_request(args: argparse.Namespace) -> int:
    purpose, terms = args.purpose.replace("-", "_"), args.terms.replace("-", "_")
    terms_hash = _file_hash(args.terms_file)
    with _open_client(args) as client:
        partner = _partner(args, client)
        op = _written(
            lambda: partner.request_access(
                args.contribution, purpose=purpose, terms=terms, terms_hash=terms_hash
            )
        )
    print(f"request #{op['resourceId']} sent")
    return 0


def run_grant(args: argparse.Namespace) -> int:
    terms, terms_hash = args.terms.replace("-", "_"), _file_hash(args.terms_file)
    if terms_hash is None:
        raise ConfigurationError("a grant names its terms document: give --terms-file")
    with _open_client(args) as client:
        partner = _partner(args, client)
        _written(lambda: partner.grant_access(args.request, terms=terms, terms_hash=terms_hash))
    print(f"request #{args.request} granted")
    return 0


def run_refuse(args: argparse.Namespace) -> int:
    reason, kept = _salted_reason(args.reason)
    with _open_client(args) as client:
        partner = _partner(args, client)
        _written(lambda: partner.refuse_access(args.request, reason_hash=reason))
    print(json.dumps({"refused": args.request, **kept}, indent=2))
    return 0


def run_withdraw(args: argparse.Namespace) -> int:
    with _open_client(args) as client:
        partner = _partner(args, client)
        _written(lambda: partner.withdraw_access_request(args.request))
    print(f"request #{args.request} withdrawn")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with _open_client(args) as client:
        requests = _check(client.get(f"/v1/projects/{args.project}/access-requests"))
    if args.json:
        print(json.dumps(requests, indent=2))
    else:
        for request in requests:
            print(_request_line(request))
    return 0

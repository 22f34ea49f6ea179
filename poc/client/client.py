"""`PartnerClient`: every partner action of the poc-ledger HTTP API, typed, over httpx.

Requests and responses are the API's own pydantic schemas (`api.schemas`): a request is built
as its `*Fields`/`*Create` model and sent as `model_dump(mode="json", by_alias=True)`; an answer
is read with `model_validate`. Paths come from one table (`poc.client.routes`).

Two signing modes, as the API offers them:

- **custodial** (no `signer`): the write is posted as it is; the service signs with the
  partner's key it holds;
- **non-custodial** (`signer`, e.g. a `LocalKeySigner` from a keystore): the client posts the
  request to the route's `/prepare` twin, checks that the typed data returned is exactly the
  request's on the deployment it trusts (`poc.client.signing.checked_typed_data`), signs it
  with the partner's key on this machine, and posts the request with `signature`, `nonce` and
  `deadline`. A prepared typed data that is not the request's is refused before signing.

Every write returns the API's operation; `wait=True` (the default) waits until it is final
and raises `OperationFailedError` with the operation's code if it failed. API errors become
`ApiRefusalError` (stable `code`, `message`, HTTP `status`); no answer, `ApiUnreachableError`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from typing import Any, Final, TypeVar

import httpx
from eth_typing import ChecksumAddress
from pydantic import BaseModel, ValidationError

from api.schemas.batches import BatchCreate, BatchFields, RevealCreate
from api.schemas.cards import ReasonFields
from api.schemas.chain import ChainPublic
from api.schemas.contributions import (
    ContributionPage,
    ContributionPublic,
    RegistrationCreate,
    RegistrationFields,
)
from api.schemas.disputes import DisputeCreate, DisputeFields, DisputePublic, VoteCreate, VoteFields
from api.schemas.endorsements import EndorsementCreate, EndorsementFields
from api.schemas.exchange import (
    AccessRequestCreate,
    AccessRequestFields,
    AccessRequestPublic,
    AcknowledgeCreate,
    AcknowledgeFields,
    DeclineCreate,
    DeclineFields,
    DisclosureCreate,
    DisclosureFields,
    DisclosurePublic,
    EncryptionKeyCreate,
    EncryptionKeyFields,
    GrantCreate,
    GrantFields,
    RefuseCreate,
    RefuseFields,
    WithdrawRequestCreate,
)
from api.schemas.exports import CertificateIn, OpeningIn
from api.schemas.operations import OperationPublic, PreparedPublic, SignatureFields
from api.schemas.partners import KeyPublic
from api.schemas.payouts import BalancesPublic, PayoutCreate, PayoutFields
from ledger.chain.exchange_signing import (
    acknowledge_data,
    decline_data,
    disclose_data,
    grant_access_data,
    publish_encryption_key_data,
    refuse_access_data,
    request_access_data,
    withdraw_access_request_data,
)
from ledger.chain.signing import (
    anchor_batch_data,
    endorse_data,
    open_dispute_data,
    register_data,
    release_to_data,
    vote_dispute_data,
)
from ledger.domain.codec import ZERO_BYTES32, from_hex, to_hex
from ledger.domain.exchange import AccessPurpose, AccessTerms
from ledger.domain.hashing import batch_id, new_salt
from ledger.domain.merkle import MerkleTree
from ledger.domain.values import BatchLeaf, Origin, Registration, checksum
from ledger.errors import (
    ApiRefusalError,
    ApiUnreachableError,
    ConfigurationError,
    OperationFailedError,
    OperationTimeoutError,
    PreparedDataMismatchError,
)
from poc.client.routes import path, prepare_path, query
from poc.client.signing import Signer, TrustedDeployment, TypedDataBuilder, checked_typed_data

LEDGER: Final = "PocLedger"
VAULT: Final = "RoyaltyVault"
EXCHANGE: Final = "PocExchange"
ETH: Final = "0x0000000000000000000000000000000000000000"
DEFAULT_TIMEOUT: Final = 60.0
# How long a write waits for its operation to be final, and how often it asks.
DEFAULT_WAIT: Final = 120.0
POLL_SECONDS: Final = 0.25
# The longest wait the API is asked for in one request (RFC 7240 `Prefer: wait=N`); it caps
# it by its own setting, the client polls for the rest.
PREFER_WAIT_SECONDS: Final = 20
PAGE_SIZE: Final = 500

Model = TypeVar("Model", bound=BaseModel)


class PartnerClient:
    """A partner's client of one poc-ledger API, with its API key and, non-custodial, its key.

    `http` replaces the HTTP client (a test's `fastapi.testclient.TestClient`, a client with
    the partner's proxy or certificates); `deployment` pins the chain and contracts signatures
    are made for (default: what `GET /v1/chain` says, asked once)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        signer: Signer | None = None,
        deployment: TrustedDeployment | None = None,
        http: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        wait_seconds: float = DEFAULT_WAIT,
    ) -> None:
        if not api_key:
            raise ConfigurationError("an API key is needed (--api-key or POC_API_KEY)")
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.wait_seconds = wait_seconds
        self._api_key = api_key
        self._deployment = deployment
        self._partner: ChecksumAddress | None = None
        self._owns_http = http is None
        self._http = http or httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> PartnerClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------ HTTP

    def _send(
        self,
        method: str,
        url: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"X-API-Key": self._api_key, **(headers or {})}
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(method, url, json=body, params=query, headers=sent)
        except httpx.TransportError as exc:
            raise ApiUnreachableError(
                f"cannot reach the poc-ledger API at {self.base_url}: {exc}",
                code="api_unreachable",
            ) from exc
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    def _get(self, model: type[Model], url: str, **params: Any) -> Model:
        return _parse(model, self._send("GET", url, params=params))

    # ------------------------------------------------------------------------------ reads

    def me(self) -> KeyPublic:
        """The API key of this client: its role and the partner it acts for."""
        return self._get(KeyPublic, path("me"))

    def partner(self) -> ChecksumAddress:
        """The partner this API key acts for (asked once)."""
        if self._partner is None:
            key = self.me()
            if key.partner is None:
                raise ConfigurationError(
                    f"this API key ({key.role}) acts for no partner: use a partner's key"
                )
            self._partner = checksum(key.partner)
        return self._partner

    def chain(self) -> ChainPublic:
        """The chain and deployment the API writes to."""
        return self._get(ChainPublic, path("chain"))

    def deployment(self) -> TrustedDeployment:
        """The deployment signatures are made for: the one given, else the API's (asked once)."""
        if self._deployment is None:
            info = self.chain()
            self._deployment = TrustedDeployment(info.chain_id, dict(info.contracts))
        return self._deployment

    def contributions(
        self,
        project_id: int,
        *,
        contributor: str | None = None,
        status: str | None = None,
    ) -> Iterator[ContributionPublic]:
        """The project's contributions the key may read, in chain order (every page)."""
        cursor: str | None = None
        while True:
            page = self._get(
                ContributionPage,
                path("contributions", project_id=project_id),
                **query(
                    project_id=project_id,
                    contributor=contributor,
                    status=status,
                    cursor=cursor,
                    limit=PAGE_SIZE,
                ),
            )
            yield from page.items
            cursor = page.next_cursor
            if cursor is None:
                return

    def contribution(self, contribution_id: str) -> ContributionPublic:
        """One contribution, with its card."""
        return self._get(ContributionPublic, path("contribution", contribution_id=contribution_id))

    def find_contribution(self, contribution_id: str) -> ContributionPublic | None:
        """The contribution, or None when the API knows none of that id (yet)."""
        try:
            return self.contribution(contribution_id)
        except ApiRefusalError as exc:
            if exc.status == 404:
                return None
            raise

    def disputes(self, contribution_id: str) -> list[DisputePublic]:
        """The contribution's disputes, oldest first."""
        response = self._send("GET", path("disputes", contribution_id=contribution_id))
        return [_validate(DisputePublic, item) for item in _json_list(response)]

    def balances(self, project_id: int, *, token: str | None = None) -> BalancesPublic:
        """The project's money in the vault and every partner's releasable balance."""
        return self._get(
            BalancesPublic, path("balances", project_id=project_id), **query(token=token)
        )

    def operations(self, *, limit: int = 200) -> list[OperationPublic]:
        """The partner's latest operations, newest first (at most 200)."""
        response = self._send("GET", path("operations"), params=query(limit=limit))
        return [_validate(OperationPublic, item) for item in _json_list(response)]

    def operation(self, operation_id: str) -> OperationPublic:
        return self._get(OperationPublic, path("operation", operation_id=operation_id))

    def wait(self, operation: OperationPublic, *, seconds: float | None = None) -> OperationPublic:
        """Poll `operation` until it is confirmed or failed; raise OperationFailedError
        (its code) or OperationTimeoutError."""
        limit = self.wait_seconds if seconds is None else seconds
        deadline = time.monotonic() + limit
        while operation.status not in ("confirmed", "failed"):
            if time.monotonic() > deadline:
                raise OperationTimeoutError(
                    f"operation {operation.id} is still {operation.status} after {limit:g} s; "
                    f"ask again later ({operation.status_url})",
                    operation_id=operation.id,
                )
            time.sleep(POLL_SECONDS)
            operation = self.operation(operation.id)
        if operation.status == "failed":
            error = operation.error
            code = error.code if error else "failed"
            message = error.message if error else "no reason given"
            raise OperationFailedError(
                f"{operation.kind} failed: {code}: {message}",
                code=code,
                operation_id=operation.id,
            )
        return operation

    # ------------------------------------------------------------------------------ exports

    def bundle(self, contribution_id: str, *, content_hash: bytes, salt: bytes) -> bytes:
        """The contribution's proof bundle (JSON bytes), opened with the partner's opening."""
        body = OpeningIn(content_hash=to_hex(content_hash), salt=to_hex(salt))
        return self._send(
            "POST", path("bundle", contribution_id=contribution_id), body=_dump(body)
        ).content

    def certificate(
        self,
        contribution_id: str,
        *,
        content_hash: bytes,
        salt: bytes,
        language: str = "en",
        project_name: str | None = None,
    ) -> bytes:
        """The contribution's PDF certificate, in Dutch (`nl`) or English (`en`)."""
        body = CertificateIn.model_validate(
            {
                "contentHash": to_hex(content_hash),
                "salt": to_hex(salt),
                "language": language,
                "projectName": project_name,
            }
        )
        return self._send(
            "POST", path("certificate", contribution_id=contribution_id), body=_dump(body)
        ).content

    # ------------------------------------------------------------------------------ writes

    def register(
        self, project_id: int, fields: RegistrationFields, *, wait: bool = True
    ) -> OperationPublic:
        """Register one contribution (its commitment; the card, whose hash is signed)."""
        fields = _with_card_hash(fields)
        registration = _registration(project_id, fields)

        build = partial(register_data, registration=registration)
        return self._write(
            "register", {"project_id": project_id}, fields, RegistrationCreate, LEDGER, build, wait
        )

    def anchor_batch(
        self, project_id: int, fields: BatchFields, *, wait: bool = True
    ) -> OperationPublic:
        """Anchor many contributions under one Merkle root in one transaction; the
        operation's `resource_id` is the batch id once included."""
        items = [_with_card_hash(item) for item in fields.items]
        fields = fields.model_copy(update={"items": items})
        tree = MerkleTree.of([_leaf(item) for item in items])

        build = partial(
            anchor_batch_data,
            project_id=project_id,
            root=tree.root,
            count=len(tree),
            uri=fields.uri,
        )
        return self._write(
            "batches", {"project_id": project_id}, fields, BatchCreate, LEDGER, build, wait
        )

    def reveal(
        self, batch_id: str, *, indices: list[int] | None = None, wait: bool = True
    ) -> list[OperationPublic]:
        """Reveal batched contributions (all, or those at `indices`): one operation each,
        relayed without a signature (the anchoring already proves who and when)."""
        body = RevealCreate.model_validate({"indices": indices})
        response = self._send(
            "POST", path("reveal", batch_id=batch_id), body=_dump(body), headers=self._prefer()
        )
        operations = [_validate(OperationPublic, item) for item in _json_list(response)]
        return [self.wait(op) for op in operations] if wait else operations

    def endorse(self, contribution_id: str, rating: int, *, wait: bool = True) -> OperationPublic:
        """Endorse another partner's contribution with a rating of 1 (low) to 5 (high)."""
        fields = EndorsementFields(rating=rating)
        project_id, cid = self._project_of(contribution_id), from_hex(contribution_id, size=32)

        build = partial(endorse_data, project_id=project_id, contribution_id=cid, rating=rating)
        return self._write(
            "endorsements",
            {"contribution_id": contribution_id},
            fields,
            EndorsementCreate,
            LEDGER,
            build,
            wait,
        )

    def dispute(
        self,
        contribution_id: str,
        text: str,
        *,
        file_name: str | None = None,
        file_sha256: str | None = None,
        wait: bool = True,
    ) -> OperationPublic:
        """Dispute another partner's contribution, with the reason in your words (its hash
        goes on chain; the service keeps the text for the project's partners)."""
        reason = ReasonFields.model_validate(
            {
                "text": text,
                "salt": to_hex(new_salt()),
                **(
                    {"file": {"name": file_name, "sha256": file_sha256}}
                    if file_name is not None or file_sha256 is not None
                    else {}
                ),
            }
        )
        reason_hash = reason.to_reason(ZERO_BYTES32).hash()
        fields = DisputeFields.model_validate(
            {
                _alias(DisputeFields, "reason"): _dump(reason),
                _alias(DisputeFields, "reason_hash"): to_hex(reason_hash),
            }
        )
        project_id, cid = self._project_of(contribution_id), from_hex(contribution_id, size=32)

        build = partial(
            open_dispute_data, project_id=project_id, contribution_id=cid, reason_hash=reason_hash
        )
        return self._write(
            "disputes",
            {"contribution_id": contribution_id},
            fields,
            DisputeCreate,
            LEDGER,
            build,
            wait,
        )

    def vote(
        self, contribution_id: str, number: int, *, uphold: bool, wait: bool = True
    ) -> OperationPublic:
        """Vote on the contribution's open dispute `number`: uphold it (invalidate the
        contribution) or reject it (keep the contribution)."""
        fields = VoteFields(uphold=uphold)
        project_id, cid = self._project_of(contribution_id), from_hex(contribution_id, size=32)

        build = partial(
            vote_dispute_data, project_id=project_id, contribution_id=cid, uphold=uphold
        )
        return self._write(
            "votes",
            {"contribution_id": contribution_id, "number": number},
            fields,
            VoteCreate,
            LEDGER,
            build,
            wait,
        )

    def release(
        self,
        project_id: int,
        *,
        token: str = ETH,
        recipient: str | None = None,
        wait: bool = True,
    ) -> OperationPublic:
        """Release the partner's whole balance of `token` (ETH by default) from the vault, to
        itself (no signature needed: the vault pays only the partner) or to `recipient`
        (signed by the partner)."""
        to_self = recipient is None or checksum(recipient) == self.partner()
        fields = PayoutFields.model_validate(
            {"token": token, "recipient": None if to_self else recipient}
        )
        if to_self:
            return self._post_write(
                "payouts", {"project_id": project_id}, fields, PayoutCreate, wait
            )
        assert recipient is not None

        build = partial(
            release_to_data,
            project_id=project_id,
            token=checksum(token),
            recipient=checksum(recipient),
        )
        return self._write(
            "payouts", {"project_id": project_id}, fields, PayoutCreate, VAULT, build, wait
        )

    # ------------------------------------------------------------------------------ exchange

    def disclosure(self, disclosure_id: str) -> DisclosurePublic:
        """One disclosure the partner shared or received (docs/exchange.md)."""
        return self._get(DisclosurePublic, path("disclosure", disclosure_id=disclosure_id))

    def access_request(self, request_id: int) -> AccessRequestPublic:
        """One access-rights request of a project the partner belongs to."""
        return self._get(AccessRequestPublic, path("access_request", request_id=request_id))

    def publish_encryption_key(self, public_key: str, *, wait: bool = True) -> OperationPublic:
        """Publish the partner's X25519 public key (0x-hex), under which sharers wrap keys."""
        fields = EncryptionKeyFields.model_validate({"publicKey": public_key})
        build = partial(publish_encryption_key_data, public_key=from_hex(public_key, size=32))
        params = {"partner": self.partner()}
        return self._write(
            "encryption_keys", params, fields, EncryptionKeyCreate, EXCHANGE, build, wait
        )

    def disclose(
        self,
        project_id: int,
        content_commitment: str,
        wrapped_keys: dict[str, str],
        *,
        contribution_ids: list[str] | tuple[str, ...] = (),
        wait: bool = True,
    ) -> OperationPublic:
        """Disclose a sealed document uploaded before, to the recipients `wrapped_keys` names
        (address -> base64 of the key envelope wrapped to that recipient's published key)."""
        recipients = list(wrapped_keys)
        fields = DisclosureFields.model_validate(
            {
                "contentCommitment": content_commitment,
                "recipients": recipients,
                "contributionIds": list(contribution_ids),
            }
        )
        build = partial(
            disclose_data,
            project_id=project_id,
            content_commitment=from_hex(content_commitment, size=32),
            recipients=fields.recipients,
            contribution_ids=[from_hex(c, size=32) for c in fields.contribution_ids],
        )
        return self._write(
            "disclosures",
            {"project_id": project_id},
            fields,
            DisclosureCreate,
            EXCHANGE,
            build,
            wait,
            extra={_alias(DisclosureCreate, "wrapped_keys"): dict(wrapped_keys)},
        )

    def acknowledge(self, disclosure_id: str, *, wait: bool = True) -> OperationPublic:
        """Sign the receipt of a disclosed document, for the commitment on chain (open and
        check the document first: `poc exchange open` does)."""
        disclosure = self.disclosure(disclosure_id)
        fields = AcknowledgeFields.model_validate(
            {"contentCommitment": disclosure.content_commitment}
        )
        build = partial(
            acknowledge_data,
            project_id=disclosure.project_id,
            disclosure_id=from_hex(disclosure_id, size=32),
            content_commitment=from_hex(disclosure.content_commitment, size=32),
            sharer=disclosure.sharer,
        )
        params = {"disclosure_id": disclosure_id}
        return self._write("acknowledge", params, fields, AcknowledgeCreate, EXCHANGE, build, wait)

    def decline(
        self, disclosure_id: str, *, reason_hash: str | None = None, wait: bool = True
    ) -> OperationPublic:
        """Decline a disclosed document, with the hash of a reason kept elsewhere or none."""
        disclosure = self.disclosure(disclosure_id)
        fields = DeclineFields.model_validate({"reasonHash": reason_hash})
        build = partial(
            decline_data,
            project_id=disclosure.project_id,
            disclosure_id=from_hex(disclosure_id, size=32),
            reason_hash=ZERO_BYTES32 if reason_hash is None else from_hex(reason_hash, size=32),
        )
        params = {"disclosure_id": disclosure_id}
        return self._write("decline", params, fields, DeclineCreate, EXCHANGE, build, wait)

    def request_access(
        self,
        contribution_id: str,
        *,
        purpose: str,
        terms: str,
        terms_hash: str | None = None,
        wait: bool = True,
    ) -> OperationPublic:
        """Ask the contribution's owner for access rights (`purpose`: carrying_out_project or
        exploiting_own_results; `terms`: royalty_free or fair_and_reasonable)."""
        fields = AccessRequestFields.model_validate(
            {"purpose": purpose, "terms": terms, "termsHash": terms_hash}
        )
        build = partial(
            request_access_data,
            project_id=self._project_of(contribution_id),
            contribution_id=from_hex(contribution_id, size=32),
            purpose=AccessPurpose[fields.purpose.upper()],
            terms=AccessTerms[fields.terms.upper()],
            terms_hash=ZERO_BYTES32 if terms_hash is None else from_hex(terms_hash, size=32),
        )
        params = {"contribution_id": contribution_id}
        return self._write(
            "access_requests", params, fields, AccessRequestCreate, EXCHANGE, build, wait
        )

    def grant_access(
        self, request_id: int, *, terms: str, terms_hash: str, wait: bool = True
    ) -> OperationPublic:
        """Grant an open request of yours to answer, on `terms` with the terms document's hash."""
        fields = GrantFields.model_validate({"terms": terms, "termsHash": terms_hash})
        build = partial(
            grant_access_data,
            project_id=self.access_request(request_id).project_id,
            request_id=request_id,
            terms=AccessTerms[fields.terms.upper()],
            terms_hash=from_hex(terms_hash, size=32),
        )
        params = {"request_id": request_id}
        return self._write("grant", params, fields, GrantCreate, EXCHANGE, build, wait)

    def refuse_access(
        self, request_id: int, *, reason_hash: str, wait: bool = True
    ) -> OperationPublic:
        """Refuse an open request of yours to answer, with the hash of the reason."""
        fields = RefuseFields.model_validate({"reasonHash": reason_hash})
        build = partial(
            refuse_access_data,
            project_id=self.access_request(request_id).project_id,
            request_id=request_id,
            reason_hash=from_hex(reason_hash, size=32),
        )
        params = {"request_id": request_id}
        return self._write("refuse", params, fields, RefuseCreate, EXCHANGE, build, wait)

    def withdraw_access_request(self, request_id: int, *, wait: bool = True) -> OperationPublic:
        """Withdraw one's own open request."""
        fields = WithdrawRequestCreate.model_validate({})
        build = partial(
            withdraw_access_request_data,
            project_id=self.access_request(request_id).project_id,
            request_id=request_id,
        )
        params = {"request_id": request_id}
        return self._write(
            "withdraw_request", params, fields, WithdrawRequestCreate, EXCHANGE, build, wait
        )

    # ------------------------------------------------------------------------------ signing

    def check_key(self) -> None:
        """Non-custodial: raise ConfigurationError unless the key signs for the API key's
        partner (before long work whose writes would be refused)."""
        if self.signer is not None:
            self._own_key()

    def _own_key(self) -> ChecksumAddress:
        """The signer's address, once checked to be the API key's partner."""
        assert self.signer is not None
        signer = self.signer.address
        if signer != self.partner():
            raise ConfigurationError(
                f"your key is {signer}, but the API key acts for {self.partner()}: "
                "use the keystore of that partner"
            )
        return signer

    def _project_of(self, contribution_id: str) -> int:
        """The project of a contribution (checking first, non-custodial, that the key is the
        API key's partner's: a request for the wrong partner gets no further)."""
        if self.signer is not None:
            self._own_key()
        return self.contribution(contribution_id).project_id

    def _write(
        self,
        route: str,
        params: dict[str, Any],
        fields: BaseModel,
        create: type[BaseModel],
        contract: str,
        build: TypedDataBuilder,
        wait: bool,
        *,
        extra: dict[str, Any] | None = None,
    ) -> OperationPublic:
        """Post a write, signed here first when the client has a signer; `extra` goes into
        the posted request but not into what `/prepare` is asked (it is not signed)."""
        if self.signer is None:
            return self._post_write(route, params, fields, create, wait, extra=extra)
        signer = self._own_key()
        prepared = _parse(
            PreparedPublic,
            self._send("POST", prepare_path(route, **params), body=_dump(fields)),
        )
        data = checked_typed_data(
            prepared.typed_data,
            nonce=_integer(prepared.nonce, "nonce"),
            deadline=_integer(prepared.deadline, "deadline"),
            digest=prepared.digest,
            signer=signer,
            prepared_signer=prepared.signer,
            domain=self.deployment().domain(contract),
            build=build,
        )
        signature = self.signer.sign_typed_data(data)
        signed = {
            "signature": to_hex(signature),
            "nonce": prepared.nonce,
            "deadline": prepared.deadline,
        }
        return self._post_write(route, params, fields, create, wait, signed=signed, extra=extra)

    def _post_write(
        self,
        route: str,
        params: dict[str, Any],
        fields: BaseModel,
        create: type[BaseModel],
        wait: bool,
        *,
        signed: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> OperationPublic:
        body = {**_dump(fields), **(extra or {})}
        for name, value in (signed or {}).items():
            body[_alias(SignatureFields, name)] = value
        request = _validate(create, body)
        response = self._send(
            "POST",
            path(route, **params),
            body=_dump(request),
            headers=self._prefer() if wait else None,
        )
        operation = _parse(OperationPublic, response)
        return self.wait(operation) if wait else operation

    def _prefer(self) -> dict[str, str]:
        return {"Prefer": f"wait={min(PREFER_WAIT_SECONDS, int(self.wait_seconds) or 1)}"}


# ------------------------------------------------------------------------------ helpers


def _dump(model: BaseModel) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


def _alias(model: type[BaseModel], name: str) -> str:
    """The JSON name of `model`'s field `name` (its alias when the schemas give one)."""
    info = model.model_fields[name]
    return info.serialization_alias or info.alias or name


def _validate(model: type[Model], data: object) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiRefusalError(
            f"the API's answer is not a {model.__name__}: {exc.errors()[0]['msg']}",
            code="unexpected_response",
            status=200,
        ) from exc


def _parse(model: type[Model], response: httpx.Response) -> Model:
    try:
        data = response.json()
    except ValueError as exc:
        raise ApiRefusalError(
            f"the API answered {response.status_code} with no JSON",
            code="unexpected_response",
            status=response.status_code,
        ) from exc
    return _validate(model, data)


def _json_list(response: httpx.Response) -> list[Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, list):
        raise ApiRefusalError(
            "the API's answer is not a list", code="unexpected_response", status=200
        )
    return data


def _refusal(response: httpx.Response) -> ApiRefusalError:
    """The API's error body as an ApiRefusalError (a body that is not one is named so)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        reason = response.reason_phrase or "error"
        return ApiRefusalError(
            f"the API answered {response.status_code} {reason}",
            code=f"http_{response.status_code}",
            status=response.status_code,
        )
    details = tuple(
        (str(d.get("location", d.get("loc", ""))), str(d.get("message", d.get("msg", ""))))
        for d in data.get("details") or ()
        if isinstance(d, dict)
    )
    return ApiRefusalError(
        str(data.get("message") or data["code"]),
        code=data["code"],
        status=response.status_code,
        details=details,
    )


def _integer(value: object, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise PreparedDataMismatchError(f"{what}: {value!r} is not an unsigned integer")


def _card_hash_of(fields: Any) -> str | None:
    """The hash of the request's card (its salt chosen here when it has none, so the client
    knows what the service must sign), else the request's `card_hash`."""
    if fields.card is None:
        given: str | None = fields.card_hash
        return given
    card_hash: str = fields.card.to_card(ZERO_BYTES32).hash_hex()
    if fields.card_hash is not None and fields.card_hash != card_hash:
        raise ConfigurationError(
            f"card_hash {fields.card_hash} is not the hash of the card given ({card_hash})"
        )
    return card_hash


Fields = TypeVar("Fields", bound=BaseModel)


def _with_card_hash(fields: Fields) -> Fields:
    """`fields` with a salted card and its hash, so that the signed `cardHash` is known here."""
    card = getattr(fields, "card", None)
    if card is not None and card.salt is None:
        card = card.model_copy(update={"salt": to_hex(new_salt())})
        fields = fields.model_copy(update={"card": card})
    return fields.model_copy(update={"card_hash": _card_hash_of(fields)})


def _registration(project_id: int, fields: RegistrationFields) -> Registration:
    return Registration(
        project_id=project_id,
        commitment=from_hex(fields.commitment, size=32),
        origin=Origin.RESULT if fields.origin == "result" else Origin.BACKGROUND,
        category=fields.category,
        value=fields.value,
        parents=tuple(from_hex(p, size=32) for p in fields.parents),
        uri=fields.uri,
        card_hash=from_hex(fields.card_hash, size=32) if fields.card_hash else ZERO_BYTES32,
    )


def batch_id_of(project_id: int, partner: str, fields: BatchFields) -> str:
    """The id the batch of `fields` gets on chain: of its Merkle root, by `partner`. Each
    leaf's card is in the root by its `card_hash`, which the fields must carry (as
    `poc.client.files.leaf_fields` makes them)."""
    root = MerkleTree.of([_leaf(item) for item in fields.items]).root
    return to_hex(batch_id(project_id, partner, root))


def _leaf(item: Any) -> BatchLeaf:
    return BatchLeaf(
        commitment=from_hex(item.commitment, size=32),
        origin=Origin.RESULT if item.origin == "result" else Origin.BACKGROUND,
        category=item.category,
        value=item.value,
        parents=tuple(from_hex(p, size=32) for p in item.parents),
        card_hash=from_hex(item.card_hash, size=32) if item.card_hash else ZERO_BYTES32,
    )

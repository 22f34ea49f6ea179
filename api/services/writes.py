"""Accepting writes: sign or check the partner's signature, store the operation, answer 202.

Every partner action is relayed through the contracts' `...BySig` functions, so one path serves
both signing modes:

- **custodial**: the request has no signature; the service signs the EIP-712 typed data with the
  partner's key from `api.services.custody` (nonce random, deadline far ahead);
- **non-custodial**: the client first calls the route's `/prepare` twin, which returns the typed
  data with a fresh nonce and deadline, signs it on its own machine, and posts the same body
  plus `signature`, `nonce` and `deadline`. The API rebuilds the typed data from that body and
  checks the signature recovers to the key's partner (else 403 `wrong_actor`).

Then `Writes.accept` stores the operation (the outbox of `ledger.sync.outbox`) and answers 202 with
its status URL, or waits for confirmation when asked. A dry run (`eth_call`) first turns most
contract reverts into an immediate 4xx; it is skipped while the partner has operations in flight
that it may depend on, and when the node is down (the write is accepted and sent once the node is
back). A write that fails later, on chain, ends `failed` with the contract's error code, the same
code the dry run would have answered.

Repeats (`Writes._repeat_of`): only the same request is a repeat, and it gets the operation it
repeats (200), whatever became of it: the same `Idempotency-Key` with the same body (another
body: 409 `idempotency_key_reused`), or the same partner signature. Without either, a request
for an on-chain action (a partner's endorsement of a contribution, a registration of a
commitment, ...) that a pending or confirmed operation already performs gets that operation when
every field is the same, and 409 `conflict` naming the fields that differ. A failed operation
performs nothing and holds no action: a new signature, or a custodial request, is a new attempt.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Header, Query
from fastapi.responses import JSONResponse
from hexbytes import HexBytes
from pydantic import BaseModel
from web3.types import TxParams, Wei

from api.auth import Principal
from api.deps import EXCHANGE, VAULT, ServicesDep, WriterDep, actor_of
from api.errors import ConflictError, ErrorDetail, UnprocessableError
from api.schemas.operations import OperationPublic, PreparedPublic, SignatureFields
from ledger.chain.reverts import DecodedRevertError, PocContributionExists, decoding_reverts
from ledger.chain.signing import (
    Eip712Domain,
    SignedAuth,
    TypedData,
    recover_signer,
    sign_auth,
    typed_data_digest,
    typed_data_json,
)
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.domain.values import Origin, Registration
from ledger.errors import ChainError, SigningError
from ledger.store.outbox import OperationMatches, OperationRecord, nonce_key_of
from ledger.sync.calls import RELAYER, ChainCall
from ledger.sync.outbox import OpStatus

# Custodial signatures are made by the service and relayed by it: a long deadline lets an
# accepted write survive a long chain outage without expiring.
CUSTODIAL_TTL = 30 * 24 * 3600
# How far a dev chain's clock runs ahead of the wall clock, and when that was asked, per chain.
_CHAIN_LEAD: dict[int, tuple[int, float]] = {}


def clock_moved(chain: object) -> None:
    """Forget what the dev `chain`'s clock lead was: it was just moved (the sandbox's and a
    hosted workspace's clock helpers call this), and a custodial write within the second must
    not take its deadline from the old lead, which the moved block time may already pass."""
    _CHAIN_LEAD.pop(id(chain), None)


_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait(?:\s*=\s*(\d+))?", re.I)


# ------------------------------------------------------------------------------ bodies


ACCEPTED_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": OperationPublic, "description": "Accepted; follow `status_url`."},
    200: {"model": OperationPublic, "description": "Final (waited for), or a repeat."},
}
"""OpenAPI `responses=` of every write route."""


# ------------------------------------------------------------------------------ actions


@dataclass(frozen=True)
class SignedAction:
    """A partner action relayed by signature.

    `typed_data(domain, signer, nonce, deadline)` builds what is signed; `call(auth)` the
    relayed contract call; `dedupe_key` names the on-chain effect (same key, same operation);
    `keep()` stores what the call's hashes stand for (a contribution card, a dispute reason),
    run once the signature is checked, the request is found to be no repeat or conflict and
    the dry run passed, right before the operation is stored: an accepted write never names a
    record the service does not hold, and a refused one leaves no record behind.
    """

    kind: str
    contract: str
    project_id: int | None
    typed_data: Callable[[Eip712Domain, str, int, int], TypedData]
    call: Callable[[SignedAuth], ChainCall]
    dedupe_key: str | None = None
    meta: Mapping[str, Any] | None = None
    keep: Callable[[], object] | None = None


async def _wait_timeout(
    services: ServicesDep,
    wait: Annotated[
        bool, Query(description="Wait until the write is confirmed (or failed).")
    ] = False,
    prefer: Annotated[
        str | None,
        Header(description="`wait` or `wait=<seconds>` (RFC 7240) to wait for confirmation."),
    ] = None,
) -> float | None:
    limit = services.settings.wait_timeout
    if prefer:
        match = _PREFER_WAIT.search(prefer)
        if match:
            return min(float(match.group(1)), limit) if match.group(1) else limit
    return limit if wait else None


WaitDep = Annotated[float | None, Depends(_wait_timeout)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Repeat a request safely: the same key with the same body returns the "
        "first operation (even a failed one); with another body it is 409 "
        "`idempotency_key_reused`.",
    ),
]


#: Chains a wallet is often left connected to: mainnet, Sepolia, Holesky, the dev chains.
_USUAL_CHAIN_IDS: tuple[int, ...] = (1, 11155111, 17000, 31337, 1337)
# Half the order of secp256k1: an ECDSA `s` above it is the malleated twin of a valid one.
_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def _check_signature_form(raw: bytes) -> None:
    """Refuse a signature by its form, before recovering anything: 65 bytes r ‖ s ‖ v with a
    low `s` (EIP-2), as the contracts require."""
    if len(raw) != 65:
        raise UnprocessableError(
            f"a signature is 65 bytes (r, s, v), not {len(raw)}", code="signature_malformed"
        )
    if raw[64] not in (0, 1, 27, 28):
        raise UnprocessableError(
            f"the signature's v is {raw[64]}, not 27 or 28", code="signature_malformed"
        )
    if int.from_bytes(raw[32:64], "big") > _HALF_ORDER:
        raise UnprocessableError(
            "the signature's s is in the upper half of the curve order: a malleated signature "
            "(EIP-2); sign again, or use s' = n - s with v flipped",
            code="signature_malleable",
        )


class Writes:
    """Accepts the writes of one request (a dependency: `WritesDep`)."""

    def __init__(
        self,
        services: ServicesDep,
        principal: WriterDep,
        wait: WaitDep,
        idempotency_key: IdempotencyKey = None,
    ) -> None:
        self.services = services
        self.principal: Principal = principal
        self.wait = wait
        self.idempotency_key = idempotency_key
        self.actor = actor_of(principal)

    # ---------------------------------------------------------------------------- domains

    def domain(self, contract: str) -> Eip712Domain:
        access = self.services.require_chain()
        if contract == VAULT:
            return Eip712Domain.vault(access.chain.chain_id, access.vault_address)
        if contract == EXCHANGE:
            exchange = access.require_exchange()
            return Eip712Domain.exchange(access.chain.chain_id, exchange.address)
        return Eip712Domain.ledger(access.chain.chain_id, access.ledger_address)

    # ------------------------------------------------------------------------- signed ones

    def prepare(self, action: SignedAction) -> PreparedPublic:
        """Typed data for the partner to sign itself."""
        self._require_mode("non-custodial")
        nonce = secrets.randbits(256)
        deadline = self._now(fresh=True) + self.services.settings.signature_ttl
        data = action.typed_data(self.domain(action.contract), self.actor, nonce, deadline)
        return PreparedPublic(
            typed_data=typed_data_json(data),
            signer=self.actor,
            nonce=str(nonce),
            deadline=str(deadline),
            digest=to_hex(typed_data_digest(data)),
        )

    def submit(
        self, action: SignedAction, signed: SignatureFields, body: BaseModel
    ) -> JSONResponse:
        """Sign (custodial) or check the signature (non-custodial), then accept the call."""
        auth = self._authorise(action, signed)
        call = action.call(auth)
        return self.accept(
            action.kind,
            call,
            body,
            project_id=action.project_id,
            dedupe_key=action.dedupe_key,
            meta=action.meta,
            attempt_key=None if signed.signature is None else attempt_key_of(auth.signature),
            keep=action.keep,
        )

    def _authorise(self, action: SignedAction, signed: SignatureFields) -> SignedAuth:
        domain = self.domain(action.contract)
        given = (signed.signature, signed.nonce, signed.deadline)
        if all(v is None for v in given):
            self._require_mode("custodial")
            custody = self.services.require_custody()
            account = custody.account(self.actor)
            if account is None:
                raise UnprocessableError(
                    f"the service holds no key of {self.actor}: sign it yourself "
                    "(POST the route's /prepare, then this route with signature, nonce, deadline)",
                    code="not_custodial",
                )
            nonce = secrets.randbits(256)
            deadline = self._now(fresh=False) + CUSTODIAL_TTL
            return sign_auth(account.key, action.typed_data(domain, self.actor, nonce, deadline))
        if any(v is None for v in given):
            raise UnprocessableError(
                "give signature, nonce and deadline together (or none: custodial mode)",
                code="incomplete_signature",
            )
        self._require_mode("non-custodial")
        assert signed.signature and signed.nonce and signed.deadline is not None
        raw = bytes(HexBytes(signed.signature))
        if signed.deadline < time.time() and not self._seen(raw):
            # A signature seen before is a repeat whatever its deadline: `accept` answers
            # with its operation.
            raise UnprocessableError(
                "the signature's deadline has passed", code="signature_expired"
            )
        nonce = int(signed.nonce)
        if nonce >= 2**256:
            raise UnprocessableError("nonce must fit uint256", code="invalid_request")
        data = action.typed_data(domain, self.actor, nonce, signed.deadline)
        _check_signature_form(raw)
        try:
            signer = recover_signer(data, raw)
        except SigningError as exc:
            # The contract's name for it (`SignatureInvalid`): one code whoever refuses it.
            raise UnprocessableError(str(exc), code="signature_invalid") from exc
        if signer != self.actor:
            raise self._mismatch(action, data, raw, signer)
        return SignedAuth(self.actor, nonce, signed.deadline, raw)

    def _mismatch(
        self, action: SignedAction, data: TypedData, raw: bytes, recovered: str
    ) -> UnprocessableError:
        """The refusal of a signature that recovers another address than the key's partner:
        `signature_wrong_domain` when it is the partner's over the same message for another of
        this deployment's contracts or another well-known chain, else `signature_mismatch`;
        both with the digest the service expected and the address the signature recovers."""
        digest = to_hex(typed_data_digest(data))
        details = [
            ErrorDetail(
                location="body.signature",
                code="recovered_address",
                message=f"the signature recovers {recovered}",
                expected=self.actor,
                actual=recovered,
            ),
            ErrorDetail(
                location="typedData",
                code="expected_digest",
                message="the EIP-712 digest of the typed data /prepare returns for this "
                "request (nonce and deadline as posted)",
                expected=digest,
            ),
        ]
        ours = self.domain(action.contract)
        for other in self._other_domains(ours):
            try:
                signer = recover_signer({**data, "domain": other.as_dict()}, raw)
            except SigningError:
                continue
            if signer == self.actor:
                details.append(
                    ErrorDetail(
                        location="typedData.domain",
                        code="domain_signed",
                        message=f"signed for chain {other.chain_id}, contract "
                        f"{other.verifying_contract}; this service writes to chain "
                        f"{ours.chain_id}, contract {ours.verifying_contract}",
                        expected=f"{ours.chain_id}:{ours.verifying_contract}",
                        actual=f"{other.chain_id}:{other.verifying_contract}",
                    )
                )
                return UnprocessableError(
                    f"the signature is {self.actor}'s, but for another EIP-712 domain (chain "
                    f"{other.chain_id}, contract {other.verifying_contract}): sign the typed "
                    "data /prepare returns, domain included",
                    code="signature_wrong_domain",
                    details=details,
                )
        return UnprocessableError(
            f"the signature recovers {recovered}, not {self.actor} (the partner this API key "
            f"acts for): the signed typed data differs from the request (expected digest "
            f"{digest}), or another key signed it",
            code="signature_mismatch",
            details=details,
        )

    def _other_domains(self, ours: Eip712Domain) -> list[Eip712Domain]:
        """Domains a partner may sign for by mistake: this deployment's other contracts, and
        this contract on the chains a wallet is most often connected to."""
        access = self.services.require_chain()
        addresses = [access.ledger_address, access.vault_address]
        if access.exchange is not None:
            addresses.append(access.exchange.address)
        found = [
            replace(ours, verifying_contract=a) for a in addresses if a != ours.verifying_contract
        ]
        found += [
            replace(ours, chain_id=chain_id)
            for chain_id in _USUAL_CHAIN_IDS
            if chain_id != ours.chain_id
        ]
        return found

    def _seen(self, signature: bytes) -> bool:
        """Whether this partner posted this signature before (an operation has it)."""
        matches = self.services.store.outbox.matching_operations(
            actor=self.actor, attempt_key=attempt_key_of(signature)
        )
        op = matches.by_attempt_key
        return op is not None and op.actor == self.actor

    def _now(self, *, fresh: bool) -> int:
        """The later of the wall clock and the chain's: the contract checks deadlines against
        block time, which a dev chain's clock (the sandbox's time travel) may have moved ahead.
        Custodial writes (`fresh=False`, the hot path, with a 30-day deadline to spare) ask the
        chain at most once a second; a prepared signature (an hour) asks every time."""
        now = time.time()
        access = self.services.chain
        if access is None or not access.chain.is_dev:
            return int(now)
        lead, asked = _CHAIN_LEAD.get(id(access.chain), (0, 0.0))
        if fresh or now - asked > 1.0:
            # A node outage must not refuse the write: the last known lead will do then.
            with contextlib.suppress(ChainError), translating():
                block_time = int(access.chain.w3.eth.get_block("latest")["timestamp"])
                lead = max(0, block_time - int(now))
            _CHAIN_LEAD[id(access.chain)] = (lead, now)
        return int(now) + lead

    def _require_mode(self, mode: str) -> None:
        configured = self.services.settings.signing_mode
        if configured not in ("both", mode):
            raise UnprocessableError(
                f"this service does not offer {mode} signing", code="signing_mode_disabled"
            )

    # ---------------------------------------------------------------------------- accepting

    def accept(
        self,
        kind: str,
        call: ChainCall,
        body: BaseModel | None,
        *,
        project_id: int | None,
        dedupe_key: str | None = None,
        meta: Mapping[str, Any] | None = None,
        attempt_key: str | None = None,
        keep: Callable[[], object] | None = None,
    ) -> JSONResponse:
        """Store the operation (or find the one it repeats), poke the worker, answer 202/200.

        What counts as a repeat is `_repeat_of`'s to say. `keep` (see `SignedAction`) runs
        only for a new operation that passed the dry run, just before it is stored.
        """
        store = self.services.store
        worker = self.services.require_worker()
        request_hash = hashlib.sha256(
            f"{kind}\n{project_id}\n{body.model_dump_json() if body else ''}".encode()
        ).hexdigest()
        nonce_key = nonce_key_of(call.contract, call.signer, call.nonce)

        def matches() -> OperationMatches:
            return store.outbox.matching_operations(
                actor=self.actor,
                idempotency_key=self.idempotency_key,
                dedupe_key=dedupe_key,
                attempt_key=attempt_key,
                nonce_key=nonce_key,
            )

        repeated = self._repeat_of(matches(), call, request_hash, body)
        if repeated is not None:
            return self._respond(repeated, created=False)
        already = self._preflight(call, project_id, body)
        if keep is not None:
            keep()
        now = time.time()
        op = OperationRecord(
            id=uuid.uuid4().hex,
            kind=kind,
            actor=self.actor,
            project_id=project_id,
            api_key_id=self.principal.key_id,
            idempotency_key=self.idempotency_key,
            request_hash=request_hash,
            dedupe_key=dedupe_key,
            payload_json=call.to_json(),
            meta_json=json.dumps(meta) if meta is not None else None,
            status=OpStatus.CONFIRMED if already else OpStatus.ACCEPTED,
            tx_hash=None,
            block_number=None,
            block_hash=None,
            result_json=json.dumps(already) if already else None,
            error_code=None,
            error_message=None,
            attempts=0,
            created_at=now,
            updated_at=now,
            sent_at=None,
            mined_at=None,
            attempt_key=attempt_key,
            nonce_key=nonce_key,
        )
        stored = store.outbox.add_operation(op)
        if stored.id != op.id:
            # An identical or conflicting request was stored first: judge against it.
            repeated = self._repeat_of(matches(), call, request_hash, body)
            return self._respond(repeated or stored, created=False)
        worker.poke()
        return self._respond(stored, created=True)

    def _repeat_of(
        self,
        matches: OperationMatches,
        call: ChainCall,
        request_hash: str,
        body: BaseModel | None,
    ) -> OperationRecord | None:
        """The stored operation this request repeats, None for a new attempt; 409 when it
        contradicts one.

        - The same Idempotency-Key (of this partner) with the same body is that operation,
          whatever became of it; with another body, 409 `idempotency_key_reused`.
        - The same partner signature is the same request: that operation, whatever became of
          it (a signature is single-use on chain, so it is never sent twice).
        - Otherwise the same on-chain action (the same partner's endorsement of a contribution,
          registration of a commitment, ...) repeats the operation that holds it while that
          one is pending or confirmed, if every field is the same; a field that differs is
          409 `conflict` naming it (a registered commitment's value cannot change by being
          posted again). A failed operation holds no action: a new signature, or a custodial
          request without Idempotency-Key, is then a new attempt.
        - A different action signed with the nonce of a pending operation is 409 `nonce_taken`
          (of a confirmed one, 422 `nonce_used`): the contract takes a nonce once, so at most
          one of the two could land, and the other's "nonce used" revert would be taken for an
          earlier landing of itself.
        """
        op = matches.by_idempotency_key
        if op is not None:
            if op.request_hash != request_hash:
                raise ConflictError(
                    "this Idempotency-Key was used for a different request",
                    code="idempotency_key_reused",
                )
            return op
        if matches.by_attempt_key is not None:
            return matches.by_attempt_key
        op = matches.by_dedupe_key
        if op is not None and op.status == OpStatus.FAILED:
            # Written by a worker of an older release, which kept the action of failed ones.
            self.services.store.outbox.release_action(op.id)
        elif op is not None:
            differing = ChainCall.from_json(op.payload_json).differing_arguments(call)
            if differing:
                where = "done" if op.status == OpStatus.CONFIRMED else "under way"
                raise _conflict(
                    f"the same {op.kind} is already {where} (operation {op.id})", differing, body
                )
            return op
        taken = matches.by_nonce_key
        if taken is not None and taken.status == OpStatus.CONFIRMED:
            raise UnprocessableError(
                f"nonce {call.nonce} of {call.signer} was used on chain by operation {taken.id} "
                f"({taken.kind}): sign this action with a fresh nonce (POST the route's "
                "/prepare again)",
                code="nonce_used",
            )
        if taken is not None and taken.status == OpStatus.FAILED:
            # Failed, yet holding its nonce: left so by a worker of an older release.
            self.services.store.outbox.release_action(taken.id)
        elif taken is not None:
            raise ConflictError(
                f"nonce {call.nonce} of {call.signer} is already taken by operation {taken.id} "
                f"({taken.kind}, {taken.status}), a different action: a contract accepts a "
                "nonce once. Sign this action with a fresh nonce (POST the route's /prepare "
                "again)",
                code="nonce_taken",
            )
        return None

    def _respond(self, op: OperationRecord, *, created: bool) -> JSONResponse:
        if self.wait is not None and not OpStatus(op.status).final:
            op = self.services.require_worker().wait(op.id, self.wait) or op
        final = OpStatus(op.status).final
        body = OperationPublic.of(op)
        status = 200 if final or not created else 202
        return JSONResponse(
            body.model_dump(mode="json"),
            status_code=status,
            headers={"Location": body.status_url},
        )

    def _preflight(
        self, call: ChainCall, project_id: int | None, body: BaseModel | None
    ) -> dict[str, Any] | None:
        """Dry-run the call; raise its revert as a 4xx. Returns a result if already done."""
        if not self.services.settings.preflight:
            return None
        if self.services.store.outbox.has_pending_operation(self.actor, project_id):
            return None  # it may depend on those: let the outbox decide
        check = self.services.check
        if check is not None and not check.passed:
            return None  # a node not yet checked may be another chain: its answer means nothing
        access = self.services.require_chain()
        sender = access.relayer.address if call.sender == RELAYER else call.sender
        params: TxParams = {
            "from": sender,
            "to": access.deployment.address(call.contract),
            "data": HexBytes(call.calldata()),
            "value": Wei(call.value),
            "gas": call.gas,
        }
        try:
            with decoding_reverts():
                access.chain.w3.eth.call(params)
        except PocContributionExists as exc:
            self._check_registered_as(call, exc, body)
            done: dict[str, Any] = {
                "already_done": True,
                "reason": exc.code,
                "resource_id": to_hex(exc.contribution_id),
                "events": [],
            }
            # "Already registered on <date>": the first registration's time, once indexed
            # (the same commitment is the same contributor: the caller's own contribution).
            earlier = self.services.store.index.contribution(to_hex(exc.contribution_id))
            if earlier is not None:
                done["registered_at"] = earlier.registered_at
            return done
        except DecodedRevertError:
            raise
        except ChainError:
            return None  # node down: accept now, the outbox sends when it is back
        return None

    def _check_registered_as(
        self, call: ChainCall, exc: PocContributionExists, body: BaseModel | None
    ) -> None:
        """409 `conflict` when a registration the chain already has (made without this
        service, or before its outbox) differs from `call` in a field the index shows."""
        if call.function != "registerBySig":
            return  # a batch leaf's fields are fixed by the batch's Merkle root
        contribution_id = to_hex(exc.contribution_id)
        record = self.services.store.index.contribution(contribution_id)
        if record is None:
            return  # not indexed yet: nothing to compare with
        registered = Registration(
            project_id=record.project_id,
            commitment=bytes.fromhex(record.commitment[2:]),
            origin=Origin(record.origin),
            category=record.category,
            value=record.value,
            parents=tuple(bytes.fromhex(p[2:]) for p in record.parents),
            supersedes=bytes.fromhex(record.supersedes[2:]),
            uri=record.uri,
            card_hash=bytes.fromhex(record.card_hash[2:]),
        )
        on_chain = dataclasses.replace(call, args=(registered.as_abi(), *call.args[1:]))
        differing = on_chain.differing_arguments(call)
        if differing:
            raise _conflict(f"contribution {contribution_id} is registered", differing, body)


def attempt_key_of(signature: bytes) -> str:
    """The attempt key of a request carrying a partner's signature (`OperationRecord`)."""
    return "sig:" + hashlib.sha256(signature).hexdigest()


def _conflict(what: str, fields: tuple[str, ...], body: BaseModel | None) -> ConflictError:
    """409 `conflict`: `what` holds the same action with other values of `fields`."""
    known = type(body).model_fields if body is not None else {}
    return ConflictError(
        f"{what} with another {', '.join(fields)}: an action on chain cannot be changed by "
        "posting it again with other values",
        code="conflict",
        details=[
            ErrorDetail(location=f"body.{name}" if name in known else name, message=what)
            for name in fields
        ],
    )


async def _writes(
    services: ServicesDep,
    principal: WriterDep,
    wait: WaitDep,
    idempotency_key: IdempotencyKey = None,
) -> Writes:
    # `Depends(Writes)` would build it in the thread pool (FastAPI runs classes like plain
    # functions there): a thread hop per write for a constructor that does not block.
    return Writes(services, principal, wait, idempotency_key)


WritesDep = Annotated[Writes, Depends(_writes)]


def relayer_call(contract: str, function: str, args: tuple[Any, ...], gas: int) -> ChainCall:
    """A call the relayer makes without a partner signature (e.g. revealing a batch leaf)."""
    return ChainCall(contract=contract, function=function, args=args, gas=gas)


def signed_call(
    contract: str, function: str, args: tuple[Any, ...], auth: SignedAuth, gas: int
) -> ChainCall:
    """A `...BySig` call relayed with `auth` appended as its last argument."""
    return ChainCall(
        contract=contract,
        function=function,
        args=(*args, auth.as_tuple()),
        gas=gas,
        signer=auth.signer,
        nonce=auth.nonce,
    )

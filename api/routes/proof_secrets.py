"""A partner's proof secret kept by the service: custodial partners who opt in.

Every salt a partner registers with is derived from its proof secret (docs/design.md). A
partner whose signing key the service holds (custodial) may also let the service keep that
secret, so that any browser it signs in from derives its salts without the recovery sheet at
hand; the pages say plainly what that costs: whoever runs the service can then read the
secret and confirm a guess about the partner's documents. Non-custodial partners keep it
themselves (the service refuses to).

Only the partner's own keys (partner or coordinator role) reach its secret: another partner's
key gets 403 `wrong_actor` before anything is looked up, auditor and admin keys 403
`forbidden_role`; so the answers say nothing about whether another partner opted in. The
secret is sealed at rest (`ledger.openings.custody.SecretCustody`) and answered with
`Cache-Control: no-store`.
"""

from __future__ import annotations

from typing import Annotated

from eth_typing import ChecksumAddress
from fastapi import APIRouter, Path, Response

from api.deps import ReaderDep, ServicesDep
from api.errors import (
    ERROR_RESPONSES,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)
from api.schemas.proof_secrets import ProofSecretIn, ProofSecretKept, ProofSecretPublic
from api.services.custody import proof_secret_owner
from ledger.domain.codec import from_hex
from ledger.errors import OpeningConflictError, OpeningError
from ledger.openings.custody import SecretCustody
from ledger.openings.secret import ProofSecret

router = APIRouter(tags=["proof secrets"], responses=ERROR_RESPONSES)

AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="Partner address.")]
NO_STORE = "no-store"


def _unreadable(partner: ChecksumAddress, exc: OpeningError) -> UnavailableError:
    # A kept file that the service's own password does not open: the service's fault.
    return UnavailableError(
        f"the service cannot open the proof secret it keeps for {partner}: {exc}",
        code="service_misconfigured",
    )


def _held(keeper: SecretCustody, partner: ChecksumAddress) -> ProofSecret | None:
    try:
        return keeper.get(partner)
    except OpeningError as exc:
        raise _unreadable(partner, exc) from exc


@router.get(
    "/partners/{address}/proof-secret",
    response_model=ProofSecretPublic,
    summary="Get the proof secret the service keeps",
)
def get_proof_secret(
    services: ServicesDep, principal: ReaderDep, address: AddressPath, response: Response
) -> ProofSecretPublic:
    """The proof secret the service keeps for the key's own partner (404
    `proof_secret_not_found` when the partner keeps it itself). Answered `no-store`."""
    partner = proof_secret_owner(principal, address)
    response.headers["Cache-Control"] = NO_STORE
    secret = _held(services.proof_secrets, partner)
    if secret is None:
        raise NotFoundError(
            f"the service keeps no proof secret of {partner}", code="proof_secret_not_found"
        )
    return ProofSecretPublic(
        address=partner,
        secret_id=secret.secret_id,
        kept_by_service=True,
        secret="0x" + secret.value.hex(),
    )


@router.put(
    "/partners/{address}/proof-secret",
    response_model=ProofSecretKept,
    summary="Let the service keep the proof secret (custodial partners)",
    responses={201: {"model": ProofSecretKept, "description": "Kept from now on."}},
)
def put_proof_secret(
    services: ServicesDep,
    principal: ReaderDep,
    address: AddressPath,
    body: ProofSecretIn,
    response: Response,
) -> ProofSecretKept:
    """Opt in: the service keeps the partner's proof secret, sealed, from now on (201; 200 if
    it kept this one already). Only for custodial partners (403 `not_custodial`); a different
    secret kept already is 409 `proof_secret_conflict` (the partner removes it first)."""
    partner = proof_secret_owner(principal, address)
    if services.custody is None or not services.custody.holds(partner):
        raise PermissionDeniedError(
            f"the service holds no signing key of {partner}: a partner that signs for itself "
            "keeps its proof secret itself, with its recovery sheet",
            code="not_custodial",
        )
    secret = ProofSecret(from_hex(body.secret, size=32))
    try:
        created = services.proof_secrets.put(partner, secret)
    except OpeningConflictError as exc:
        raise ConflictError(str(exc), code="proof_secret_conflict") from exc
    except OpeningError as exc:
        raise _unreadable(partner, exc) from exc
    response.status_code = 201 if created else 200
    return ProofSecretKept(address=partner, secret_id=secret.secret_id, kept_by_service=True)


@router.delete(
    "/partners/{address}/proof-secret",
    status_code=204,
    summary="Stop letting the service keep the proof secret",
)
def delete_proof_secret(
    services: ServicesDep, principal: ReaderDep, address: AddressPath
) -> Response:
    """Opt out: the service forgets the partner's proof secret (its sealed file is removed).
    The partner keeps it itself from then on: with its recovery sheet, or sealed in its
    browser. 404 `proof_secret_not_found` when none was kept."""
    partner = proof_secret_owner(principal, address)
    if not services.proof_secrets.delete(partner):
        raise NotFoundError(
            f"the service keeps no proof secret of {partner}", code="proof_secret_not_found"
        )
    return Response(status_code=204)

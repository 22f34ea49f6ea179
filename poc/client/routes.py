"""Every URL path the client uses, in one table: the API's paths change in one place.

A path names its parameters in Python's format syntax (`{project_id}`); `path(name, **params)`
fills them in (quoted). A write route's non-custodial twin is the same path with `/prepare`
appended (`prepare_path`), the API's convention for every signed action.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

ROUTES: Final[dict[str, str]] = {
    "me": "/v1/me",
    "chain": "/v1/chain",
    "operations": "/v1/operations",
    "operation": "/v1/operations/{operation_id}",
    # Listing a project's contributions (GET) and registering one (POST): the same path.
    "contributions": "/v1/projects/{project_id}/contributions",
    "register": "/v1/projects/{project_id}/contributions",
    "contribution": "/v1/contributions/{contribution_id}",
    "batches": "/v1/projects/{project_id}/batches",
    "reveal": "/v1/batches/{batch_id}/reveal",
    "endorsements": "/v1/contributions/{contribution_id}/endorsements",
    "disputes": "/v1/contributions/{contribution_id}/disputes",
    "votes": "/v1/contributions/{contribution_id}/disputes/{number}/votes",
    "bundle": "/v1/exports/contributions/{contribution_id}/bundle",
    "certificate": "/v1/exports/contributions/{contribution_id}/certificate",
    "balances": "/v1/projects/{project_id}/balances",
    "payouts": "/v1/projects/{project_id}/payouts",
    # Knowledge exchange (docs/exchange.md).
    "encryption_keys": "/v1/partners/{partner}/encryption-keys",
    "disclosures": "/v1/projects/{project_id}/disclosures",
    "disclosure": "/v1/disclosures/{disclosure_id}",
    "acknowledge": "/v1/disclosures/{disclosure_id}/acknowledge",
    "decline": "/v1/disclosures/{disclosure_id}/decline",
    "access_requests": "/v1/contributions/{contribution_id}/access-requests",
    "access_request": "/v1/access-requests/{request_id}",
    "grant": "/v1/access-requests/{request_id}/grant",
    "refuse": "/v1/access-requests/{request_id}/refuse",
    "withdraw_request": "/v1/access-requests/{request_id}/withdraw",
}

# Query parameter names, by what they mean; None: not a query parameter (in the path instead).
QUERY: Final[dict[str, str | None]] = {
    "project_id": None,
    "contributor": "contributor",
    "status": "status",
    "cursor": "cursor",
    "limit": "limit",
    "token": "token",
}

PREPARE_SUFFIX: Final = "/prepare"


def query(**params: object) -> dict[str, object]:
    """Query parameters by the API's names (`QUERY`), those without a value left out."""
    named = ((QUERY[k], v) for k, v in params.items() if v is not None)
    return {name: value for name, value in named if name is not None}


def path(name: str, **params: object) -> str:
    """The path of route `name` with its parameters filled in."""
    return ROUTES[name].format(**{k: quote(str(v), safe="") for k, v in params.items()})


def prepare_path(name: str, **params: object) -> str:
    """The `/prepare` twin of write route `name` (non-custodial signing)."""
    return path(name, **params) + PREPARE_SUFFIX

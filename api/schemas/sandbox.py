"""The sandbox's helpers for the web pages: their bodies, and what the sandbox hands the app it
serves (`SandboxState`, as `app.state.sandbox`). The composition root (`poc.sandbox`) builds the
state; the routes (`api.routes.sandbox_ui`) read it; neither imports the other."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas.base import ApiModel
from api.schemas.common import SafeInt


@dataclass(frozen=True)
class DemoPerson:
    """Someone of the demo the sandbox issued an API key to at this start."""

    label: str
    name: str
    role: str
    address: str | None
    kind: str | None
    company_number: str | None
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class DemoContribution:
    """A seeded contribution with its opening and the file name of its document."""

    key: str
    partner: str
    contributor: str
    contribution_id: str
    content_hash: str
    salt: str
    document: str


@dataclass(frozen=True)
class SandboxState:
    """What `poc sandbox` hands the app it serves, as `app.state.sandbox` (an app the sandbox
    does not serve has none): the demo consortium of this start with the API keys it issued,
    the file names of the demo documents in the data directory's `documents/`, the reset hook
    (the sandbox stops, wipes its data directory and starts clean on the same port), and this
    start's page token.

    `page_token` is a secret of this start, put in every page the app serves; the sandbox
    helpers that hand out keys or change state answer only requests that send it back
    (`X-Sandbox-Token`). Another site's page cannot read our pages, so it cannot send it.
    """

    project_id: SafeInt
    project_title: str
    chain_id: SafeInt
    ledger: str
    people: tuple[DemoPerson, ...] = field(repr=False)
    contributions: tuple[DemoContribution, ...]
    documents: frozenset[str]
    request_reset: Callable[[], None] = field(repr=False)
    page_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)


class DemoKey(ApiModel):
    """Someone the pages can act as, with the API key issued at this start."""

    label: str
    name: str
    role: Literal["coordinator", "partner", "auditor"]
    address: str | None
    kind: str | None
    company_number: str | None
    api_key: str


class DemoContributionPublic(ApiModel):
    """A seeded contribution with its opening (the demo partners' salts are no secret); its
    title is on its card, read from the contribution like anyone's."""

    key: str
    partner: str
    contributor: str
    contribution_id: str
    content_hash: str
    salt: str
    document: str


class DemoPublic(ApiModel):
    """The demo consortium of this sandbox start."""

    project_id: SafeInt
    project_title: str
    chain_id: SafeInt
    ledger: str
    dev_chain: bool
    instance: str = Field(description="Changes with every start: the pages notice a reset.")
    people: list[DemoKey]
    contributions: list[DemoContributionPublic]


class ClockForward(ApiModel):
    """How far to move the dev chain's clock."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"days": 31}]})

    days: SafeInt = Field(ge=1, le=365)


class ClockPublic(ApiModel):
    """The chain's time after moving it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"timestamp": 1769904000}]})

    timestamp: SafeInt


class ResetRequest(ApiModel):
    """The page's confirmation; a JSON body also keeps plain cross-site forms out."""

    confirm: Literal[True]

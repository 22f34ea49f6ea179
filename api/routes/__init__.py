"""One router per resource, and `include_routers`: the one place that mounts them all.

Health and readiness at the root, every resource under `/v1` (`API_PREFIX`), the web pages with
their static files, and, in an app the sandbox serves only, the sandbox helpers. A route module
never mounts another, nor imports one.
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.settings import ApiSettings

API_PREFIX: Final = "/v1"


def include_routers(app: FastAPI, settings: ApiSettings) -> None:
    """Mount every router of the API on `app` (sandbox helpers only if `settings.sandbox`)."""
    from api.routes import (
        access_rights,
        agreements,
        auditors,
        batches,
        chain,
        contributions,
        disputes,
        endorsements,
        exchange,
        exports,
        health,
        operations,
        partners,
        payouts,
        projects,
        proof_secrets,
        proposals,
        sandbox_ui,
        splits,
        verify,
        web,
    )

    app.include_router(health.router)
    for resource in (
        chain,
        projects,
        agreements,
        auditors,
        proposals,
        contributions,
        endorsements,
        disputes,
        batches,
        splits,
        payouts,
        partners,
        proof_secrets,
        operations,
        exports,
        exchange,
        access_rights,
    ):
        app.include_router(resource.router, prefix=API_PREFIX)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    app.include_router(web.router)
    app.include_router(verify.router, prefix=API_PREFIX)
    if settings.sandbox:
        app.include_router(sandbox_ui.router)

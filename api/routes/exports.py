"""Proof exports (per contribution, partner, project; Results Ownership List).

Owned by the evidence work (ledger/proofs.py): it adds its routes to this router. Mounted under
/v1 by `api.app.create_app`; use `ExporterDep` from `api.deps` (auditors may export).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/exports", tags=["exports"], responses=ERROR_RESPONSES)

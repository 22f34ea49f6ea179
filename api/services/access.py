"""Who may read which project: a consortium's records are for its partners and the auditors it
grants. Every route that reads project content asks here; nothing else decides it.

| key                    | reads a project when                                         |
| ---------------------- | ------------------------------------------------------------ |
| partner or coordinator | its partner is, or was, a partner of the project (a removed  |
|                        | partner keeps reading the record it is part of)              |
| auditor                | the project's coordinator granted this key, and has not      |
|                        | revoked it (`/v1/projects/{id}/auditors`)                    |
| admin                  | as an auditor: managing keys and partners gives no read      |
|                        | access to project content                                    |

- A project the caller may not read is answered exactly like a project that does not exist:
  404 `project_not_found` with the same message. A contribution of such a project is
  404 `contribution_not_found`. So neither project ids nor contribution ids leak.
- Lists (`/v1/projects`, `/v1/contributions`) silently hold only what the caller may read.
- Operations (`/v1/operations/{id}`) are the partners' own requests: the actor's partner and the
  partners of the operation's project read them; auditors and admins do not.
- Public chain facts (`/v1/chain`, `/health`, `/ready`) and verifying a bundle the caller already
  holds (`/v1/proofs/verify`) are not project content.

Grants are kept in the outbox's database (`ledger.store.keys.AuditorGrantRow`), not the index:
the chain cannot give them back. A rotated key keeps its grants (`api.auth.rotate_api_key`); a
revoked key has none that count. Membership comes from the index, so a project (or a
contribution) the index has not seen yet is not readable by anyone until it has.
"""

from __future__ import annotations

from api.auth import Principal, Role
from api.deps import Services
from api.errors import NotFoundError, PermissionDeniedError, UnprocessableError
from ledger.domain.values import checksum
from ledger.store import Store
from ledger.store.keys import AuditorGrantRecord
from ledger.store.records import ContributionRecord, ProjectRecord

# Keys that read a project only by grant.
GRANTABLE_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})


def can_read(store: Store, principal: Principal, project_id: int) -> bool:
    """Whether `principal` may read project `project_id` (the table of this module)."""
    if principal.role.acts_for_partner:
        return principal.partner is not None and store.index.is_member(
            project_id, checksum(principal.partner)
        )
    return store.keys.has_auditor_grant(project_id, principal.key_id)


def readable_projects(store: Store, principal: Principal) -> frozenset[int]:
    """Every project `principal` may read (for lists; a single read asks `can_read`)."""
    if principal.role.acts_for_partner:
        if principal.partner is None:
            return frozenset()
        return store.index.member_projects(checksum(principal.partner))
    return store.keys.granted_projects(principal.key_id)


def _no_project(project_id: int) -> NotFoundError:
    return NotFoundError(f"no project {project_id}", code="project_not_found")


def _no_contribution(contribution_id: str) -> NotFoundError:
    return NotFoundError(f"no contribution {contribution_id}", code="contribution_not_found")


def readable_project(services: Services, principal: Principal, project_id: int) -> ProjectRecord:
    """The project, or 404 `project_not_found` when it does not exist or the caller may not
    read it (one answer for both)."""
    if not can_read(services.store, principal, project_id):
        raise _no_project(project_id)
    record = services.store.index.project(project_id)
    if record is None:
        raise _no_project(project_id)
    return record


def require_readable_project(services: Services, principal: Principal, project_id: int) -> None:
    """404 `project_not_found` unless the caller may read the project (which exists)."""
    readable_project(services, principal, project_id)


def readable_contribution(
    services: Services, principal: Principal, contribution_id: str
) -> ContributionRecord:
    """The indexed contribution, or 404 `contribution_not_found` when there is none or the
    caller may not read its project (one answer for both)."""
    record = services.store.index.contribution(contribution_id)
    if record is None or not can_read(services.store, principal, record.project_id):
        raise _no_contribution(contribution_id)
    return record


def can_read_partner(store: Store, principal: Principal, address: str) -> bool:
    """Whether `principal` may see partner `address` at all: itself, the admin (who manages
    partners), or anyone who reads a project `address` is or was a partner of."""
    wanted = checksum(address)
    if principal.role is Role.ADMIN:
        return True
    if principal.partner is not None and checksum(principal.partner) == wanted:
        return True
    return bool(store.index.member_projects(wanted) & readable_projects(store, principal))


# ------------------------------------------------------------------------------ grants


def require_project_coordinator(
    services: Services, principal: Principal, project_id: int
) -> ProjectRecord:
    """The project, if `principal` acts for its coordinator on chain (any partner key of that
    partner), still a partner. A caller that may not read the project gets 404 as for any
    read; a key that acts for nobody (auditor, admin) 403 `forbidden_role`; another partner's
    key 403 `not_coordinator`."""
    project = readable_project(services, principal, project_id)
    if not principal.role.acts_for_partner or principal.partner is None:
        raise PermissionDeniedError("only the project's coordinator grants auditors")
    actor = checksum(principal.partner)
    active = {p.address for p in project.partners if p.active}
    if project.coordinator != actor or actor not in active:
        raise not_coordinator(project_id, project.coordinator, actor)
    return project


def not_coordinator(project_id: int, coordinator: str, actor: str) -> PermissionDeniedError:
    """403 `not_coordinator`: a coordinator-only action by a key of another partner."""
    return PermissionDeniedError(
        f"only the coordinator of project {project_id} ({coordinator}) may do this; this API "
        f"key acts for {actor}",
        code="not_coordinator",
    )


def grant_auditor(
    store: Store,
    project_id: int,
    key_id: str,
    *,
    granted_by: str,
    granted_by_key: str | None,
) -> tuple[AuditorGrantRecord, bool]:
    """Let key `key_id` (an active auditor or admin key) read the project; return the grant
    and whether it is new. The caller has checked that `granted_by` coordinates the project:
    the grant route (`require_project_coordinator`), or the sandbox for its demo lawyer."""
    grantee = store.keys.api_key(key_id)
    if (
        grantee is None
        or grantee.revoked_at is not None
        or Role(grantee.role) not in GRANTABLE_ROLES
    ):
        # One answer for unknown, revoked and partner keys: the route is no key-id oracle.
        raise UnprocessableError(
            f"key {key_id} is not an active auditor or admin key", code="invalid_grantee"
        )
    return store.keys.add_auditor_grant(
        project_id, key_id, granted_by=checksum(granted_by), granted_by_key=granted_by_key
    )

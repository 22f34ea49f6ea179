"""Who may manage which API keys: the one place that decides, `may(caller, action, target)`.

Every key route asks `authorize` (which asks `may`) before it touches a key; nothing else in
the API decides this. The target is described by its owner: the partner the key acts for, or
nobody (auditor and admin keys), its role, and, for an existing key, its id.

| caller key  | list                | issue                    | rotate         | revoke         |
| ----------- | ------------------- | ------------------------ | -------------- | -------------- |
| admin       | any key             | any key                  | any key        | any key        |
| coordinator | own partner's keys  | own partner's, up to     | own partner's  | own partner's  |
|             |                     | `coordinator`            | keys           | keys           |
| partner     | own partner's keys  | own partner's, `partner` | own partner's  | own partner's  |
|             |                     | only                     | `partner` keys | `partner` keys |
| auditor     | none                | none                     | its own key    | none           |

- **No escalation inside a partner**: a key never issues, rotates or revokes a key of a higher
  role than its own (partner < coordinator). Rotation gives the caller the new key's secret, so
  rotating a higher key would hand it that role.
- **Issue** means a new key for an owner: `POST /v1/partners/{address}/keys` (a partner's key)
  or `POST /v1/keys` (an auditor or admin key, acting for nobody). Onboarding
  (`POST /v1/partners`) stays the admin's.
- **Refusals**: listing or issuing for another partner is 403 `wrong_actor`; for keys that act
  for nobody, or by a role that may not, 403 `forbidden_role`. Rotating or revoking a key the
  caller may not manage is 404 `key_not_found`, the same answer as for a key id that does not
  exist, so key ids cannot be probed. Only a key the caller already knows of can get a 403
  there: an auditor revoking itself, a partner key and its own partner's coordinator key.

The admin is trusted with keys (it onboards partners and could issue any of their keys anyway);
it is not trusted with project content, which `api.services.access` keeps from it unless it is
granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from api.auth import Principal, Role
from api.errors import NotFoundError, PermissionDeniedError, WrongActorError
from ledger.domain.values import checksum
from ledger.store.keys import ApiKeyRecord


class KeyAction(StrEnum):
    """What a caller wants to do with keys."""

    LIST = "list"
    ISSUE = "issue"
    ROTATE = "rotate"
    REVOKE = "revoke"


class Verdict(Enum):
    """The answer of `may`; each refusal maps to one error (`authorize`)."""

    ALLOWED = "allowed"
    FORBIDDEN_ROLE = "forbidden_role"
    WRONG_ACTOR = "wrong_actor"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class KeyTarget:
    """The key (or the owner, for list and issue) a caller wants to act on.

    `partner` is the address the key acts for (None: auditor and admin keys); `role` is the key's
    role (None for a listing by owner); `key_id` names an existing key (rotate, revoke).
    """

    partner: str | None
    role: Role | None = None
    key_id: str | None = None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> KeyTarget:
        """The target that an existing key is."""
        return cls(partner=record.partner, role=Role(record.role), key_id=record.key_id)


# Inside one partner, a key manages keys up to its own rank.
_RANK: dict[Role, int] = {Role.PARTNER: 1, Role.COORDINATOR: 2}


def may(caller: Principal, action: KeyAction, target: KeyTarget) -> Verdict:
    """Whether `caller` may do `action` on `target` (the table of this module's docstring)."""
    if caller.role is Role.ADMIN:
        return Verdict.ALLOWED
    names_a_key = action in (KeyAction.ROTATE, KeyAction.REVOKE)
    if caller.role is Role.AUDITOR:
        own_key = target.key_id is not None and target.key_id == caller.key_id
        if own_key and action is KeyAction.ROTATE:
            return Verdict.ALLOWED
        if names_a_key and not own_key:
            return Verdict.HIDDEN
        return Verdict.FORBIDDEN_ROLE
    same_partner = (
        caller.partner is not None
        and target.partner is not None
        and checksum(caller.partner) == checksum(target.partner)
    )
    if not same_partner:
        if names_a_key:
            return Verdict.HIDDEN
        return Verdict.FORBIDDEN_ROLE if target.partner is None else Verdict.WRONG_ACTOR
    if action is KeyAction.LIST or target.role is None:
        return Verdict.ALLOWED
    if _RANK.get(target.role, 99) > _RANK.get(caller.role, 0):
        return Verdict.FORBIDDEN_ROLE
    return Verdict.ALLOWED


def authorize(caller: Principal, action: KeyAction, target: KeyTarget) -> None:
    """Raise the API error of `may`'s refusal; return if allowed."""
    verdict = may(caller, action, target)
    if verdict is Verdict.ALLOWED:
        return
    if verdict is Verdict.HIDDEN:
        raise NotFoundError(f"no key {target.key_id}", code="key_not_found")
    if verdict is Verdict.WRONG_ACTOR:
        assert target.partner is not None
        raise WrongActorError(f"this API key does not act for {checksum(target.partner)}")
    role = "" if target.role is None else f" {target.role.value}"
    raise PermissionDeniedError(f"a {caller.role.value} key may not {action.value}{role} keys")

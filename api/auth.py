"""API keys and roles: issue, verify, rotate, revoke; the cache of checked keys.

A key looks like `poc_<key id>_<secret>`: the id (public, 12 hex digits) finds the stored row,
the whole key's SHA-256 is compared in constant time with the stored hash. The secret has 256
bits of entropy, so a plain SHA-256 is enough (no password-stretching needed) and the plaintext
exists only in the response that issued it.

Roles:
- `partner`: a member partner acting for its own address;
- `coordinator`: a partner key that may also do coordinator-only actions (create projects,
  manage membership before the agreement is in force);
- `auditor`: read and export only (a lawyer, IP counsel), of the projects whose coordinator
  granted it (`api.services.access`);
- `admin`: administration (onboarding partners, issuing keys); acts for nobody and reads no
  project content unless granted like an auditor.

Who may manage which keys is `api.services.key_authority`'s; who may read which project
`api.services.access`'s.

`issue_api_key` is what the sandbox calls to give the demo partners their keys.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from ledger.store import Store
from ledger.store.keys import ApiKeyRecord

_KEY_RE = re.compile(r"^poc_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")


class Role(StrEnum):
    """What an API key may do."""

    PARTNER = "partner"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def acts_for_partner(self) -> bool:
        """Whether keys of this role act for a partner address (and may write)."""
        return self in (Role.PARTNER, Role.COORDINATOR)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    key_id: str
    role: Role
    partner: str | None
    label: str


@dataclass(frozen=True)
class IssuedKey:
    """A freshly issued key: `plaintext` is shown once and never stored."""

    plaintext: str
    record: ApiKeyRecord


def hash_key(plaintext: str) -> str:
    """The stored form of a key: SHA-256, hex."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def new_api_key(
    store: Store, partner: str | None, role: Role | str, label: str, *, replaces: str | None = None
) -> IssuedKey:
    """Create and store a key; `partner` is required for partner and coordinator keys."""
    role = Role(role)
    if role.acts_for_partner and partner is None:
        raise ValueError(f"a {role.value} key needs a partner address")
    key_id = secrets.token_hex(6)
    plaintext = f"poc_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKeyRecord(
        key_id=key_id,
        key_hash=hash_key(plaintext),
        partner=partner,
        role=role.value,
        label=label,
        created_at=time.time(),
        revoked_at=None,
        replaced_by=None,
    )
    store.keys.add_api_key(record)
    if replaces is not None:
        store.keys.revoke_api_key(replaces, replaced_by=key_id)
    return IssuedKey(plaintext, record)


def issue_api_key(store: Store, partner: str | None, role: Role | str, label: str) -> str:
    """Issue a key for `partner` with `role`; return the plaintext (shown once, stored hashed)."""
    return new_api_key(store, partner, role, label).plaintext


def rotate_api_key(store: Store, key_id: str, label: str | None = None) -> IssuedKey:
    """Issue a replacement of key `key_id` (same partner and role, same project grants) and
    revoke the old one."""
    old = store.keys.api_key(key_id)
    if old is None or old.revoked_at is not None:
        raise KeyError(key_id)
    issued = new_api_key(store, old.partner, old.role, label or old.label)
    # An auditor's access goes with its key: carried before the old key stops working.
    store.keys.carry_auditor_grants(key_id, issued.record.key_id)
    store.keys.revoke_api_key(key_id, replaced_by=issued.record.key_id)
    return issued


class KeyFailure(StrEnum):
    """Why a presented key does not authenticate its request."""

    MISSING = "missing"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    WRONG_SECRET = "wrong_secret"
    REVOKED = "revoked"


@dataclass(frozen=True)
class KeyCheck:
    """The answer about one presented key: the active record, or why there is none."""

    record: ApiKeyRecord | None
    failure: KeyFailure | None = None


def check_api_key(store: Store, plaintext: str) -> KeyCheck:
    """Look `plaintext` up: the active record it belongs to, or the reason it fails."""
    plaintext = plaintext.strip()
    match = _KEY_RE.fullmatch(plaintext)
    if match is None:
        return KeyCheck(None, KeyFailure.MALFORMED)
    record = store.keys.api_key(match.group(1))
    if record is None:
        # Hash anyway so that an unknown id costs the same as a wrong secret.
        hmac.compare_digest(hash_key(plaintext), "0" * 64)
        return KeyCheck(None, KeyFailure.UNKNOWN)
    if not hmac.compare_digest(hash_key(plaintext), record.key_hash):
        return KeyCheck(None, KeyFailure.WRONG_SECRET)
    if record.revoked_at is not None:
        return KeyCheck(None, KeyFailure.REVOKED)
    return KeyCheck(record)


def verify_api_key(store: Store, plaintext: str) -> ApiKeyRecord | None:
    """The active key record `plaintext` belongs to, or None (unknown, malformed or revoked)."""
    return check_api_key(store, plaintext).record


class KeyCache:
    """Keys checked lately, good and bad, so that most requests skip the database.

    - A good key is remembered for `ttl` seconds, by the SHA-256 of the whole key; then its
      next request looks it up again. A revocation in this process takes effect at once
      (`forget`); one made by another process of the same deployment within `ttl` seconds.
    - A bad key is remembered for `bad_ttl` seconds, the `max_bad` most recently seen: an
      unknown or revoked key *id* (no secret makes it good again: ids are random and never
      reused), or, for a known id, the whole key with the wrong secret (the id's real key stays
      good). A request with a remembered bad key costs no database lookup, so repeating one
      bad key, from one address or many, is cheap. Malformed keys never need one.

    `api.limits.Admission` decides when a lookup may happen at all; `verify` is the simple
    way for callers that do not limit.
    """

    def __init__(
        self, store: Store, ttl: float = 2.0, *, bad_ttl: float = 600.0, max_bad: int = 10_000
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.bad_ttl = bad_ttl
        self.max_bad = max_bad
        self._good: dict[str, tuple[ApiKeyRecord, float]] = {}
        self._bad: OrderedDict[str, tuple[KeyFailure, float]] = OrderedDict()
        self._lock = threading.Lock()

    def remembered(self, plaintext: str) -> KeyCheck | None:
        """What memory alone says about `plaintext`; None when only the database can tell."""
        plaintext = plaintext.strip()
        match = _KEY_RE.fullmatch(plaintext)
        if match is None:
            return KeyCheck(None, KeyFailure.MALFORMED)
        digest = hash_key(plaintext)
        now = time.monotonic()
        with self._lock:
            good = self._good.get(digest)
            if good is not None and now - good[1] < self.ttl:
                return KeyCheck(good[0])
            for name in (f"id:{match.group(1)}", f"key:{digest}"):
                bad = self._bad.get(name)
                if bad is None:
                    continue
                if bad[1] > now:
                    self._bad.move_to_end(name)
                    return KeyCheck(None, bad[0])
                del self._bad[name]
        return None

    def recently_good(self, plaintext: str) -> bool:
        """Whether `plaintext` was a good key when last looked up (however long ago)."""
        with self._lock:
            return hash_key(plaintext.strip()) in self._good

    def look_up(self, plaintext: str) -> KeyCheck:
        """Ask the database about `plaintext` and remember the answer."""
        plaintext = plaintext.strip()
        check = check_api_key(self.store, plaintext)
        digest = hash_key(plaintext)
        now = time.monotonic()
        with self._lock:
            if check.record is not None:
                if len(self._good) > 10_000:
                    self._good.clear()
                self._good[digest] = (check.record, now)
                return check
            self._good.pop(digest, None)
            match = _KEY_RE.fullmatch(plaintext)
            if match is None or check.failure is None:
                return check
            name = f"key:{digest}" if check.failure is KeyFailure.WRONG_SECRET else None
            if check.failure in (KeyFailure.UNKNOWN, KeyFailure.REVOKED):
                name = f"id:{match.group(1)}"
            if name is not None:
                self._bad[name] = (check.failure, now + self.bad_ttl)
                self._bad.move_to_end(name)
                while len(self._bad) > self.max_bad:
                    self._bad.popitem(last=False)
        return check

    def verify(self, plaintext: str) -> ApiKeyRecord | None:
        """Like `verify_api_key`, from memory when it can."""
        check = self.remembered(plaintext)
        if check is None:
            check = self.look_up(plaintext)
        return check.record

    def forget(self, key_id: str) -> None:
        """Drop a key from the cache (after revoking or rotating it)."""
        with self._lock:
            for digest, (record, _) in list(self._good.items()):
                if record.key_id == key_id:
                    del self._good[digest]

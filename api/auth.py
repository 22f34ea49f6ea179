"""API keys and roles: issue, verify, rotate, revoke; the per-key rate limiter.

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
from dataclasses import dataclass
from enum import StrEnum

from ledger.store import ApiKeyRecord, Store

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
    store.add_api_key(record)
    if replaces is not None:
        store.revoke_api_key(replaces, replaced_by=key_id)
    return IssuedKey(plaintext, record)


def issue_api_key(store: Store, partner: str | None, role: Role | str, label: str) -> str:
    """Issue a key for `partner` with `role`; return the plaintext (shown once, stored hashed)."""
    return new_api_key(store, partner, role, label).plaintext


def rotate_api_key(store: Store, key_id: str, label: str | None = None) -> IssuedKey:
    """Issue a replacement of key `key_id` (same partner and role, same project grants) and
    revoke the old one."""
    old = store.api_key(key_id)
    if old is None or old.revoked_at is not None:
        raise KeyError(key_id)
    issued = new_api_key(store, old.partner, old.role, label or old.label)
    # An auditor's access goes with its key: carried before the old key stops working.
    store.carry_auditor_grants(key_id, issued.record.key_id)
    store.revoke_api_key(key_id, replaced_by=issued.record.key_id)
    return issued


def verify_api_key(store: Store, plaintext: str) -> ApiKeyRecord | None:
    """The active key record `plaintext` belongs to, or None (unknown, malformed or revoked)."""
    match = _KEY_RE.fullmatch(plaintext.strip())
    if match is None:
        return None
    record = store.api_key(match.group(1))
    if record is None:
        # Hash anyway so that an unknown id costs the same as a wrong secret.
        hmac.compare_digest(hash_key(plaintext), "0" * 64)
        return None
    if not hmac.compare_digest(hash_key(plaintext.strip()), record.key_hash):
        return None
    if record.revoked_at is not None:
        return None
    return record


class KeyCache:
    """Verified keys for `ttl` seconds, so that most requests skip the database.

    A revocation in this process takes effect at once (`forget`); one made by another process
    of the same deployment within `ttl` seconds.
    """

    def __init__(self, store: Store, ttl: float = 2.0) -> None:
        self.store = store
        self.ttl = ttl
        self._entries: dict[str, tuple[ApiKeyRecord, float]] = {}
        self._lock = threading.Lock()

    def verify(self, plaintext: str) -> ApiKeyRecord | None:
        """Like `verify_api_key`, cached by the key's hash."""
        digest = hash_key(plaintext.strip())
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(digest)
        if hit is not None and now - hit[1] < self.ttl:
            return hit[0]
        record = verify_api_key(self.store, plaintext)
        with self._lock:
            if record is None:
                self._entries.pop(digest, None)
            else:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[digest] = (record, now)
        return record

    def forget(self, key_id: str) -> None:
        """Drop a key from the cache (after revoking or rotating it)."""
        with self._lock:
            for digest, (record, _) in list(self._entries.items()):
                if record.key_id == key_id:
                    del self._entries[digest]


class RateLimiter:
    """Token buckets per API key: `rate` requests a second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token of `key`'s bucket; False when it is empty."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

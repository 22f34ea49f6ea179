"""Admission of API requests: who is served now, who later, and who is told to come back.

Every request under /v1, and every request that carries an API key, passes
`AdmissionMiddleware` before it reaches a route:

1. The API key (`X-API-Key`, or `Authorization: Bearer`) is checked by `api.auth.KeyCache`:
   from memory for keys seen lately, good or bad, else with one database lookup.
2. A request without a key known to be good (missing, malformed, unknown, revoked, wrong
   secret, or not looked up yet) needs a token of its client address's *failed-authentication*
   bucket before anything else happens, so a flood of made-up keys costs the database one
   lookup per token, and a repeated bad key is answered from memory. The token is given back
   when the lookup finds a good key. A key that was good when last looked up is looked up again
   without a token: a client behind the same address as a flooder keeps its keys working.
3. A request with a good key needs a token of that key's bucket (`rate` a second, `burst` at
   most), then one of the key's in-flight places, held until its response is sent. A key is
   charged only after its secret checked out: nobody can spend another partner's budget by
   sending its (public) key id.
4. The verdict travels to the route in the ASGI scope under `VERDICT`;
   `api.deps.get_principal` turns it into the caller, or 401.

A request over a limit is not refused at once: it waits for its turn, at most `max_wait`
seconds from its arrival (a reserved token, then a free in-flight place), and is served if its
turn comes by then. Otherwise it is answered 429 at the end of that wait, with the stable error
body and `Retry-After` in whole seconds: the time until the bucket holds a token again, rounded
up (a client that waits that long and then sends one request is served), or 1 s for the
in-flight limit. So a client a little over its limit is slowed down rather than failed, and a
flooder that ignores `Retry-After` gets one answer per connection per `max_wait`: refusals
answered at once would let it keep the server busy with nothing but refusals, and the other
clients waiting (measured: `scripts/bench_flood.py`). Connections themselves are the reverse
proxy's to limit.

The client address is the TCP peer; X-Forwarded-For is read only when the peer is one of the
trusted proxies (`POC_TRUSTED_PROXIES`, none by default), and then the right-most address in
it that is not itself a trusted proxy counts. IPv6 addresses count per /64, the block one
customer usually holds.

Limits are counted in the memory of one API process: with `uvicorn --workers N` a key may reach
N times them. What a key may do is decided elsewhere (`api.deps`), and so is the key store
(`api.auth`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import KeyCache, KeyCheck, Principal, Role
from api.errors import RateLimitedError, error_response
from api.settings import ApiSettings
from ledger.errors import StoreError
from ledger.store.keys import ApiKeyRecord

VERDICT: Final = "poc.admission"
"""The ASGI scope key under which `AdmissionMiddleware` leaves its verdict for the route."""

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Below one token by less than this counts as one: the refill is computed in floating point,
# and a client that waited exactly the Retry-After it was told must be served.
_EPSILON: Final = 1e-9


class TokenBuckets:
    """Token buckets by name: each gains `rate` tokens a second and holds at most `burst`.

    A token may be reserved ahead (`reserve`): the bucket then owes it, and later requests wait
    behind the reservation. At most `max_entries` buckets are kept, the least recently used
    dropped first; a dropped bucket starts full again, which errs towards serving (a bucket
    left alone for `burst / rate` seconds is full anyway).
    """

    def __init__(self, rate: float, burst: int, *, max_entries: int = 100_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = float(burst)
        self.max_entries = max_entries
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _level(self, name: str, now: float) -> float:
        entry = self._buckets.get(name)
        if entry is None:
            return self.burst
        tokens, last = entry
        return min(self.burst, tokens + (now - last) * self.rate)

    def _wait(self, level: float) -> float:
        return 0.0 if level >= 1.0 - _EPSILON else (1.0 - level) / self.rate

    def _store(self, name: str, level: float, now: float) -> None:
        self._buckets[name] = (level, now)
        self._buckets.move_to_end(name)
        while len(self._buckets) > self.max_entries:
            self._buckets.popitem(last=False)

    def wait(self, name: str, now: float | None = None) -> float:
        """Seconds until `name` may spend a token (0.0: now); spends nothing."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return self._wait(self._level(name, now))

    def reserve(self, name: str, horizon: float = 0.0, now: float | None = None) -> float | None:
        """Take a token of `name` that is there now or within `horizon` seconds: the seconds
        until it is (0.0: now), or None, and nothing spent, if it is further away."""
        now = time.monotonic() if now is None else now
        with self._lock:
            level = self._level(name, now)
            wait = self._wait(level)
            if wait > horizon:
                return None
            self._store(name, level - 1.0, now)
            return wait

    def refund(self, name: str, now: float | None = None) -> None:
        """Give back a token taken for a request that turned out not to need it."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._store(name, min(self.burst, self._level(name, now) + 1.0), now)


class InFlight:
    """How many requests of each name are being served, against a limit per name; a request
    over it may wait for a place, first come first served. Used from the event loop only."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("an in-flight limit needs limit >= 1")
        self.limit = limit
        self._counts: dict[str, int] = {}
        self._waiting: dict[str, deque[asyncio.Future[None]]] = {}

    async def enter(self, name: str, timeout: float = 0.0) -> bool:
        """Take a place for `name`, waiting up to `timeout` seconds for one; False (and nothing
        taken) if none came free."""
        count = self._counts.get(name, 0)
        if count < self.limit and not self._waiting.get(name):
            self._counts[name] = count + 1
            return True
        if timeout <= 0:
            return False
        place: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(name, deque()).append(place)
        try:
            await asyncio.wait([place], timeout=timeout)
        except BaseException:  # the client went away while waiting
            self._give_up(name, place)
            raise
        if place.done():
            return True
        self._give_up(name, place)
        return False

    def _give_up(self, name: str, place: asyncio.Future[None]) -> None:
        if place.done():
            # Handed over (by `leave`) to a request that stopped waiting: pass it on.
            self.leave(name)
            return
        place.cancel()
        queue = self._waiting.get(name)
        if queue is not None:
            with contextlib.suppress(ValueError):
                queue.remove(place)
            if not queue:
                del self._waiting[name]

    def leave(self, name: str) -> None:
        """Give back a place taken by `enter`: to the first request waiting for one, if any."""
        queue = self._waiting.get(name)
        while queue:
            place = queue.popleft()
            if not place.done():
                if not queue:
                    del self._waiting[name]
                place.set_result(None)
                return
        self._waiting.pop(name, None)
        count = self._counts.get(name, 0) - 1
        if count > 0:
            self._counts[name] = count
        else:
            self._counts.pop(name, None)

    def count(self, name: str) -> int:
        """Places `name` holds now."""
        return self._counts.get(name, 0)


def retry_after(seconds: float) -> int:
    """A wait as a `Retry-After` value: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(seconds - _EPSILON))


# ------------------------------------------------------------------------------ addresses


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as a proxy writes it: bare, `v4:port`, or `[v6]` / `[v6]:port`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[IPNetwork]
) -> bool:
    return any(address in network for network in proxies if network.version == address.version)


def address_bucket(host: str) -> str:
    """The name a client address is counted under: an IPv4 address, an IPv6 /64, or the host
    string as is when it is no IP address (a Unix socket, a test client)."""
    address = _ip(host)
    if address is None:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(
    peer: str, forwarded_for: Iterable[str], trusted_proxies: Sequence[IPNetwork]
) -> str:
    """The client a request counts for (see `address_bucket`).

    `peer` is the TCP peer, `forwarded_for` the values of the request's X-Forwarded-For
    headers in order. They are read only when `peer` is a trusted proxy: then, walking from
    the right, the first hop that is not a trusted proxy is the client (each trusted proxy
    appended the address it was connected from; what lies left of that hop was written by the
    client, who may write anything). A hop that is no IP address is taken as it is written."""
    peer_ip = _ip(peer)
    if not trusted_proxies or peer_ip is None or not _trusted(peer_ip, trusted_proxies):
        return address_bucket(peer)
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _ip(hop)
        client = hop
        if address is None or not _trusted(address, trusted_proxies):
            break
    return address_bucket(client)


# ------------------------------------------------------------------------------ admission


@dataclass(frozen=True)
class Admitted:
    """A request with a good key, within its limits: served, holding an in-flight place."""

    principal: Principal


@dataclass(frozen=True)
class Unauthenticated:
    """A request without a good key, within its address's failed-authentication budget: the
    route answers 401 with `code` (if it needs a key at all)."""

    code: str
    message: str


@dataclass(frozen=True)
class Refused:
    """A request refused before routing with `error` (429)."""

    error: RateLimitedError


Verdict = Admitted | Unauthenticated | Refused


@dataclass(frozen=True)
class Limits:
    """The numbers `Admission` enforces (from `api.settings.ApiSettings`)."""

    per_key_per_second: float
    per_key_burst: int
    in_flight_per_key: int
    failed_auth_per_second: float
    failed_auth_burst: int
    max_wait: float = 1.0
    trusted_proxies: tuple[IPNetwork, ...] = ()


_MISSING_KEY = Unauthenticated("missing_api_key", "send your API key in the X-API-Key header")
_INVALID_KEY = Unauthenticated("invalid_api_key", "unknown or revoked API key")


def presented_key(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The API key a request carries: `X-API-Key`, else an `Authorization: Bearer` token (the
    precedence of `api.deps.get_principal`'s security schemes)."""
    bearer: str | None = None
    for name, value in headers:
        if name == b"x-api-key" and value:
            return value.decode("latin-1")
        if name == b"authorization" and bearer is None:
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                bearer = token.strip()
    return bearer


class Admission:
    """Decides, per request, between served, unauthenticated (401) and refused (429)."""

    def __init__(self, keys: KeyCache, limits: Limits) -> None:
        self.keys = keys
        self.limits = limits
        self.per_key = TokenBuckets(limits.per_key_per_second, limits.per_key_burst)
        self.in_flight = InFlight(limits.in_flight_per_key)
        self.failed_auth = TokenBuckets(limits.failed_auth_per_second, limits.failed_auth_burst)

    def client(self, scope: Scope) -> str:
        """The client address `scope` counts for."""
        peer = scope.get("client")
        forwarded = (
            value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name == b"x-forwarded-for"
        )
        return client_address(peer[0] if peer else "", forwarded, self.limits.trusted_proxies)

    async def admit(self, scope: Scope) -> Verdict:
        """The verdict on the request of `scope`, after its wait for its turn if it had to
        wait; an `Admitted` one must be `release`d."""
        deadline = time.monotonic() + self.limits.max_wait
        plaintext = presented_key(scope.get("headers", ()))
        check = None
        if plaintext is not None:
            check = self.keys.remembered(plaintext)
            if check is None and self.keys.recently_good(plaintext):
                check = await _looked_up(self.keys, plaintext)
            if check is not None and check.record is not None:
                return await self._admit_key(check.record, deadline)
        # No key known to be good: the client address's failed-authentication budget pays for
        # what follows, before any lookup.
        client = self.client(scope)
        if not await _turn(self.failed_auth, client, deadline):
            seconds = retry_after(self.failed_auth.wait(client))
            message = (
                f"too many requests without a valid API key from your address; retry in {seconds} s"
            )
            code = "too_many_failed_authentications"
            return Refused(RateLimitedError(message, code=code, retry_after=seconds))
        if plaintext is None:
            return _MISSING_KEY
        if check is None:
            check = await _looked_up(self.keys, plaintext)
            if check.record is not None:
                self.failed_auth.refund(client)
                return await self._admit_key(check.record, deadline)
        return _INVALID_KEY

    async def _admit_key(self, record: ApiKeyRecord, deadline: float) -> Verdict:
        limits = self.limits
        key_id = record.key_id
        if not await _turn(self.per_key, key_id, deadline):
            seconds = retry_after(self.per_key.wait(key_id))
            message = (
                f"rate limit of {limits.per_key_per_second:g} requests/s per API key "
                f"(bursts of {limits.per_key_burst}) exceeded; retry in {seconds} s"
            )
            return Refused(RateLimitedError(message, retry_after=seconds))
        if not await self.in_flight.enter(key_id, deadline - time.monotonic()):
            message = (
                f"this API key has {limits.in_flight_per_key} requests in progress already; "
                "wait for their answers"
            )
            code = "too_many_concurrent_requests"
            return Refused(RateLimitedError(message, code=code, retry_after=1))
        principal = Principal(
            key_id=key_id, role=Role(record.role), partner=record.partner, label=record.label
        )
        return Admitted(principal)

    def release(self, verdict: Admitted) -> None:
        """The admitted request has been answered: give its in-flight place back."""
        self.in_flight.leave(verdict.principal.key_id)


async def _looked_up(keys: KeyCache, plaintext: str) -> KeyCheck:
    """The database's word on `plaintext`, asked from a worker thread: a lookup waits on the
    database (a PostgreSQL round trip, a SQLite lock) and must not stall every other request
    this process's event loop is serving meanwhile."""
    return await run_in_threadpool(keys.look_up, plaintext)


async def _turn(buckets: TokenBuckets, name: str, deadline: float) -> bool:
    """Wait for a token of `name` until `deadline`: True once it is there; False near the
    deadline if it would come later (then nothing is spent)."""
    now = time.monotonic()
    horizon = max(deadline - now, 0.0)
    wait = buckets.reserve(name, horizon, now)
    if wait is None:
        # Between half the wait and all of it: a flooder's connections, refused together,
        # must not come back together, or each round of them would stall everyone at once.
        await asyncio.sleep(horizon * random.uniform(0.5, 1.0))
        return False
    if wait > 0:
        await asyncio.sleep(wait)
    return True


class AdmissionMiddleware:
    """Runs `Admission` on every request under `prefix` and every request with an API key;
    answers refusals itself, and holds an admitted request's in-flight place until the app
    has sent its response."""

    def __init__(self, app: ASGIApp, admission: Admission, prefix: str) -> None:
        self.app = app
        self.admission = admission
        self.prefix = prefix.rstrip("/")

    def _judged(self, scope: Scope) -> bool:
        path: str = scope.get("path", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return True
        return presented_key(scope.get("headers", ())) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._judged(scope):
            await self.app(scope, receive, send)
            return
        try:
            verdict = await self.admission.admit(scope)
        except StoreError as exc:
            # The key could not be looked up (database down): 503 database_unavailable, as
            # from a route; unanswered, the client would only see its connection dropped.
            await error_response(exc)(scope, receive, send)
            return
        if isinstance(verdict, Refused):
            await error_response(verdict.error)(scope, receive, send)
            return
        scope[VERDICT] = verdict
        if not isinstance(verdict, Admitted):
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.release(verdict)


def limits_of(settings: ApiSettings) -> Limits:
    """The limits `api.limits.Admission` enforces, from the settings."""
    return Limits(
        per_key_per_second=settings.rate_limit_per_second,
        per_key_burst=settings.rate_limit_burst,
        in_flight_per_key=settings.max_in_flight_per_key,
        failed_auth_per_second=settings.failed_auth_per_second,
        failed_auth_burst=settings.failed_auth_burst,
        max_wait=settings.limit_max_wait,
        trusted_proxies=tuple(settings.trusted_proxies),
    )

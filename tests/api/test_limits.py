"""The API's limits (`api.limits`): per key, per client address for failed authentication,
`Retry-After`, X-Forwarded-For, and the parts they are built of.

These run the app in-process (no chain: the limits need only the API keys), one `TestClient`
per client address. That a flood leaves the other clients' latency alone needs a real server
and a flooder in another process: tests/api/test_flood.py.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.auth import Role, issue_api_key
from api.limits import InFlight, TokenBuckets, client_address, retry_after
from api.settings import ApiSettings
from ledger.store import Store
from poc.wiring import create_app

PARTNER = "0x" + "ab" * 20
FLOODER = "203.0.113.7"
OTHER = "198.51.100.9"


def _app(tmp_path: Path, **limits: Any) -> tuple[FastAPI, Store]:
    settings = ApiSettings(data_dir=tmp_path, start_workers=False, **limits)
    store = Store.open(settings.resolved_database_url)
    return create_app(settings, store=store), store


def _from(app: FastAPI, host: str) -> TestClient:
    """A client whose requests come from `host` (the TCP peer the app sees)."""
    return TestClient(app, client=(host, 40_000))


def _made_up_key() -> str:
    return f"poc_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


def _get(client: TestClient, key: str | None, **headers: str) -> httpx.Response:
    if key is not None:
        headers["X-API-Key"] = key
    response: httpx.Response = client.get("/v1/projects", headers=headers)
    return response


@contextmanager
def _key_lookups() -> Iterator[list[str]]:
    """Every SQL statement on the API key table while inside (real queries, counted)."""
    seen: list[str] = []

    def on_execute(*args: Any) -> None:
        statement = args[2]
        if "api_keys" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)


# ------------------------------------------------------------------------------ parts


def test_token_bucket_refuses_when_empty_then_serves_after_its_wait() -> None:
    buckets = TokenBuckets(rate=2.0, burst=2)
    assert buckets.reserve("k", now=100.0) == 0.0
    assert buckets.reserve("k", now=100.0) == 0.0
    assert buckets.reserve("k", now=100.0) is None  # nothing spent by a refusal
    assert buckets.wait("k", now=100.0) == pytest.approx(0.5)
    assert buckets.reserve("k", now=100.25) is None
    assert buckets.reserve("k", now=100.5) == 0.0
    assert buckets.reserve("other", now=100.5) == 0.0  # each name its own bucket


def test_token_bucket_reserves_ahead_within_horizon_in_order() -> None:
    buckets = TokenBuckets(rate=2.0, burst=1)
    assert buckets.reserve("k", 1.0, now=0.0) == 0.0
    assert buckets.reserve("k", 1.0, now=0.0) == pytest.approx(0.5)
    assert buckets.reserve("k", 1.0, now=0.0) == pytest.approx(1.0)
    assert buckets.reserve("k", 1.0, now=0.0) is None  # 1.5 s away
    assert buckets.wait("k", now=0.0) == pytest.approx(1.5)


def test_token_bucket_refund_gives_the_token_back() -> None:
    buckets = TokenBuckets(rate=0.001, burst=1)
    assert buckets.reserve("k", now=0.0) == 0.0
    buckets.refund("k", now=0.0)
    assert buckets.reserve("k", now=0.0) == 0.0


def test_token_bucket_memory_is_bounded() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1, max_entries=100)
    for i in range(1_000):
        buckets.reserve(f"client-{i}", now=0.0)
    assert len(buckets._buckets) == 100
    assert buckets.wait("client-999", now=0.0) > 0  # the most recent ones are kept


@pytest.mark.parametrize(
    ("seconds", "header"), [(0.001, 1), (0.999, 1), (1.0, 1), (1.0001, 2), (999.7, 1000)]
)
def test_retry_after_rounds_up_to_whole_seconds(seconds: float, header: int) -> None:
    assert retry_after(seconds) == header


def test_in_flight_waits_for_a_place_then_gives_up() -> None:
    async def scenario() -> None:
        places = InFlight(limit=1)
        assert await places.enter("k")
        assert not await places.enter("k")  # no wait asked: refused at once
        waiting = asyncio.create_task(places.enter("k", timeout=5.0))
        await asyncio.sleep(0.01)
        places.leave("k")  # handed to the waiting request
        assert await waiting
        assert places.count("k") == 1
        assert not await places.enter("k", timeout=0.05)  # nobody leaves: gives up
        places.leave("k")
        assert places.count("k") == 0

    asyncio.run(scenario())


def test_in_flight_place_handed_to_a_cancelled_waiter_goes_on() -> None:
    async def scenario() -> None:
        places = InFlight(limit=1)
        assert await places.enter("k")
        gone = asyncio.create_task(places.enter("k", timeout=5.0))
        await asyncio.sleep(0.01)
        gone.cancel()  # the client went away while waiting
        with pytest.raises(asyncio.CancelledError):
            await gone
        places.leave("k")
        assert places.count("k") == 0
        assert await places.enter("k")

    asyncio.run(scenario())


def test_client_address_ignores_forwarded_for_without_trusted_proxies() -> None:
    assert client_address("192.0.2.1", ["203.0.113.5"], ()) == "192.0.2.1"


def test_client_address_from_trusted_proxy_is_rightmost_untrusted_hop() -> None:
    proxies = (ipaddress.ip_network("10.0.0.0/8"),)
    # The client wrote "1.1.1.1"; the first proxy appended the client's real address, the
    # second proxy the first one's.
    forwarded = ["1.1.1.1, 203.0.113.5", "10.0.0.7"]
    assert client_address("10.0.0.2", forwarded, proxies) == "203.0.113.5"
    # From an untrusted peer the header counts for nothing.
    assert client_address("192.0.2.1", forwarded, proxies) == "192.0.2.1"
    # Without the header, the proxy itself.
    assert client_address("10.0.0.2", [], proxies) == "10.0.0.2"


def test_client_address_counts_ipv6_per_64_and_unwraps_mapped_ipv4() -> None:
    assert client_address("2001:db8:1:2:aaaa::1", [], ()) == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2:bbbb::9", [], ()) == "2001:db8:1:2::/64"
    assert client_address("::ffff:192.0.2.4", [], ()) == "192.0.2.4"


def test_trusted_proxies_setting_reads_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POC_TRUSTED_PROXIES", "10.0.0.5, fd00::/8")
    assert [str(n) for n in ApiSettings().trusted_proxies] == ["10.0.0.5/32", "fd00::/8"]
    monkeypatch.delenv("POC_TRUSTED_PROXIES")
    assert ApiSettings().trusted_proxies == ()


# ------------------------------------------------------------------------------ failed auth


def test_failed_auth_flood_from_one_address_is_429_without_key_lookups(tmp_path: Path) -> None:
    app, store = _app(tmp_path, failed_auth_per_second=0.01, failed_auth_burst=5, limit_max_wait=0)
    flooder = _from(app, FLOODER)
    with _key_lookups() as lookups:
        answers = [_get(flooder, _made_up_key()) for _ in range(40)]
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 35
    refused = answers[-1]
    assert refused.json()["code"] == "too_many_failed_authentications"
    assert refused.json()["message"]
    assert int(refused.headers["Retry-After"]) >= 99  # one token at 0.01/s
    # One lookup per key that got through, none for the 35 refused.
    assert len(lookups) == 5
    # Malformed keys and no key at all count as failed too, from the same budget.
    assert _get(flooder, "not-a-key").status_code == 429
    assert _get(flooder, None).status_code == 429
    store.close()


def test_failed_auth_flood_leaves_valid_keys_of_other_addresses_served(tmp_path: Path) -> None:
    app, store = _app(tmp_path, failed_auth_per_second=0.01, failed_auth_burst=3, limit_max_wait=0)
    key = issue_api_key(store, PARTNER, Role.PARTNER, "calm")
    flooder = _from(app, FLOODER)
    for _ in range(20):
        _get(flooder, _made_up_key())
    assert _get(flooder, _made_up_key()).status_code == 429
    assert _get(_from(app, OTHER), key).status_code == 200
    # Another bad key from the other address is still judged (401), on that address's budget.
    assert _get(_from(app, OTHER), _made_up_key()).status_code == 401
    store.close()


def test_repeated_bad_key_costs_one_lookup_from_any_address(tmp_path: Path) -> None:
    app, store = _app(tmp_path, failed_auth_burst=100)
    good = issue_api_key(store, PARTNER, Role.PARTNER, "real")
    prefix, key_id, secret = good.split("_", 2)
    wrong_secret = f"{prefix}_{key_id}_{'A' if secret[0] != 'A' else 'B'}{secret[1:]}"
    unknown = _made_up_key()
    with _key_lookups() as lookups:
        for i in range(10):
            client = _from(app, f"192.0.2.{i + 1}")
            assert _get(client, unknown).status_code == 401
            assert _get(client, wrong_secret).status_code == 401
    assert len(lookups) == 2
    # Remembering the wrong secret did not spoil the key it was guessed for.
    assert _get(_from(app, OTHER), good).status_code == 200
    store.close()


def test_revoked_key_is_remembered_as_bad(tmp_path: Path) -> None:
    app, store = _app(tmp_path, failed_auth_burst=100)
    key = issue_api_key(store, PARTNER, Role.PARTNER, "old")
    client = _from(app, OTHER)
    assert _get(client, key).status_code == 200
    store.keys.revoke_api_key(key.split("_")[1])
    app.state.services.keys.forget(key.split("_")[1])
    with _key_lookups() as lookups:
        statuses = [_get(client, key).status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert len(lookups) == 1
    store.close()


def test_wrong_secret_with_a_key_id_does_not_spend_that_keys_budget(tmp_path: Path) -> None:
    # Key ids are public (URLs, listings): guessing with one must not lock its owner out.
    app, store = _app(
        tmp_path,
        rate_limit_per_second=0.01,
        rate_limit_burst=2,
        failed_auth_burst=100,
        limit_max_wait=0,
    )
    key = issue_api_key(store, PARTNER, Role.PARTNER, "owner")
    prefix, key_id, _ = key.split("_", 2)
    attacker = _from(app, FLOODER)
    for i in range(20):
        guess = f"{prefix}_{key_id}_{secrets.token_urlsafe(32)}{i}"
        assert _get(attacker, guess).status_code == 401
    owner = _from(app, OTHER)
    assert [_get(owner, key).status_code for _ in range(2)] == [200, 200]
    store.close()


def test_valid_key_behind_a_flooded_address_is_served_after_retry_after(tmp_path: Path) -> None:
    # A key this process has not checked yet costs a lookup, and lookups from a flooding
    # address wait for its budget: that is the price of sharing an address with a flooder.
    app, store = _app(tmp_path, failed_auth_per_second=1.0, failed_auth_burst=3, limit_max_wait=0)
    key = issue_api_key(store, PARTNER, Role.PARTNER, "neighbour")
    shared = _from(app, FLOODER)
    for _ in range(3):
        assert _get(shared, _made_up_key()).status_code == 401
    refused = _get(shared, key)
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_failed_authentications"
    wait = int(refused.headers["Retry-After"])
    assert wait == 1
    time.sleep(wait)
    assert _get(shared, key).status_code == 200
    # Once good, the key is not charged to the address any more.
    for _ in range(5):
        _get(shared, _made_up_key())
    assert _get(shared, key).status_code == 200
    store.close()


def test_valid_keys_do_not_spend_their_address_failed_auth_budget(tmp_path: Path) -> None:
    # An office behind one address, many partners' keys: checking them costs lookups, but
    # good ones are given their token back.
    app, store = _app(tmp_path, failed_auth_per_second=0.01, failed_auth_burst=2, limit_max_wait=0)
    office = _from(app, OTHER)
    keys = [issue_api_key(store, PARTNER, Role.PARTNER, f"colleague {i}") for i in range(5)]
    assert [_get(office, key).status_code for key in keys] == [200] * 5
    assert [_get(office, _made_up_key()).status_code for _ in range(3)] == [401, 401, 429]
    store.close()


# ------------------------------------------------------------------------------ per key


def test_key_over_its_limit_is_429_with_retry_after_honoured(tmp_path: Path) -> None:
    app, store = _app(tmp_path, rate_limit_per_second=0.5, rate_limit_burst=1, limit_max_wait=0)
    key = issue_api_key(store, PARTNER, Role.PARTNER, "hasty")
    client = _from(app, OTHER)
    assert _get(client, key).status_code == 200
    refused = _get(client, key)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and "0.5 requests/s" in body["message"]
    # One token at 0.5/s: 2 s after the request that took the last one, less the time since.
    assert refused.headers["Retry-After"] == "2"
    again = _get(client, key)  # asking again does not help, nor cost anything
    assert again.status_code == 429
    wait = int(again.headers["Retry-After"])
    assert wait in (1, 2)
    time.sleep(wait)
    assert _get(client, key).status_code == 200
    store.close()


def test_key_a_little_over_its_limit_waits_for_its_turn_instead_of_429(tmp_path: Path) -> None:
    app, store = _app(tmp_path, rate_limit_per_second=5.0, rate_limit_burst=1, limit_max_wait=1.0)
    key = issue_api_key(store, PARTNER, Role.PARTNER, "steady")
    client = _from(app, OTHER)
    started = time.monotonic()
    assert [_get(client, key).status_code for _ in range(4)] == [200] * 4
    # Served at the rate, not at once: three tokens at 5/s.
    assert time.monotonic() - started >= 0.55
    store.close()


def test_key_far_over_its_limit_is_answered_429_within_the_wait(tmp_path: Path) -> None:
    app, store = _app(tmp_path, rate_limit_per_second=0.01, rate_limit_burst=1, limit_max_wait=0.3)
    key = issue_api_key(store, PARTNER, Role.PARTNER, "greedy")
    client = _from(app, OTHER)
    assert _get(client, key).status_code == 200
    started = time.monotonic()
    refused = _get(client, key)
    held = time.monotonic() - started
    assert refused.status_code == 429
    # Held for part of the wait (so that a flood cannot spin on refusals), never longer.
    assert 0.14 <= held < 5
    assert 95 <= int(refused.headers["Retry-After"]) <= 100
    store.close()


# ------------------------------------------------------------------------------ proxies


def test_forwarded_for_is_ignored_from_an_untrusted_peer(tmp_path: Path) -> None:
    app, store = _app(tmp_path, failed_auth_per_second=0.01, failed_auth_burst=3, limit_max_wait=0)
    client = _from(app, FLOODER)
    statuses = [
        _get(client, _made_up_key(), **{"X-Forwarded-For": f"192.0.2.{i}"}).status_code
        for i in range(1, 11)
    ]
    # A new made-up address in each request changes nothing: the peer is what counts.
    assert statuses == [401] * 3 + [429] * 7
    store.close()


def test_forwarded_for_from_a_trusted_proxy_counts_each_client(tmp_path: Path) -> None:
    app, store = _app(
        tmp_path,
        failed_auth_per_second=0.01,
        failed_auth_burst=3,
        limit_max_wait=0,
        trusted_proxies=["10.0.0.2"],
    )
    proxy = _from(app, "10.0.0.2")
    flooded = [
        _get(proxy, _made_up_key(), **{"X-Forwarded-For": f"192.0.2.{i}, {FLOODER}"})
        for i in range(6)
    ]
    assert [r.status_code for r in flooded] == [401] * 3 + [429] * 3
    # Another client behind the same proxy has its own budget.
    other = _get(proxy, _made_up_key(), **{"X-Forwarded-For": OTHER})
    assert other.status_code == 401
    store.close()

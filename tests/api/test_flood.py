"""One client floods a real API server; the others stay served, and about as fast as before.

The API runs as a uvicorn process with its default limits (`scripts/bench_flood.py`, the same
harness `make bench` reports from); the flooder is a process of its own that sends as fast as
the server answers over 64 keep-alive connections, as an outside client competing for the same
two cores would. Four victim keys send `GET /v1/projects` at 60 requests/s in all (15/s each,
under their own 20/s), paced, latency counted from when each request was due.

The in-flight limit (a key's requests in progress at once) is checked on the same server,
with uploads that do not finish.

What is asserted, for a flood by one good key and for a flood of made-up keys from another
address (127.0.0.2):
- the victims' p99 under the flood is at most twice their idle p99, idle and flood windows of
  2.5 s alternating four times (600 requests each; the benchmark runs six of 3 s), and more
  rounds, up to eight, until each condition has at least 550;
- every victim request was answered 200;
- the flood was refused in part with 429 and its code, and what got past the limits stays
  within them (the flooding key's rate and burst; one key check per token of the address).

The machine is shared with other work: a stall of another process that happens to fall into
one window can double a p99 by itself. So a measurement whose ratio is above 2 is repeated, up
to three in all, and the test passes when one of them is within 2x. Without the limits the
ratio is 7 to 40 every time (docs/security.md, "Checked by hand"), so a real regression fails
all three.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from api.settings import (
    FAILED_AUTH_BURST,
    FAILED_AUTH_PER_SECOND,
    MAX_IN_FLIGHT_PER_KEY,
    RATE_LIMIT_BURST,
    RATE_LIMIT_PER_SECOND,
)
from scripts import bench_flood
from scripts.bench_flood import FloodFigures, FloodMode, FloodServer

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ATTEMPTS = 3
MAX_RATIO = 2.0
# Shorter than the benchmark's 6 x 3 s (`make bench` reports those): 4 x 2.5 s of each
# condition, 600 victim requests each, keeps the suite's time while a p99 still rests on six
# requests.
ROUNDS = 4
WINDOW_SECONDS = 2.5
MIN_SAMPLES = 550
# A victim waits for each answer, so a loaded machine fits fewer requests in a window (CI once
# got 510 in four flood windows): more rounds are run until both conditions have MIN_SAMPLES.
MAX_ROUNDS = 8


@pytest.fixture(scope="module")
def server() -> Iterator[FloodServer]:
    with bench_flood.running_server() as running:
        yield running


def _measure(server: FloodServer, mode: FloodMode) -> tuple[FloodFigures, list[float]]:
    """Measure until the ratio is within `MAX_RATIO`, at most `ATTEMPTS` times; the last
    figures and every ratio seen."""
    ratios: list[float] = []
    for _ in range(ATTEMPTS):
        figures = bench_flood.measure(
            server,
            mode=mode,
            rounds=ROUNDS,
            window=WINDOW_SECONDS,
            min_samples=MIN_SAMPLES,
            max_rounds=MAX_ROUNDS,
        )
        ratios.append(figures.p99_ratio)
        if figures.p99_ratio <= MAX_RATIO:
            break
    return figures, ratios


def _assert_victims_served(figures: FloodFigures, ratios: list[float]) -> None:
    assert figures.victim_failures == 0
    assert figures.idle_samples >= MIN_SAMPLES and figures.flood_samples >= MIN_SAMPLES, figures
    assert figures.p99_ratio <= MAX_RATIO, (
        f"victims' p99 {figures.flood_p99_ms:.1f} ms under flood, {figures.idle_p99_ms:.1f} ms "
        f"idle; ratios of the attempts: {[round(r, 2) for r in ratios]}"
    )


@pytest.mark.timeout(900)
def test_flood_by_one_key_keeps_other_keys_p99_within_twice_idle(server: FloodServer) -> None:
    figures, ratios = _measure(server, "key")
    _assert_victims_served(figures, ratios)
    assert figures.refusal_codes.get("429 rate_limited", 0) > 0, figures
    # The flooding key got its rate, plus a burst after each idle window, and no more.
    allowed = RATE_LIMIT_PER_SECOND * figures.flood_seconds + RATE_LIMIT_BURST * figures.rounds
    assert figures.flood_served <= allowed * 1.05, figures


@pytest.mark.timeout(900)
def test_flood_of_made_up_keys_keeps_valid_keys_p99_within_twice_idle(
    server: FloodServer,
) -> None:
    figures, ratios = _measure(server, "bad-keys")
    _assert_victims_served(figures, ratios)
    assert figures.refusal_codes.get("429 too_many_failed_authentications", 0) > 0, figures
    # Key checks (each at most one database lookup) at the address's rate, plus its burst
    # after each idle window.
    allowed = FAILED_AUTH_PER_SECOND * figures.flood_seconds + FAILED_AUTH_BURST * figures.rounds
    assert 0 < figures.flood_served <= allowed * 1.05, figures


def test_key_with_every_place_taken_waits_then_429_while_other_keys_served(
    server: FloodServer,
) -> None:
    # Requests that are in progress: POSTs whose bodies have not arrived yet (a slow upload
    # holds its place as a slow export would).
    key, other = server.victim_keys[0], server.victim_keys[1]
    held = []
    for _ in range(MAX_IN_FLIGHT_PER_KEY):
        connection = socket.create_connection((bench_flood.HOST, server.port), timeout=30)
        connection.sendall(
            (
                f"POST /v1/projects HTTP/1.1\r\nHost: {bench_flood.HOST}:{server.port}\r\n"
                f"X-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n"
            ).encode()
        )
        held.append(connection)
    try:
        time.sleep(0.5)  # the server has admitted them and waits for their bodies
        with bench_flood.Connection(bench_flood.HOST, server.port) as client:
            status, headers, body = client.get("/v1/projects", key)
            assert status == 429, body
            assert json.loads(body)["code"] == "too_many_concurrent_requests"
            assert headers["retry-after"] == "1"
            assert client.get("/v1/projects", other)[0] == 200
            # One upload completes (answered, whatever the answer): its place is free again.
            held[0].sendall(b"{}")
            assert held[0].recv(100).startswith(b"HTTP/1.1 ")
            assert client.get("/v1/projects", key)[0] == 200
    finally:
        for connection in held:
            connection.close()

"""The HTTP provider's session: one keep-alive pool, the proxy environment read once."""

from __future__ import annotations

import pytest

from ledger.chain.connection import _http_session


def test_http_session_reads_proxy_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    remote = _http_session("https://rpc.example.org")
    local = _http_session("http://127.0.0.1:8545")

    assert remote.trust_env is False and local.trust_env is False
    assert remote.proxies.get("https") == "http://proxy.example:3128"
    assert local.proxies == {}


def test_http_session_keeps_the_ca_bundle_of_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")

    assert _http_session("https://rpc.example.org").verify == "/etc/ssl/certs/ca-certificates.crt"
    assert _http_session("http://127.0.0.1:8545").verify is True  # no TLS, nothing to read

"""The hosted platform under test: a `HostApp` over a `Platform` whose workspaces run on the
in-process chain (each its own eth-tester, so each its own clock), on SQLite or, with
POC_TEST_DATABASE_URL, on PostgreSQL with a database per workspace. Requests go through
Starlette's test client with the Host header a browser would send."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from poc.hosting.platform import CSRF_HEADER, HostApp, Platform
from poc.hosting.settings import HostSettings

DOMAIN = "sandbox.test"
OPERATOR_TOKEN = "operator-" + "t" * 40


@dataclass
class Joined:
    """A signed-in workspace owner: its client (session cookie set) and what it was given."""

    slug: str
    client: TestClient
    session: str
    csrf: str
    keys: dict[str, str]  # label -> API key

    @property
    def session_headers(self) -> dict[str, str]:
        return {CSRF_HEADER: self.csrf}

    def key_headers(self, label: str = "leievlas") -> dict[str, str]:
        return {"X-API-Key": self.keys[label]}


@dataclass
class Host:
    platform: Platform
    app: HostApp
    operator: TestClient
    clients: list[TestClient] = field(default_factory=list)

    @property
    def operator_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

    def client(self, slug: str | None = None) -> TestClient:
        """A fresh browser-like client: on the workspace's origin, or the platform's."""
        host = DOMAIN if slug is None else f"{slug}.{DOMAIN}"
        client = TestClient(self.app, base_url=f"http://{host}")
        self.clients.append(client)
        return client

    def invite(self, slug: str, days: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "slug": slug,
            "ownerName": f"SME {slug}",
            "ownerEmail": f"{slug}@sme.example",
        }
        if days is not None:
            body["days"] = days
        response = self.operator.post(
            "/operator/api/workspaces", json=body, headers=self.operator_headers
        )
        assert response.status_code == 201, response.text
        invitation: dict[str, Any] = response.json()
        return invitation

    def join(self, slug: str, code: str | None = None) -> Joined:
        if code is None:
            code = self.invite(slug)["code"]
        client = self.client(slug)
        response = client.post(f"/join/{code}", headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        data = response.json()
        return Joined(
            slug=slug,
            client=client,
            session=data["session"],
            csrf=data["csrf"],
            keys={k["label"]: k["apiKey"] for k in data["keys"]},
        )


def new_slug(prefix: str = "ws") -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def postgres_platform_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for one platform (dropped after, with every workspace
    database named after it), or None without POC_TEST_DATABASE_URL."""
    base = os.environ.get("POC_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"poc_h_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            rows = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{name}%"}
            ).all()
            for (db,) in rows:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                    ),
                    {"d": db},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
        admin.dispose()


def make_host(data_dir: Path, database_url: str | None, **overrides: Any) -> Host:
    values: dict[str, Any] = {
        "operator_token": OPERATOR_TOKEN,
        "data_dir": data_dir,
        "database_url": database_url,
        "domain": DOMAIN,
        "chain": "memory",
        "keystore_scrypt_n": 2,
        # The matrix tries hundreds of wrong credentials from one address on purpose.
        "failed_auth_per_second": 1000.0,
        "failed_auth_burst": 10_000,
    }
    settings = HostSettings(**(values | overrides))
    platform = Platform(settings, api_overrides={"index_poll_interval": 0.05})
    app = HostApp(platform, start_sweeper=False)
    operator = TestClient(app, base_url=f"http://{DOMAIN}")
    return Host(platform, app, operator)

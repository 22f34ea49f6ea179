"""The store on PostgreSQL: the same index, outbox and keys, selected by URL.

Runs when POC_TEST_DATABASE_URL names a PostgreSQL server (`.ci/run` starts one and sets it);
skipped locally without it, and a failure in CI when it is missing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.auth import Role, issue_api_key, verify_api_key
from api.settings import ApiSettings
from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.store import Store
from poc.wiring import create_app
from tests.api.support import Consortium
from tests.api.test_contributions import _body

URL = os.environ.get("POC_TEST_DATABASE_URL")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards."""
    if not URL:
        if os.environ.get("CI"):
            pytest.fail("POC_TEST_DATABASE_URL is not set: .ci/run should start PostgreSQL")
        pytest.skip("no PostgreSQL: set POC_TEST_DATABASE_URL (CI starts one in .ci/run)")
    name = f"poc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_keys_and_outbox_dedupe_on_postgres(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        assert store.dialect == "postgresql"
        key = issue_api_key(store, "0x" + "11" * 20, Role.PARTNER, "pg")
        record = verify_api_key(store, key)
        assert record is not None and record.role == "partner"
    finally:
        store.close()


def test_register_through_api_with_postgres_store(
    pg_url: str, tmp_path, deployed: tuple[Chain, DeploymentRecord]
) -> None:
    chain, record = deployed
    settings = ApiSettings(
        data_dir=tmp_path,
        database_url=pg_url,
        index_poll_interval=0.02,
        outbox_poll_interval=0.01,
        keystore_scrypt_n=1 << 4,
        wait_timeout=20,
    )
    store = Store.open(pg_url)
    app = create_app(settings, store=store, chain=chain, deployment=record)
    try:
        with TestClient(app) as client:
            consortium = Consortium.create(chain, record, store, client)
            project_id = consortium.project_on_chain()
            member = consortium.partner_b
            body = _body(member, project_id)
            url = f"/v1/projects/{project_id}/contributions?wait=true"
            first = client.post(url, json=body, headers=member.headers)
            assert first.status_code == 200 and first.json()["status"] == "confirmed", first.text
            again = client.post(url, json=body, headers=member.headers)
            assert again.json()["id"] == first.json()["id"]
            consortium.sync()
            got = client.get(
                f"/v1/contributions/{first.json()['resourceId']}", headers=member.headers
            )
            assert got.status_code == 200 and got.json()["commitment"] == body["commitment"]
    finally:
        store.close()


def test_agreement_versions_and_salts_on_postgres(pg_url: str) -> None:
    from ledger.store.agreements import AgreementVersionRecord

    store = Store.open(pg_url)
    coordinator, partner = "0x" + "11" * 20, "0x" + "22" * 20

    def version(number: int, agreement_hash: str) -> AgreementVersionRecord:
        return AgreementVersionRecord(
            agreement_id="a" * 32,
            version=number,
            document=b'{"format":"x"}\xe2\x82\xac',
            content_hash="0x" + "33" * 32,
            agreement_hash=agreement_hash,
            created_by=coordinator,
            created_at=1.0,
        )

    try:
        store.agreements.create(
            "a" * 32,
            coordinator=coordinator,
            salt="0x" + "44" * 32,
            first=version(1, "0x" + "55" * 32),
            readers=frozenset({partner}),
        )
        assert [r.agreement_id for r in store.agreements.readable_by(partner)] == ["a" * 32]
        assert store.agreements.replace_draft("a" * 32, version(1, "0x" + "66" * 32), frozenset())
        assert not store.agreements.is_reader("a" * 32, partner)
        store.agreements.freeze("a" * 32)
        assert not store.agreements.replace_draft(
            "a" * 32, version(1, "0x" + "77" * 32), frozenset()
        )
        assert store.agreements.link_project("a" * 32, 7)
        assert store.agreements.by_project(7) is not None
        assert store.agreements.add_version(version(2, "0x" + "88" * 32), frozenset({partner}))
        assert not store.agreements.add_version(version(2, "0x" + "99" * 32), frozenset())
        replaced = store.agreements.add_version(
            version(2, "0x" + "99" * 32), frozenset(), replacing="0x" + "88" * 32
        )
        assert replaced
        stored = store.agreements.versions("a" * 32)
        assert [(v.version, v.agreement_hash) for v in stored] == [
            (1, "0x" + "66" * 32),
            (2, "0x" + "99" * 32),
        ]
        assert stored[0].document == b'{"format":"x"}\xe2\x82\xac'
        assert store.agreements.with_first_hash("0x" + "66" * 32)[0].project_id == 7
    finally:
        store.close()

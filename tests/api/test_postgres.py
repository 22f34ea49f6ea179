"""The store on PostgreSQL: the same index, outbox and keys, selected by URL.

Runs when POC_TEST_DATABASE_URL names a PostgreSQL server (`.ci/run` starts one and sets it);
skipped locally without it, and a failure in CI when it is missing. The API's, the index's and
the outbox's suites run on PostgreSQL too (the `database` fixture, tests/databases.py); these
are the checks that only make sense there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from tests.databases import fresh_postgres_databases

pytestmark = pytest.mark.postgresql


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards."""
    with fresh_postgres_databases() as (url,):
        yield url


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


def test_requests_while_the_database_is_gone_are_503_database_unavailable(
    pg_url: str, tmp_path: Path, deployed: tuple[Chain, DeploymentRecord]
) -> None:
    chain, record = deployed
    settings = ApiSettings(data_dir=tmp_path, database_url=pg_url, keystore_scrypt_n=1 << 4)
    store = Store.open(pg_url)
    app = create_app(settings, store=store, chain=chain, deployment=record)
    try:
        with TestClient(app) as client:
            consortium = Consortium.create(chain, record, store, client)
            project_id = consortium.project_on_chain()
            consortium.sync()
            member = consortium.partner_b
            url = f"/v1/projects/{project_id}/contributions"
            assert client.get(f"/v1/projects/{project_id}", headers=member.headers).is_success
            # The database disappears under the running service, its connections cut.
            admin = sa.create_engine(
                sa.engine.make_url(pg_url).set(database="postgres"),
                isolation_level="AUTOCOMMIT",
                poolclass=sa.pool.NullPool,
            )
            with admin.connect() as conn:
                name = sa.engine.make_url(pg_url).database
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()
            answers = [
                # a key the service has seen (remembered), and one it must look up
                client.post(url, json=_body(member, project_id), headers=member.headers),
                client.get(url, headers={"X-API-Key": consortium.auditor_key}),
            ]
            for answer in answers:
                assert answer.status_code == 503, answer.text
                assert answer.json()["code"] == "database_unavailable"
                assert answer.headers["Retry-After"]
                assert "psycopg" not in answer.text and "SELECT" not in answer.text
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

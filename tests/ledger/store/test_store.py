"""The store's two databases: the index (rebuilt from the chain) and the outbox (not).

On SQLite they are two files: the index file may be lost or damaged and moved aside without
losing an accepted write or an API key; a damaged file is refused with a message that names it
and says what to do; a data directory from when one file held both is split on the first
start. On PostgreSQL (when `POC_TEST_DATABASE_URL` names a server) the outbox moves to its own
database the same way when given one.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from eth_typing import HexStr

from api.auth import Role, issue_api_key, rotate_api_key, verify_api_key
from ledger.domain.events import IdentitySet
from ledger.domain.values import checksum
from ledger.errors import CorruptDatabaseError
from ledger.store import Store
from ledger.store.engine import default_outbox_path
from ledger.store.outbox import OperationRecord
from ledger.store.records import IndexedEvent
from ledger.store.sealed import SealedRecord
from tests.databases import fresh_postgres_databases

ACTOR = "0x" + "11" * 20


def _operation(op_id: str, *, idempotency_key: str | None = None) -> OperationRecord:
    now = time.time()
    return OperationRecord(
        id=op_id,
        kind="register",
        actor=ACTOR,
        project_id=1,
        api_key_id=None,
        idempotency_key=idempotency_key,
        request_hash="ab" * 32,
        dedupe_key=f"dedupe-{op_id}",
        payload_json="{}",
        meta_json=None,
        status="accepted",
        tx_hash=None,
        block_number=None,
        block_hash=None,
        result_json=None,
        error_code=None,
        error_message=None,
        attempts=0,
        created_at=now,
        updated_at=now,
        sent_at=None,
        mined_at=None,
    )


def _event(block: int) -> IndexedEvent:
    return IndexedEvent(
        "PocLedger",
        IdentitySet(
            block_number=block,
            block_hash=HexStr("0x" + f"{block:064x}"),
            tx_hash=HexStr("0x" + "cd" * 32),
            log_index=0,
            account=checksum(ACTOR),
            name="A",
            company_number="1",
        ),
    )


def _tables(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}
    finally:
        connection.close()


def _corrupt(path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with path.open("r+b") as fh:
        fh.write(b"\xde\xad\xbe\xef" * 2048)


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_open_sqlite_file_keeps_outbox_and_keys_beside_the_index(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite3"
    store = Store.open(_url(index))
    try:
        assert store.index_path == index
        assert store.outbox_path == tmp_path / "outbox.sqlite3"
        store.outbox.add_operation(_operation("op1"))
        issue_api_key(store, ACTOR, Role.PARTNER, "k")
        store.index.append_events([_event(5)], to_block=5, to_hash="0x" + "05" * 32)
    finally:
        store.close()
    assert {"operations", "api_keys"} <= _tables(tmp_path / "outbox.sqlite3")
    assert not {"operations", "api_keys"} & _tables(index)
    assert {"index_events", "identities", "index_cursor"} <= _tables(index)
    assert not {"index_events", "identities"} & _tables(tmp_path / "outbox.sqlite3")


def test_default_outbox_path_of_other_index_names() -> None:
    assert default_outbox_path(Path("/d/index.sqlite3")) == Path("/d/outbox.sqlite3")
    assert default_outbox_path(Path("/d/resume.sqlite3")) == Path("/d/resume.outbox.sqlite3")


def test_deleted_index_keeps_pending_operations_and_keys(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite3"
    store = Store.open(_url(index))
    try:
        store.outbox.add_operation(_operation("op1"))
        key = issue_api_key(store, ACTOR, Role.PARTNER, "k")
        store.index.append_events([_event(5)], to_block=5, to_hash="0x" + "05" * 32)
    finally:
        store.close()
    for name in ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)

    store = Store.open(_url(index))
    try:
        assert store.index.cursor() is None
        assert [op.id for op in store.outbox.operations_in(["accepted"])] == ["op1"]
        assert verify_api_key(store, key) is not None
    finally:
        store.close()


def test_open_corrupt_index_names_file_and_way_out(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite3"
    store = Store.open(_url(index))
    store.outbox.add_operation(_operation("op1"))
    store.close()
    _corrupt(index)

    with pytest.raises(CorruptDatabaseError) as caught:
        Store.open(_url(index))
    message = str(caught.value)
    assert str(index) in message
    assert "file is not a database" in message
    assert "rebuilt from the chain" in message
    assert f"mv {index} {index}.corrupt" in message
    assert str(tmp_path / "outbox.sqlite3") in message  # what is kept, and where

    index.rename(tmp_path / "index.sqlite3.corrupt")
    store = Store.open(_url(index))
    try:
        assert store.outbox.operation("op1") is not None
    finally:
        store.close()


def test_open_corrupt_index_without_outbox_file_warns_of_old_layout(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite3"
    single = Store.open(_url(index), outbox_url=_url(index))
    single.close()
    _corrupt(index)

    with pytest.raises(CorruptDatabaseError, match=r"no outbox\.sqlite3 beside it") as caught:
        Store.open(_url(index))
    assert "the lost writes cannot" in str(caught.value)


def test_open_corrupt_outbox_says_not_to_delete_it(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite3"
    Store.open(_url(index)).close()
    _corrupt(tmp_path / "outbox.sqlite3")

    with pytest.raises(CorruptDatabaseError) as caught:
        Store.open(_url(index))
    message = str(caught.value)
    assert str(tmp_path / "outbox.sqlite3") in message
    assert "do not delete it" in message
    assert "backup" in message


def test_open_single_file_layout_moves_outbox_and_keys_out_of_index(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite3"
    old = Store.open(_url(index), outbox_url=_url(index))  # one file, as before the split
    try:
        old.outbox.add_operation(_operation("op1", idempotency_key="idem-1"))
        old.outbox.add_operation(_operation("op2"))
        first = issue_api_key(old, ACTOR, Role.PARTNER, "first")
        record = verify_api_key(old, first)
        assert record is not None
        rotated = rotate_api_key(old, record.key_id)  # the old key names its replacement
        old.index.append_events([_event(5)], to_block=5, to_hash="0x" + "05" * 32)
    finally:
        old.close()
    assert {"operations", "api_keys"} <= _tables(index)

    store = Store.open(_url(index))
    try:
        assert {op.id for op in store.outbox.operations_in(["accepted"])} == {"op1", "op2"}
        found = store.outbox.find_operation(actor=ACTOR, idempotency_key="idem-1")
        assert found is not None and found.id == "op1"
        assert verify_api_key(store, rotated.plaintext) is not None
        assert verify_api_key(store, first) is None
        old_key = store.keys.api_key(record.key_id)
        assert old_key is not None and old_key.replaced_by == rotated.record.key_id
        cursor = store.index.cursor()
        assert cursor is not None and cursor.block_number == 5
    finally:
        store.close()
    assert not {"operations", "api_keys"} & _tables(index)
    assert {"operations", "api_keys"} <= _tables(tmp_path / "outbox.sqlite3")

    again = Store.open(_url(index))  # nothing left to move: a second start changes nothing
    try:
        assert len(again.outbox.operations_in(["accepted"])) == 2
    finally:
        again.close()


# The operations table as the releases before `attempt_key` created it.
_OPERATIONS_BEFORE_ATTEMPT_KEY = """
CREATE TABLE operations (
    id VARCHAR(32) NOT NULL,
    kind VARCHAR(48) NOT NULL,
    actor VARCHAR(42) NOT NULL,
    project_id BIGINT,
    api_key_id VARCHAR(32),
    idempotency_key VARCHAR(200),
    request_hash VARCHAR(64) NOT NULL,
    dedupe_key VARCHAR(200),
    payload_json TEXT NOT NULL,
    meta_json TEXT,
    status VARCHAR(16) NOT NULL,
    tx_hash VARCHAR(66),
    block_number BIGINT,
    block_hash VARCHAR(66),
    result_json TEXT,
    error_code VARCHAR(64),
    error_message TEXT,
    attempts INTEGER NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    sent_at FLOAT,
    mined_at FLOAT,
    PRIMARY KEY (id),
    CONSTRAINT uq_operation_idempotency UNIQUE (actor, idempotency_key),
    UNIQUE (dedupe_key)
)
"""


def _old_outbox(url: str) -> None:
    """An outbox database written by an older release: one failed operation still holding
    its action (as those releases left it), one confirmed."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(_OPERATIONS_BEFORE_ATTEMPT_KEY))
            for op_id, status in (("failed-op", "failed"), ("done-op", "confirmed")):
                row = {**dataclasses.asdict(_operation(op_id)), "status": status}
                del row["attempt_key"], row["nonce_key"]
                columns = ", ".join(row)
                conn.execute(
                    sa.text(f"INSERT INTO operations ({columns}) VALUES (:{', :'.join(row)})"),
                    row,
                )
    finally:
        engine.dispose()


def _check_upgraded(store: Store) -> None:
    failed, done = store.outbox.operation("failed-op"), store.outbox.operation("done-op")
    assert failed is not None and failed.dedupe_key is None  # no longer blocks a new attempt
    assert done is not None and done.dedupe_key == "dedupe-done-op"
    signed = dataclasses.replace(_operation("signed-1"), attempt_key="sig:" + "ab" * 32)
    assert store.outbox.add_operation(signed).id == "signed-1"
    twin = dataclasses.replace(signed, id="signed-2", dedupe_key="dedupe-other")
    assert store.outbox.add_operation(twin).id == "signed-1"  # the attempt key is unique
    nonce = dataclasses.replace(
        _operation("nonce-1"), dedupe_key="dedupe-nonce-1", nonce_key="ledger:0xab:7"
    )
    assert store.outbox.add_operation(nonce).id == "nonce-1"
    other = dataclasses.replace(nonce, id="nonce-2", dedupe_key="dedupe-nonce-2")
    assert store.outbox.add_operation(other).id == "nonce-1"  # so is the nonce key


def test_open_outbox_of_an_older_release_adds_attempt_key_and_frees_failed_actions(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index.sqlite3"
    _old_outbox(_url(tmp_path / "outbox.sqlite3"))

    store = Store.open(_url(index))
    try:
        _check_upgraded(store)
    finally:
        store.close()
    reopened = Store.open(_url(index))  # nothing left to do the second time
    try:
        assert reopened.outbox.operation("signed-1") is not None
    finally:
        reopened.close()


def test_open_single_file_layout_of_an_older_release_upgrades_what_it_moves(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index.sqlite3"
    _old_outbox(_url(index))  # the outbox's table in the index file, without attempt_key

    store = Store.open(_url(index))
    try:
        _check_upgraded(store)
    finally:
        store.close()
    assert "operations" not in _tables(index)


def _sealed(record_id: str, ciphertext: bytes = b"\x01" * 40) -> SealedRecord:
    return SealedRecord(
        record_id=record_id,
        kind="card",
        project_id=1,
        subject="0x" + "aa" * 32,
        record_hash="0x" + "bb" * 32,
        key_id="k1",
        nonce=b"\x00" * 12,
        ciphertext=ciphertext,
        created_by=ACTOR,
        created_at=time.time(),
    )


def test_sealed_record_is_kept_in_the_outbox_database_and_never_replaced(
    tmp_path: Path,
) -> None:
    index = tmp_path / "index.sqlite3"
    store = Store.open(_url(index))
    try:
        first, created = store.sealed.add(_sealed("card:a:b"))
        assert created and first.ciphertext == b"\x01" * 40
        again, created_again = store.sealed.add(_sealed("card:a:b", b"\x02" * 40))
        assert not created_again and again == first
        store.sealed.add(_sealed("reason:a:c"))
        assert {r.record_id for r in store.sealed.about("0x" + "aa" * 32)} == {
            "card:a:b",
            "reason:a:c",
        }
        assert store.sealed.key_ids() == frozenset({"k1"})
    finally:
        store.close()
    assert "sealed_records" in _tables(tmp_path / "outbox.sqlite3")
    assert "sealed_records" not in _tables(index)
    # The index is rebuilt from the chain; the records are not: they survive its loss.
    for name in ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    store = Store.open(_url(index))
    try:
        record = store.sealed.get("card:a:b")
        assert record is not None and record.ciphertext == b"\x01" * 40
        assert store.sealed.get("card:a:x") is None
    finally:
        store.close()


def test_open_in_memory_keeps_one_database() -> None:
    store = Store.open("sqlite://")
    try:
        assert store.index_path is None and store.outbox_path is None
        store.outbox.add_operation(_operation("op1"))
        assert store.outbox.operation("op1") is not None
        assert store.ping()
    finally:
        store.close()


@pytest.fixture
def pg_urls() -> Iterator[tuple[str, str]]:
    """Two fresh databases on the test PostgreSQL server (`POC_TEST_DATABASE_URL`)."""
    with fresh_postgres_databases(2) as (index, outbox):
        yield index, outbox


def _pg_tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_open_postgres_outbox_of_an_older_release_adds_attempt_key(
    pg_urls: tuple[str, str],
) -> None:
    index, outbox = pg_urls
    _old_outbox(outbox)

    store = Store.open(index, outbox_url=outbox)
    try:
        _check_upgraded(store)
    finally:
        store.close()
    reopened = Store.open(index, outbox_url=outbox)
    try:
        assert reopened.outbox.operation("signed-1") is not None
    finally:
        reopened.close()


def test_open_postgres_with_outbox_url_moves_outbox_to_its_database(
    pg_urls: tuple[str, str],
) -> None:
    index, outbox = pg_urls
    single = Store.open(index)  # PostgreSQL without an outbox URL: one database
    try:
        single.outbox.add_operation(_operation("op1"))
        key = issue_api_key(single, ACTOR, Role.PARTNER, "pg")
    finally:
        single.close()
    assert {"operations", "api_keys", "index_events"} <= _pg_tables(index)

    store = Store.open(index, outbox_url=outbox)
    try:
        assert store.outbox.operation("op1") is not None
        assert verify_api_key(store, key) is not None
    finally:
        store.close()
    assert not {"operations", "api_keys"} & _pg_tables(index)
    assert {"operations", "api_keys"} <= _pg_tables(outbox)
    assert "index_events" not in _pg_tables(outbox)


def test_sealed_records_on_postgres_keep_their_bytes(pg_urls: tuple[str, str]) -> None:
    index, outbox = pg_urls
    store = Store.open(index, outbox_url=outbox)
    binary = bytes(range(256))
    try:
        store.sealed.add(_sealed("card:pg:1", binary))
        _, created = store.sealed.add(_sealed("card:pg:1", b"other"))
        assert not created
        record = store.sealed.get("card:pg:1")
        assert record is not None and record.ciphertext == binary
    finally:
        store.close()
    assert "sealed_records" in _pg_tables(outbox)
    assert "sealed_records" not in _pg_tables(index)

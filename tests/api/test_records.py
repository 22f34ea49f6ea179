"""Cards and reasons at rest: sealed in the durable database, the key apart from it.

- A copy of the database files alone holds none of the words (scanned byte by byte, in UTF-8
  and UTF-16, together with the -wal and -shm files; on PostgreSQL every column of every row).
- A record altered in the database (a byte flipped, another text sealed with the right key
  under the same id, a record moved to another contribution) is refused as valid.
- The key: made on first start, refused when it is missing or wrong for stored records.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from api.services.records import Records, card_record_id, load_records_key
from api.settings import ApiSettings
from ledger.domain.cards import ContributionCard, DisputeReason
from ledger.errors import RecordIntegrityError, RecordKeyError
from ledger.sealing import RecordKey
from ledger.store import Store
from poc.wiring import create_app

AUTHOR = "0x" + "12" * 20
CID = "0x" + "c1" * 32
OTHER_CID = "0x" + "c2" * 32
# Words that must never appear in the database, each distinctive enough to find if stored.
SECRETS = {
    "title": "Zwavelvrije rotting van vlasvezel",
    "description": "Enzymatische voorbehandeling bij 37 graden, proef Kortrijk-Noord",
    "file": "geheim-recept-vlas-v7.xlsx",
    "keyword": "pectinase-mengsel",
    "note": "verfijnt de decorticator-instellingen",
    "reason": "Dit werd al in 2019 door Lab Gent gepubliceerd",
    "unicode": "Ελληνικά-σημειώσεις-🧵",
}


def _card() -> ContributionCard:
    return ContributionCard.create(
        title=SECRETS["title"],
        description=SECRETS["description"],
        file_name=SECRETS["file"],
        media_type="application/vnd.ms-excel",
        size=48213,
        keywords=[SECRETS["keyword"], SECRETS["unicode"]],
        parent_notes={OTHER_CID: SECRETS["note"]},
    )


def _reason() -> DisputeReason:
    return DisputeReason.create(text=SECRETS["reason"])


def _forms(word: str) -> list[bytes]:
    """How a word may sit in a file: UTF-8, UTF-16 (both byte orders), JSON-escaped."""
    escaped = word.encode("ascii", "backslashreplace").decode().replace("\\U", "\\u")
    return [word.encode(), word.encode("utf-16-le"), word.encode("utf-16-be"), escaped.encode()]


def _assert_absent(blob: bytes, where: str, card: ContributionCard) -> None:
    for name, word in SECRETS.items():
        for form in _forms(word):
            assert form not in blob, f"{name} ({word!r}) found in {where}"
    # Not even the salt, which would let a holder of the database test guesses of the card.
    assert card.salt.hex().encode() not in blob and card.salt not in blob, where


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'data' / 'index.sqlite3'}")
    yield store
    store.close()


def test_database_files_hold_no_word_of_a_card_or_reason(
    tmp_path: Path, sqlite_store: Store
) -> None:
    key = RecordKey.generate()
    records = Records(sqlite_store, key)
    card, reason = _card(), _reason()
    records.keep_card(project_id=1, contribution_id=CID, card=card, author=AUTHOR)
    records.keep_reason(project_id=1, contribution_id=CID, reason=reason, author=AUTHOR)
    # Read back (so pages and caches were touched), then scan every file while the store is
    # open (WAL holds the newest pages) and once more after it closed (checkpointed).
    assert records.card(CID, card.hash_hex()) == card
    assert records.reason(CID, reason.hash_hex()) == reason
    files = [p for p in (tmp_path / "data").iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"index.sqlite3", "outbox.sqlite3"}
    for path in files:
        _assert_absent(path.read_bytes(), path.name, card)
    sqlite_store.close()
    for path in (tmp_path / "data").iterdir():
        if path.is_file():
            _assert_absent(path.read_bytes(), path.name, card)


@pytest.fixture
def pg_store() -> Iterator[tuple[Store, str]]:
    url = os.environ.get("POC_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("POC_TEST_DATABASE_URL is not set: .ci/run should start PostgreSQL")
        pytest.skip("no PostgreSQL: set POC_TEST_DATABASE_URL")
    name = f"poc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db_url = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    store = Store.open(db_url)
    try:
        yield store, db_url
    finally:
        store.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgres_rows_hold_no_word_of_a_card_or_reason(pg_store: tuple[Store, str]) -> None:
    store, url = pg_store
    records = Records(store, RecordKey.generate())
    card = _card()
    records.keep_card(project_id=1, contribution_id=CID, card=card, author=AUTHOR)
    records.keep_reason(project_id=1, contribution_id=CID, reason=_reason(), author=AUTHOR)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            dump = bytearray()
            for table in sa.inspect(conn).get_table_names():
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        dump += value if isinstance(value, bytes) else str(value).encode()
    finally:
        engine.dispose()
    assert b"card:" + CID.encode() in dump  # the scan saw the sealed rows
    _assert_absent(bytes(dump), "PostgreSQL", card)


def _tamper(store: Store, record_id: str, **values: object) -> None:
    """Change a sealed row behind the service's back, as someone with the database would."""
    assert store.outbox_path is not None
    engine = sa.create_engine(f"sqlite:///{store.outbox_path}")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE sealed_records SET "
                + ", ".join(f"{k} = :{k}" for k in values)
                + " WHERE record_id = :record_id"
            ),
            {**values, "record_id": record_id},
        )
    engine.dispose()


def test_card_with_a_flipped_byte_is_refused_as_altered(sqlite_store: Store) -> None:
    records = Records(sqlite_store, RecordKey.generate())
    card = _card()
    stored = records.keep_card(project_id=1, contribution_id=CID, card=card, author=AUTHOR)
    body = bytearray(stored.ciphertext)
    body[len(body) // 2] ^= 0x01
    _tamper(sqlite_store, stored.record_id, ciphertext=bytes(body))
    with pytest.raises(RecordIntegrityError) as caught:
        records.card(CID, card.hash_hex())
    assert caught.value.code == "card_altered"
    assert card.hash_hex() in str(caught.value)


def test_card_resealed_with_other_words_by_a_key_holder_is_refused(sqlite_store: Store) -> None:
    # The operator holds the key: it can seal any text under the record's id. It cannot make
    # that text hash to the value the partner signed.
    key = RecordKey.generate()
    records = Records(sqlite_store, key)
    card = _card()
    stored = records.keep_card(project_id=1, contribution_id=CID, card=card, author=AUTHOR)
    forged = ContributionCard.create(title="Vlasroot v2 (by the operator)", salt=card.salt)
    sealed = key.seal(stored.record_id, forged.canonical())
    _tamper(sqlite_store, stored.record_id, nonce=sealed.nonce, ciphertext=sealed.ciphertext)
    with pytest.raises(RecordIntegrityError) as caught:
        records.card(CID, card.hash_hex())
    assert caught.value.code == "card_altered"
    assert forged.hash_hex() in str(caught.value)


def test_card_moved_to_another_contribution_does_not_open(sqlite_store: Store) -> None:
    records = Records(sqlite_store, RecordKey.generate())
    card = _card()
    stored = records.keep_card(project_id=1, contribution_id=CID, card=card, author=AUTHOR)
    moved = card_record_id(OTHER_CID, card.hash_hex())
    # Copied row by row to another contribution's id: the associated data no longer matches.
    sqlite_store.sealed.add(dataclasses.replace(stored, record_id=moved, subject=OTHER_CID))
    with pytest.raises(RecordIntegrityError) as caught:
        records.card(OTHER_CID, card.hash_hex())
    assert caught.value.code == "card_altered"


def test_reason_altered_is_refused(sqlite_store: Store) -> None:
    key = RecordKey.generate()
    records = Records(sqlite_store, key)
    reason = _reason()
    stored = records.keep_reason(project_id=1, contribution_id=CID, reason=reason, author=AUTHOR)
    sealed = key.seal(stored.record_id, b'{"not": "a reason"}')
    _tamper(sqlite_store, stored.record_id, nonce=sealed.nonce, ciphertext=sealed.ciphertext)
    with pytest.raises(RecordIntegrityError) as caught:
        records.reason(CID, reason.hash_hex())
    assert caught.value.code == "reason_altered"


def test_card_not_kept_reads_as_none(sqlite_store: Store) -> None:
    records = Records(sqlite_store, RecordKey.generate())
    assert records.card(CID, "0x" + "00" * 32) is None


def test_keeping_a_card_twice_keeps_the_first_record(sqlite_store: Store) -> None:
    records = Records(sqlite_store, RecordKey.generate())
    card = _card()
    first = records.keep_card(project_id=1, contribution_id=CID, card=card, author=AUTHOR)
    second = records.keep_card(project_id=1, contribution_id=CID, card=card, author=AUTHOR)
    assert second == first


# ------------------------------------------------------------------------------ the key


def test_app_start_makes_the_key_file_outside_the_database(tmp_path: Path) -> None:
    settings = ApiSettings(data_dir=tmp_path, start_workers=False)
    create_app(settings)
    key_file = tmp_path / "records.key"
    assert key_file.is_file() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    store = Store.open(settings.resolved_database_url)
    try:
        again = load_records_key(settings, store)
    finally:
        store.close()
    assert again.key_id == RecordKey.load_file(key_file).key_id


def test_missing_key_file_with_stored_records_is_refused(tmp_path: Path) -> None:
    settings = ApiSettings(data_dir=tmp_path, start_workers=False)
    store = Store.open(settings.resolved_database_url)
    try:
        key = load_records_key(settings, store)
        Records(store, key).keep_card(
            project_id=1, contribution_id=CID, card=_card(), author=AUTHOR
        )
        (tmp_path / "records.key").unlink()
        with pytest.raises(RecordKeyError) as caught:
            load_records_key(settings, store)
        assert key.key_id in str(caught.value) and "restore" in str(caught.value)
        assert not (tmp_path / "records.key").exists()  # no new key that could read nothing
    finally:
        store.close()


def test_wrong_key_setting_with_stored_records_is_refused(tmp_path: Path) -> None:
    settings = ApiSettings(data_dir=tmp_path, start_workers=False)
    store = Store.open(settings.resolved_database_url)
    try:
        key = load_records_key(settings, store)
        Records(store, key).keep_card(
            project_id=1, contribution_id=CID, card=_card(), author=AUTHOR
        )
        other = ApiSettings(
            data_dir=tmp_path, start_workers=False, records_key=SecretStr("00" * 32)
        )
        with pytest.raises(RecordKeyError):
            load_records_key(other, store)
        same = ApiSettings(
            data_dir=tmp_path,
            start_workers=False,
            records_key=SecretStr((tmp_path / "records.key").read_text()),
        )
        assert load_records_key(same, store).key_id == key.key_id
    finally:
        store.close()

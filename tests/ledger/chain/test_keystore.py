"""Encrypted keystore files for custodial keys (ledger.chain.keystore)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from ledger.chain.connection import ChainConfig, load_signer
from ledger.chain.keystore import KeyStore
from ledger.errors import ConfigurationError, KeyLoadError

# The lightest valid scrypt cost: these tests check behaviour, not key stretching.
FAST = 1 << 4


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys", "secret", scrypt_n=FAST)


def test_keystore_create_then_load_returns_same_key(store: KeyStore) -> None:
    account = store.create("leievlas")
    assert store.load("leievlas").key == account.key
    assert store.load_address(account.address.lower()).address == account.address
    assert "leievlas" in store
    assert [(e.label, e.address) for e in store.entries()] == [("leievlas", account.address)]


def test_keystore_file_is_owner_only_v3_json(store: KeyStore) -> None:
    account = store.create("relayer")
    path = store.path_of("relayer")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keyfile = json.loads(path.read_text())
    assert keyfile["version"] == 3
    assert keyfile["crypto"]["kdfparams"]["n"] == FAST
    assert Account.decrypt(keyfile, "secret") == account.key


def test_keystore_file_loads_as_deployer_keystore(store: KeyStore, tmp_path: Path) -> None:
    account = store.create("deployer")
    password = tmp_path / "password"
    password.write_text("secret\n")
    config = ChainConfig(keystore_path=store.path_of("deployer"), keystore_password_file=password)
    assert load_signer(config).address == account.address


def test_keystore_load_or_create_keeps_existing_key(store: KeyStore) -> None:
    first = store.load_or_create("lab")
    assert store.load_or_create("lab").address == first.address


def test_keystore_refuses_to_overwrite(store: KeyStore) -> None:
    store.create("lab")
    with pytest.raises(ConfigurationError, match="already exists"):
        store.add("lab", Account.create())


def test_keystore_wrong_password_raises_key_load_error(store: KeyStore) -> None:
    store.create("lab")
    other = KeyStore(store.directory, "wrong", scrypt_n=FAST)
    with pytest.raises(KeyLoadError, match="wrong password"):
        other.load("lab")


def test_keystore_missing_or_malformed_raises_key_load_error(store: KeyStore) -> None:
    with pytest.raises(KeyLoadError, match="no keystore"):
        store.load("absent")
    with pytest.raises(KeyLoadError, match="no keystore in"):
        store.load_address("0x" + "11" * 20)
    store.directory.mkdir(parents=True, exist_ok=True)
    store.path_of("broken").write_text("{not json")
    with pytest.raises(KeyLoadError, match="not JSON"):
        store.load("broken")


@pytest.mark.parametrize("label", ["", "../escape", "UPPER", "a/b", "-dash", "x" * 65])
def test_keystore_rejects_unsafe_labels(store: KeyStore, label: str) -> None:
    with pytest.raises(ConfigurationError, match="keystore label"):
        store.path_of(label)


def test_keystore_rejects_empty_password_and_bad_cost(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="password"):
        KeyStore(tmp_path, "")
    with pytest.raises(ConfigurationError, match="power of two"):
        KeyStore(tmp_path, "pw", scrypt_n=1000)

"""Connecting: configuration, the three backends, signers, snapshots and time travel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from ledger.chain.connection import (
    Backend,
    Chain,
    ChainConfig,
    SyncWebSocketProvider,
    check_external,
    connect,
    connect_external,
    derive_dev_accounts,
    load_signer,
)
from ledger.errors import (
    ChainIdMismatchError,
    ConfigurationError,
    KeyLoadError,
    RpcConnectionError,
    SnapshotError,
)
from poc.sandbox.anvil import AnvilProcess, free_port

ANVIL_CHAIN_ID = 31337
# The tenth anvil dev account: the tests sending through the external backend use it so they
# never share a nonce with senders of the session anvil chain.
EXTERNAL_ACCOUNT = 9


def _keystore(tmp_path: Path, key: bytes, password: str) -> Path:
    # pbkdf2 with few iterations: a real keystore's scrypt takes most of a second.
    keyfile = Account.encrypt(key, password, kdf="pbkdf2", iterations=2)
    path = tmp_path / "deployer.json"
    path.write_text(json.dumps(keyfile))
    return path


# -- configuration ------------------------------------------------------------------------------


def test_config_from_empty_env_is_memory() -> None:
    assert ChainConfig.from_env({}).backend is Backend.MEMORY


def test_config_from_env_with_rpc_url_is_external() -> None:
    config = ChainConfig.from_env(
        {"POC_RPC_URL": "https://rpc.example.org", "POC_CHAIN_ID": "10", "POC_POA": "yes"}
    )

    assert config.backend is Backend.EXTERNAL
    assert config.rpc_url == "https://rpc.example.org"
    assert config.expected_chain_id == 10 and config.poa is True


def test_config_from_env_reads_anvil_settings(tmp_path: Path) -> None:
    config = ChainConfig.from_env(
        {
            "POC_CHAIN_BACKEND": "anvil",
            "POC_DATA_DIR": str(tmp_path),
            "POC_ANVIL_PORT": "8545",
            "POC_BLOCK_TIME": "0.5",
        }
    )

    assert config.backend is Backend.ANVIL
    assert config.data_dir == tmp_path and config.anvil_port == 8545
    assert config.block_time == 0.5


def test_config_hides_secrets_in_repr() -> None:
    config = ChainConfig(private_key="0x" + "11" * 32, keystore_password="hunter2")

    assert "11" * 32 not in repr(config) and "hunter2" not in repr(config)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"POC_CHAIN_BACKEND": "external"}, "rpc_url"),
        ({"POC_RPC_URL": "ftp://node"}, "http"),
        ({"POC_CHAIN_BACKEND": "mainnet"}, "POC_CHAIN_BACKEND"),
        ({"POC_CHAIN_ID": "one"}, "POC_CHAIN_ID"),
        ({"POC_PRIVATE_KEY": "0x01", "POC_KEYSTORE": "/k.json"}, "not both"),
    ],
)
def test_config_rejects_inconsistent_env(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ChainConfig.from_env(env)


# -- signers ------------------------------------------------------------------------------------


def test_keystore_round_trip_through_env(tmp_path: Path) -> None:
    account = Account.create()
    path = _keystore(tmp_path, account.key, "correct horse")
    env = {
        "POC_RPC_URL": "http://127.0.0.1:1",
        "POC_KEYSTORE": str(path),
        "POC_KEYSTORE_PASSWORD": "correct horse",
    }

    signer = load_signer(ChainConfig.from_env(env))

    assert signer.address == account.address
    assert signer.key == account.key


def test_keystore_password_file_ignores_final_newline(tmp_path: Path) -> None:
    account = Account.create()
    path = _keystore(tmp_path, account.key, "s3cret")
    password_file = tmp_path / "password.txt"
    password_file.write_text("s3cret\n")
    env = {"POC_KEYSTORE": str(path), "POC_KEYSTORE_PASSWORD_FILE": str(password_file)}

    assert load_signer(ChainConfig.from_env(env)).address == account.address


def test_keystore_with_wrong_password_raises_key_load_error(tmp_path: Path) -> None:
    path = _keystore(tmp_path, Account.create().key, "right")
    config = ChainConfig(keystore_path=path, keystore_password="wrong")

    with pytest.raises(KeyLoadError, match="wrong password"):
        load_signer(config)


def test_keystore_without_password_raises_key_load_error(tmp_path: Path) -> None:
    path = _keystore(tmp_path, Account.create().key, "right")

    with pytest.raises(KeyLoadError, match="POC_KEYSTORE_PASSWORD"):
        load_signer(ChainConfig(keystore_path=path))


def test_malformed_private_key_raises_without_echoing_it() -> None:
    with pytest.raises(KeyLoadError) as raised:
        load_signer(ChainConfig(private_key="0x1234nothex"))

    assert "1234nothex" not in str(raised.value)


# -- backends -----------------------------------------------------------------------------------


def test_memory_chain_has_funded_dev_accounts() -> None:
    with connect(ChainConfig()) as chain:
        assert chain.backend is Backend.MEMORY and chain.is_dev
        assert len(chain.accounts) == 10
        assert chain.accounts[0].key == (1).to_bytes(32, "big")  # eth-tester's default keys
        for account in chain.accounts:
            assert chain.w3.eth.get_balance(account.address) >= 10**24


def test_memory_chains_are_independent() -> None:
    with connect() as first, connect() as second:
        first.sender(0).transfer(first.accounts[1].address, 1)

        assert first.block_number() == 1
        assert second.block_number() == 0


@pytest.mark.anvil
def test_anvil_dev_accounts_match_the_node(anvil_chain: Chain) -> None:
    node_accounts = anvil_chain.w3.eth.accounts

    assert [a.address for a in anvil_chain.accounts] == list(node_accounts)
    assert anvil_chain.chain_id == ANVIL_CHAIN_ID
    assert derive_dev_accounts(anvil_chain.config.mnemonic, 2)[0].address == node_accounts[0]


def test_connect_anvil_backend_wants_a_node_from_its_caller() -> None:
    with pytest.raises(ConfigurationError, match="connect_anvil"):
        connect(ChainConfig(backend=Backend.ANVIL))


@pytest.mark.anvil
@pytest.mark.parametrize("scheme", ["http", "ws"])
def test_external_backend_sends_through_any_json_rpc_url(
    anvil_chain: Chain, anvil_node: AnvilProcess, scheme: str
) -> None:
    key = anvil_chain.accounts[EXTERNAL_ACCOUNT].key
    env = {
        "POC_RPC_URL": anvil_node.url if scheme == "http" else anvil_node.ws_url,
        "POC_PRIVATE_KEY": Web3.to_hex(key),
        "POC_CHAIN_ID": str(ANVIL_CHAIN_ID),
    }

    with connect(ChainConfig.from_env(env)) as external:
        assert external.backend is Backend.EXTERNAL and not external.is_dev
        assert external.chain_id == ANVIL_CHAIN_ID
        assert [a.address for a in external.accounts] == [
            anvil_chain.accounts[EXTERNAL_ACCOUNT].address
        ]
        if scheme == "ws":
            assert isinstance(external.w3.provider, SyncWebSocketProvider)
        receipt = external.sender().transfer(anvil_chain.accounts[0].address, 7)

        assert receipt.succeeded
        assert external.genesis_hash() == anvil_chain.genesis_hash()
        assert anvil_chain.w3.eth.get_transaction_receipt(receipt.tx_hash)["status"] == 1


@pytest.mark.anvil
def test_external_backend_without_key_is_read_only(anvil_node: AnvilProcess) -> None:
    config = ChainConfig(backend=Backend.EXTERNAL, rpc_url=anvil_node.url)

    with connect_external(config) as external:
        assert external.accounts == ()
        assert external.block_number() >= 0
        with pytest.raises(ConfigurationError, match="POC_PRIVATE_KEY"):
            external.sender()


@pytest.mark.anvil
def test_external_backend_rejects_unexpected_chain_id(anvil_node: AnvilProcess) -> None:
    config = ChainConfig(backend=Backend.EXTERNAL, rpc_url=anvil_node.url, expected_chain_id=1)

    with pytest.raises(ChainIdMismatchError, match="31337"):
        connect_external(config)


@pytest.mark.anvil
def test_external_backend_detects_no_poa_on_anvil_and_can_force_it(
    anvil_node: AnvilProcess,
) -> None:
    plain = connect_external(ChainConfig(backend=Backend.EXTERNAL, rpc_url=anvil_node.url))
    forced = connect_external(
        ChainConfig(backend=Backend.EXTERNAL, rpc_url=anvil_node.url, poa=True)
    )

    assert "poa" not in plain.w3.middleware_onion
    assert "poa" in forced.w3.middleware_onion
    # With the POA middleware, extraData is exposed under its POA name.
    assert "proofOfAuthorityData" in forced.w3.eth.get_block("latest")


@pytest.mark.anvil
def test_external_chain_snapshots_only_where_the_node_offers_them(
    anvil_node: AnvilProcess,
) -> None:
    # anvil reached as "any node" still answers evm_snapshot; eth-tester-less nodes that do
    # not are covered by the SnapshotError branch below.
    external = connect_external(ChainConfig(backend=Backend.EXTERNAL, rpc_url=anvil_node.url))
    snapshot = external.snapshot()
    external.revert(snapshot)

    with pytest.raises(SnapshotError):
        external.revert(snapshot)  # anvil consumed it


# -- dev chain helpers --------------------------------------------------------------------------


def test_snapshot_and_revert_restore_state(chain: Chain) -> None:
    to = chain.accounts[1].address
    before_block = chain.block_number()
    before_balance = chain.w3.eth.get_balance(to)
    snapshot = chain.snapshot()
    chain.sender(0).transfer(to, 10**18)

    chain.revert(snapshot)

    assert chain.block_number() == before_block
    assert chain.w3.eth.get_balance(to) == before_balance


def test_increase_time_moves_the_clock(chain: Chain) -> None:
    before = chain.w3.eth.get_block("latest")["timestamp"]

    after = chain.increase_time(3600)

    assert after >= before + 3600
    assert chain.w3.eth.get_block("latest")["timestamp"] == after


def test_mine_adds_blocks(chain: Chain) -> None:
    before = chain.block_number()

    chain.mine(3)

    assert chain.block_number() == before + 3


def test_genesis_hash_is_block_zero(chain: Chain) -> None:
    assert chain.genesis_hash() == Web3.to_hex(chain.w3.eth.get_block(0)["hash"])


def test_sender_is_shared_per_account(chain: Chain) -> None:
    by_index = chain.sender(3)

    assert chain.sender(chain.accounts[3].address) is by_index
    assert chain.sender(chain.accounts[3]) is by_index


def test_sender_for_unknown_account_raises(chain: Chain) -> None:
    with pytest.raises(ConfigurationError):
        chain.sender(99)
    with pytest.raises(ConfigurationError):
        chain.sender(Account.create().address)


@pytest.mark.anvil
def test_external_backend_started_while_node_is_down_is_checked_when_it_answers(
    tmp_path: Path,
) -> None:
    port = free_port()
    config = ChainConfig(backend=Backend.EXTERNAL, rpc_url=f"http://127.0.0.1:{port}")
    with pytest.raises(RpcConnectionError):
        connect_external(config)

    waiting = connect_external(config, unreachable_chain_id=ANVIL_CHAIN_ID)
    assert waiting.chain_id == ANVIL_CHAIN_ID
    with pytest.raises(RpcConnectionError):
        check_external(waiting)

    other = AnvilProcess(tmp_path / "other", port=port, chain_id=999, persist=False).start()
    try:
        with pytest.raises(ChainIdMismatchError, match="999"):
            check_external(waiting)
    finally:
        other.stop()
    right = AnvilProcess(tmp_path / "right", port=port, persist=False).start()
    try:
        check_external(waiting)
        assert waiting.chain_id == ANVIL_CHAIN_ID
        assert waiting.block_number() >= 0
    finally:
        right.stop()

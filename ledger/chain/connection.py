"""Connecting to a chain: one `Chain` interface over three backends.

- `memory`: eth-tester with py-evm inside this process (fast tests; funded dev accounts are
  eth-tester's default keys 0x…01 to 0x…0a).
- `anvil`: a dev node run by the caller (`connect_anvil(config, node)`; the sandbox's
  `poc.sandbox.anvil.AnvilProcess` is one), dev accounts derived from its mnemonic.
- `external`: any JSON-RPC endpoint (http, https, ws, wss), signing with a key from the
  environment (`POC_PRIVATE_KEY`) or an encrypted keystore. Nothing assumes anvil: the chain id
  comes from eth_chainId, and proof-of-authority chains (extraData longer than 32 bytes, as on
  Besu/Clique networks) get web3's ExtraDataToPOAMiddleware.

`ChainConfig` says which backend and how; `connect(config)` returns a `Chain` holding `w3`,
`chain_id`, the signing accounts and one `TxSender` per account. Dev chains (memory, anvil)
also offer snapshots and time travel for tests.

Lives elsewhere: sending (`ledger.chain.transactions`), the anvil process (`poc.sandbox.anvil`),
exception translation (`ledger.chain.translate`), deployments (`ledger.chain.deployment_record`).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import urlparse

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from eth_typing import HexStr
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers import JSONBaseProvider
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import RPCEndpoint, RPCResponse
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from ledger.chain.receipts import DEFAULT_POLL_INTERVAL, DEFAULT_RECEIPT_TIMEOUT
from ledger.chain.transactions import TxSender
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.errors import (
    ChainIdMismatchError,
    ConfigurationError,
    KeyLoadError,
    RpcConnectionError,
    RpcError,
    SnapshotError,
)

ENV_PREFIX = "POC_"
_POA_EXTRA_DATA_LIMIT = 32
#: The dev chain's defaults (anvil's and hardhat's): its chain id and the mnemonic of its
#: funded accounts, a public test mnemonic.
DEFAULT_CHAIN_ID = 31337
DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"


class DevNode(Protocol):
    """A dev node process that someone else runs (`poc.sandbox.anvil.AnvilProcess`): what a
    `Chain` needs of it to connect, derive its accounts and, if it owns it, stop it."""

    @property
    def url(self) -> str:
        """Its JSON-RPC endpoint (http)."""
        ...

    @property
    def chain_id(self) -> int: ...

    @property
    def mnemonic(self) -> str: ...

    @property
    def accounts(self) -> int:
        """How many dev accounts it funds."""
        ...

    def stop(self) -> None:
        """Stop the process (a dev node saves its state on the way out)."""
        ...


class Backend(StrEnum):
    """Which kind of chain to connect to."""

    MEMORY = "memory"
    ANVIL = "anvil"
    EXTERNAL = "external"


@dataclass(frozen=True)
class ChainConfig:
    """How to reach a chain and sign on it. Build directly, or `from_env()`.

    Environment variables (all optional): POC_CHAIN_BACKEND (memory|anvil|external; external
    is implied by POC_RPC_URL), POC_RPC_URL, POC_PRIVATE_KEY, POC_KEYSTORE,
    POC_KEYSTORE_PASSWORD, POC_KEYSTORE_PASSWORD_FILE, POC_CHAIN_ID (expected chain id),
    POC_POA (1/0), POC_DATA_DIR, POC_ANVIL_BIN, POC_ANVIL_PORT, POC_ANVIL_CHAIN_ID,
    POC_MNEMONIC, POC_BLOCK_TIME, POC_REQUEST_TIMEOUT.
    """

    backend: Backend = Backend.MEMORY
    # external: endpoint and signer
    rpc_url: str | None = None
    private_key: str | None = field(default=None, repr=False)
    keystore_path: Path | None = None
    keystore_password: str | None = field(default=None, repr=False)
    keystore_password_file: Path | None = None
    expected_chain_id: int | None = None
    poa: bool | None = None  # None: detect from the latest block's extraData
    # anvil: the managed node
    data_dir: Path | None = None  # None: a temporary directory removed on close
    anvil_bin: Path | None = None
    anvil_port: int = 0  # 0: a free port
    anvil_chain_id: int = DEFAULT_CHAIN_ID
    mnemonic: str = field(default=DEFAULT_MNEMONIC, repr=False)
    dev_accounts: int = 10
    block_time: float | None = None  # None: mine on every transaction
    anvil_state_interval: int = 1  # seconds between saves of the state (while blocks come)
    anvil_preserve_history: bool = True  # state at old blocks survives restarts (costly)
    # all backends: transport and sending
    request_timeout: float = 30.0
    rpc_retries: int = 3
    poll_interval: float = DEFAULT_POLL_INTERVAL
    receipt_timeout: float = DEFAULT_RECEIPT_TIMEOUT
    priority_fee: int | None = None  # None: ask the node

    def __post_init__(self) -> None:
        object.__setattr__(self, "backend", Backend(self.backend))
        if self.backend is Backend.EXTERNAL:
            if not self.rpc_url:
                raise ConfigurationError("the external backend needs rpc_url (POC_RPC_URL)")
            scheme = urlparse(self.rpc_url).scheme
            if scheme not in ("http", "https", "ws", "wss"):
                raise ConfigurationError(
                    f"rpc_url must be http(s):// or ws(s)://, got {self.rpc_url!r}"
                )
        if self.private_key and self.keystore_path:
            raise ConfigurationError("give either a private key or a keystore, not both")
        if self.keystore_password is not None and self.keystore_password_file is not None:
            raise ConfigurationError("give the keystore password or a password file, not both")
        if self.dev_accounts < 1:
            raise ConfigurationError("dev_accounts must be at least 1")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ChainConfig:
        """Read the POC_* variables of `environ` (default: os.environ); `overrides` win."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        def path(name: str) -> Path | None:
            value = get(name)
            return Path(value).expanduser() if value else None

        def number(name: str, kind: type[int] | type[float]) -> Any:
            value = get(name)
            if value is None:
                return None
            try:
                return kind(value)
            except ValueError as exc:
                raise ConfigurationError(
                    f"{ENV_PREFIX}{name} must be a number, got {value!r}"
                ) from exc

        values: dict[str, Any] = {
            "rpc_url": get("RPC_URL"),
            "private_key": get("PRIVATE_KEY"),
            "keystore_path": path("KEYSTORE"),
            "keystore_password": get("KEYSTORE_PASSWORD"),
            "keystore_password_file": path("KEYSTORE_PASSWORD_FILE"),
            "expected_chain_id": number("CHAIN_ID", int),
            "data_dir": path("DATA_DIR"),
            "anvil_bin": path("ANVIL_BIN"),
            "anvil_port": number("ANVIL_PORT", int),
            "anvil_chain_id": number("ANVIL_CHAIN_ID", int),
            "mnemonic": get("MNEMONIC"),
            "block_time": number("BLOCK_TIME", float),
            "request_timeout": number("REQUEST_TIMEOUT", float),
        }
        backend = get("CHAIN_BACKEND")
        if backend is not None:
            try:
                values["backend"] = Backend(backend.lower())
            except ValueError as exc:
                choices = ", ".join(b.value for b in Backend)
                raise ConfigurationError(
                    f"{ENV_PREFIX}CHAIN_BACKEND must be one of {choices}, got {backend!r}"
                ) from exc
        elif values["rpc_url"]:
            values["backend"] = Backend.EXTERNAL
        poa = get("POA")
        if poa is not None:
            values["poa"] = poa.lower() in ("1", "true", "yes", "on")
        values = {key: value for key, value in values.items() if value is not None}
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class Snapshot:
    """A point of a dev chain to revert to. On anvil a revert consumes it."""

    token: int | str


class Chain:
    """A connected chain: `w3`, `chain_id`, signing `accounts` and their senders.

    Close it (or use it as a context manager) to stop a node it started.
    """

    def __init__(
        self,
        w3: Web3,
        *,
        backend: Backend,
        chain_id: int,
        accounts: Sequence[LocalAccount],
        config: ChainConfig,
        tester: EthereumTester | None = None,
        tester_lock: threading.RLock | None = None,
        node: DevNode | None = None,
        owns_node: bool = False,
        temp_dir: Path | None = None,
    ) -> None:
        self.w3 = w3
        self.backend = backend
        self.chain_id = chain_id
        self.accounts: tuple[LocalAccount, ...] = tuple(accounts)
        self.config = config
        self.node = node
        self._tester = tester
        self._tester_lock = tester_lock or threading.RLock()
        self._owns_node = owns_node
        self._temp_dir = temp_dir
        self._senders: dict[str, TxSender] = {}
        self._senders_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Chain({self.backend.value}, chain_id={self.chain_id})"

    @property
    def is_dev(self) -> bool:
        """Whether this is a dev chain we control (snapshots, time travel)."""
        return self.backend is not Backend.EXTERNAL

    def sender(self, account: LocalAccount | int | str = 0) -> TxSender:
        """The one `TxSender` of `account` (an index into `accounts`, an address, or a key).

        Any `LocalAccount` works, not only the configured ones (e.g. a freshly made partner
        key funded by a dev account). Senders are shared so one lock guards each nonce.
        """
        resolved = self._account(account)
        with self._senders_lock:
            sender = self._senders.get(resolved.address)
            if sender is None:
                sender = TxSender(
                    self.w3,
                    resolved,
                    chain_id=self.chain_id,
                    poll_interval=self.config.poll_interval,
                    receipt_timeout=self.config.receipt_timeout,
                    priority_fee=self.config.priority_fee,
                )
                self._senders[resolved.address] = sender
            return sender

    def genesis_hash(self) -> HexStr:
        """Hash of block 0: with the chain id, it names the chain a deployment lives on."""
        with translating():
            return to_hex(self.w3.eth.get_block(0)["hash"])

    def block_number(self) -> int:
        """The latest block number."""
        with translating():
            return int(self.w3.eth.block_number)

    # -- dev chains ---------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Remember the current state (dev chains, or any node with evm_snapshot)."""
        if self._tester is not None:
            with self._tester_lock:
                return Snapshot(self._tester.take_snapshot())
        try:
            return Snapshot(self._dev_rpc("evm_snapshot"))
        except RpcError as exc:
            raise SnapshotError(f"this node cannot take snapshots: {exc}") from exc

    def revert(self, snapshot: Snapshot) -> None:
        """Return to `snapshot`; every sender re-reads its nonce afterwards."""
        if self._tester is not None:
            with translating(), self._tester_lock:
                self._tester.revert_to_snapshot(snapshot.token)
        else:
            try:
                reverted = self._dev_rpc("evm_revert", snapshot.token)
            except RpcError as exc:
                raise SnapshotError(f"this node cannot revert to snapshots: {exc}") from exc
            if reverted is not True:
                raise SnapshotError(f"the node has no snapshot {snapshot.token!r}")
        self.resync()

    def increase_time(self, seconds: int) -> int:
        """Move the clock forward by `seconds` and mine a block; return its timestamp."""
        if seconds <= 0:
            raise ValueError(f"seconds must be positive, got {seconds}")
        if self._tester is not None:
            with translating(), self._tester_lock:
                pending = self._tester.get_block_by_number("pending")["timestamp"]
                self._tester.time_travel(int(pending) + seconds)
        else:
            self._dev_rpc("evm_increaseTime", seconds)
            self._dev_rpc("evm_mine")
        with translating():
            return int(self.w3.eth.get_block("latest")["timestamp"])

    def mine(self, blocks: int = 1) -> None:
        """Mine `blocks` empty blocks."""
        if self._tester is not None:
            with translating(), self._tester_lock:
                self._tester.mine_blocks(blocks)
            return
        for _ in range(blocks):
            self._dev_rpc("evm_mine")

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the node this chain started (if any), close sockets, drop temporary files."""
        if isinstance(self.w3.provider, SyncWebSocketProvider):
            self.w3.provider.disconnect()
        if self.node is not None and self._owns_node:
            self.node.stop()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def resync(self) -> None:
        """Make every sender re-read its nonce before its next send.

        Needed after a node restart or anything else that rewound the chain; `revert` does it
        itself.
        """
        with self._senders_lock:
            senders = list(self._senders.values())
        for sender in senders:
            sender.resync()

    def _dev_rpc(self, method: str, *params: Any) -> Any:
        # anvil/hardhat test methods have no web3 wrapper; errors still go through web3's
        # response validation and our translation.
        with translating():
            return self.w3.manager.request_blocking(RPCEndpoint(method), list(params))

    def _account(self, account: LocalAccount | int | str) -> LocalAccount:
        if isinstance(account, LocalAccount):
            return account
        if not self.accounts:
            raise ConfigurationError(
                "this chain has no signing account: set POC_PRIVATE_KEY or POC_KEYSTORE"
            )
        if isinstance(account, int):
            try:
                return self.accounts[account]
            except IndexError:
                raise ConfigurationError(
                    f"no account #{account}; this chain has {len(self.accounts)}"
                ) from None
        for candidate in self.accounts:
            if candidate.address.lower() == account.lower():
                return candidate
        raise ConfigurationError(f"no signing account for address {account}")


# -- connecting -------------------------------------------------------------------------------


def connect(config: ChainConfig | None = None) -> Chain:
    """Connect to the chain `config` describes (default: a fresh in-memory chain).

    The anvil backend needs a running node, which the library does not start: the command line
    and the sandbox start one (`poc.sandbox.anvil.connect`), tests pass theirs to
    `connect_anvil`.
    """
    config = config or ChainConfig()
    if config.backend is Backend.MEMORY:
        return connect_memory(config)
    if config.backend is Backend.ANVIL:
        raise ConfigurationError(
            "the anvil backend connects to a node started by its caller: use connect_anvil"
        )
    return connect_external(config)


def connect_memory(config: ChainConfig | None = None) -> Chain:
    """A fresh eth-tester (py-evm) chain in this process, with its ten funded dev accounts."""
    config = config or ChainConfig(backend=Backend.MEMORY)
    tester = EthereumTester(PyEVMBackend())
    provider = _SerializedTesterProvider(tester)
    w3 = Web3(provider)
    _trim_middleware(w3)
    keys = tester.backend.account_keys[: config.dev_accounts]
    accounts = [Account.from_key(key.to_bytes()) for key in keys]
    with translating():
        chain_id = int(w3.eth.chain_id)
    return Chain(
        w3,
        backend=Backend.MEMORY,
        chain_id=chain_id,
        accounts=accounts,
        config=config,
        tester=tester,
        tester_lock=provider.lock,
    )


def connect_anvil(
    config: ChainConfig | None,
    node: DevNode,
    *,
    owns_node: bool = False,
    temp_dir: Path | None = None,
) -> Chain:
    """Connect to a running dev node. With `owns_node`, closing the chain stops the node (and
    removes `temp_dir`, its data, if given); otherwise the node is left running."""
    config = config or ChainConfig(backend=Backend.ANVIL)
    try:
        w3 = Web3(_http_provider(node.url, config))
        _trim_middleware(w3)
        with translating():
            chain_id = int(w3.eth.chain_id)
        _check_chain_id(chain_id, config.expected_chain_id or node.chain_id)
    except BaseException:
        if owns_node:
            node.stop()
        raise
    return Chain(
        w3,
        backend=Backend.ANVIL,
        chain_id=chain_id,
        accounts=derive_dev_accounts(node.mnemonic, node.accounts),
        config=config,
        node=node,
        owns_node=owns_node,
        temp_dir=temp_dir,
    )


def connect_external(config: ChainConfig, *, unreachable_chain_id: int | None = None) -> Chain:
    """Connect to `config.rpc_url`, signing with the configured key (if any).

    The node is asked for its chain id (checked against `config.expected_chain_id`) and
    whether it is a PoA chain. With `unreachable_chain_id`, a node that cannot be reached is no
    error: the chain comes back with that chain id, unchecked, and the caller sends nothing
    through it until `check_external` passes (the API starts during a node outage this way).
    """
    if not config.rpc_url:
        raise ConfigurationError("the external backend needs rpc_url (POC_RPC_URL)")
    accounts = [load_signer(config)] if (config.private_key or config.keystore_path) else []
    scheme = urlparse(config.rpc_url).scheme
    provider: JSONBaseProvider
    if scheme in ("ws", "wss"):
        provider = SyncWebSocketProvider(config.rpc_url, timeout=config.request_timeout)
    else:
        provider = _http_provider(config.rpc_url, config)
    w3 = Web3(provider)
    _trim_middleware(w3)
    # 0 until the node says (`check_external` sets it).
    known = unreachable_chain_id if unreachable_chain_id is not None else config.expected_chain_id
    chain = Chain(
        w3,
        backend=Backend.EXTERNAL,
        chain_id=known or 0,
        accounts=accounts,
        config=config,
    )
    try:
        check_external(chain)
    except RpcConnectionError:
        if unreachable_chain_id is None:
            raise
    return chain


def check_external(chain: Chain) -> None:
    """Ask an external chain's node for its chain id and whether it is PoA; raise
    `ChainIdMismatchError` unless the id is the configured one (or, when none is configured,
    the one the chain was made with), `RpcConnectionError` if the node cannot be reached.
    Once it passes, the chain carries the node's chain id and, on a PoA chain, the
    middleware that reads its blocks."""
    w3 = chain.w3
    with translating():
        chain_id = int(w3.eth.chain_id)
        poa = chain.config.poa if chain.config.poa is not None else _looks_like_poa(w3)
    _check_chain_id(chain_id, chain.config.expected_chain_id or chain.chain_id or None)
    chain.chain_id = chain_id
    if poa and "poa" not in w3.middleware_onion:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, name="poa", layer=0)


# -- signers ----------------------------------------------------------------------------------


def load_signer(config: ChainConfig) -> LocalAccount:
    """The signing account of `config`: its private key, or its decrypted keystore."""
    if config.private_key:
        try:
            account: LocalAccount = Account.from_key(config.private_key.strip())
        except (ValueError, TypeError) as exc:
            # Do not echo the key: it may be almost right.
            raise KeyLoadError("the private key is not a valid 32-byte hex key") from exc
        return account
    if config.keystore_path is None:
        raise KeyLoadError("no private key and no keystore configured")
    try:
        keyfile = json.loads(config.keystore_path.read_text())
    except OSError as exc:
        raise KeyLoadError(f"cannot read keystore {config.keystore_path}: {exc}") from exc
    except ValueError as exc:
        raise KeyLoadError(f"keystore {config.keystore_path} is not JSON") from exc
    password = _keystore_password(config)
    try:
        key = Account.decrypt(keyfile, password)
    except ValueError as exc:
        raise KeyLoadError(
            f"cannot decrypt keystore {config.keystore_path}: wrong password?"
        ) from exc
    except (KeyError, TypeError) as exc:
        raise KeyLoadError(f"keystore {config.keystore_path} is malformed: {exc}") from exc
    decrypted: LocalAccount = Account.from_key(key)
    return decrypted


def _keystore_password(config: ChainConfig) -> str:
    if config.keystore_password is not None:
        return config.keystore_password
    if config.keystore_password_file is not None:
        try:
            # Editors add a final newline; a password never ends with one.
            return config.keystore_password_file.read_text().rstrip("\r\n")
        except OSError as exc:
            raise KeyLoadError(
                f"cannot read password file {config.keystore_password_file}: {exc}"
            ) from exc
    raise KeyLoadError(
        "the keystore needs a password: POC_KEYSTORE_PASSWORD or POC_KEYSTORE_PASSWORD_FILE"
    )


@functools.lru_cache(maxsize=8)
def derive_dev_accounts(mnemonic: str, count: int) -> tuple[LocalAccount, ...]:
    """The first `count` accounts of `mnemonic` on anvil's path m/44'/60'/0'/0/i."""
    Account.enable_unaudited_hdwallet_features()
    return tuple(
        Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
        for index in range(count)
    )


# -- providers --------------------------------------------------------------------------------


class _SerializedTesterProvider(EthereumTesterProvider):
    """eth-tester is not thread-safe; this provider runs one request at a time."""

    def __init__(self, tester: EthereumTester) -> None:
        super().__init__(tester)
        self.lock = threading.RLock()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self.lock:
            return super().make_request(method, params)


class SyncWebSocketProvider(JSONBaseProvider):
    """JSON-RPC over one WebSocket for the synchronous `Web3` (web3 8 ships only async WS).

    Requests are serialized on the connection; a broken connection is reopened on the next
    request.
    """

    def __init__(self, endpoint_uri: str, *, timeout: float = 30.0) -> None:
        super().__init__()
        self.endpoint_uri = endpoint_uri
        self.timeout = timeout
        self._lock = threading.Lock()
        self._connection: ClientConnection | None = None

    def __str__(self) -> str:
        return f"WebSocket connection {self.endpoint_uri}"

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        request = self.encode_rpc_request(method, params)
        request_id = json.loads(request)["id"]
        with self._lock:
            connection = self._connect()
            try:
                connection.send(request.decode())
                while True:
                    raw = connection.recv(timeout=self.timeout)
                    response = self.decode_rpc_response(
                        raw.encode() if isinstance(raw, str) else raw
                    )
                    # Skip anything that is not our answer (e.g. a subscription message).
                    if response.get("id") == request_id:
                        return response
            except BaseException:
                self._close()
                raise

    def disconnect(self) -> None:
        """Close the socket (it reopens on the next request)."""
        with self._lock:
            self._close()

    def _connect(self) -> ClientConnection:
        if self._connection is None:
            # legacy=True: a plain connection object, not the context manager API.
            self._connection = ws_connect(
                self.endpoint_uri, open_timeout=self.timeout, max_size=None, legacy=True
            )
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _http_provider(url: str, config: ChainConfig) -> HTTPProvider:
    # Retry only failures to connect: a timed-out request is not retried, a slow node would
    # turn one timeout into several. eth_sendRawTransaction is retried too; a resend of a
    # request that did arrive is answered "already known", which the sender treats as sent.
    retry = ExceptionRetryConfiguration(
        errors=(requests.ConnectionError,),
        retries=max(config.rpc_retries, 1),
        backoff_factor=0.1,
    )
    return HTTPProvider(
        url,
        request_kwargs={"timeout": config.request_timeout},
        session=_http_session(url),
        exception_retry_configuration=retry,
    )


def _http_session(url: str) -> requests.Session:
    """One keep-alive session for every thread (web3 otherwise keeps one per thread).

    requests looks up proxies, .netrc and CA bundles in the environment on every request,
    a measurable cost at hundreds of calls a second; the environment is read once here
    instead (NO_PROXY included).
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and urlparse(url).scheme == "https":
        # Only for TLS: requests stats a bundle path on every request, http ones included.
        session.verify = bundle
    # The API's request threads, the outbox worker and the index follower share the pool.
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=32)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _trim_middleware(w3: Web3) -> None:
    # ValidationMiddleware asks the node for eth_chainId before every eth_call and
    # eth_estimateGas (a second round trip each) to check a chainId we never pass; ENS name
    # resolution is useless here. Both are dropped for throughput.
    for name in ("validation", "ens_name_to_address"):
        if name in w3.middleware_onion:
            w3.middleware_onion.remove(name)


def _looks_like_poa(w3: Web3) -> bool:
    # Read the block raw: web3's formatters would reject exactly the block we are inspecting.
    response = w3.provider.make_request(RPCEndpoint("eth_getBlockByNumber"), ["latest", False])
    block = response.get("result") or {}
    extra = str(block.get("extraData") or "0x")
    return (len(extra) - 2) // 2 > _POA_EXTRA_DATA_LIMIT


def _check_chain_id(actual: int, expected: int | None) -> None:
    if expected is not None and actual != expected:
        raise ChainIdMismatchError(f"the node is on chain {actual}, expected chain {expected}")

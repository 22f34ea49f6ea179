"""The managed anvil node: a subprocess of the npm-installed anvil binary.

`AnvilProcess` starts anvil on 127.0.0.1, persists its chain to `<data_dir>/anvil-state.json`
(dumped every second and on SIGTERM, reloaded with historical states on start, so block hashes
and receipts survive restarts) and logs to `<data_dir>/anvil.log`. `find_anvil` locates the
binary. `start_anvil` starts one and connects to it (`ledger.chain.connection.connect_anvil`);
`connect` is the library's `connect` plus that, for the command line and the sandbox.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from ledger.chain.connection import (
    DEFAULT_CHAIN_ID,
    DEFAULT_MNEMONIC,
    Backend,
    Chain,
    ChainConfig,
    connect_anvil,
)
from ledger.chain.connection import connect as connect_chain
from ledger.errors import AnvilError

# Checkpoints of the state dump are skipped above this size (see AnvilProcess).
CHECKPOINT_MAX_BYTES = 64 * 1024 * 1024
CHECKPOINT_PARSE_MAX_BYTES = 4 * 1024 * 1024

ANVIL_BIN_ENV = "POC_ANVIL_BIN"
STATE_FILE = "anvil-state.json"
LOG_FILE = "anvil.log"

_REPO_ROOT = Path(__file__).resolve().parents[2]
_NPM_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def find_anvil(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the anvil executable to run.

    Looked up in order: `explicit`, `$POC_ANVIL_BIN`, `node_modules/.bin/anvil` under the
    repository root. The npm `.bin/anvil` is a Node wrapper that re-spawns the native binary
    and exits on SIGTERM without waiting for it (so a restart could race anvil's state dump,
    and SIGKILL would orphan the real node); we run the platform package's native binary
    that sits beside it whenever it is there.
    """
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(Path(explicit))
    elif os.environ.get(ANVIL_BIN_ENV):
        candidates.append(Path(os.environ[ANVIL_BIN_ENV]))
    else:
        candidates.append(_REPO_ROOT / "node_modules" / ".bin" / "anvil")
    for candidate in candidates:
        resolved = shutil.which(str(candidate)) if candidate.name == str(candidate) else None
        path = Path(resolved) if resolved else candidate
        if path.is_file() and os.access(path, os.X_OK):
            return _native_binary(path)
    raise AnvilError(
        f"anvil not found (looked at {', '.join(str(c) for c in candidates)}); "
        f"run `npm ci` in the repository root or set {ANVIL_BIN_ENV}"
    )


def _native_binary(path: Path) -> Path:
    real = path.resolve()
    if real.suffix != ".mjs":
        return path
    arch = _NPM_ARCH.get(platform.machine().lower())
    system = {"linux": "linux", "darwin": "darwin"}.get(platform.system().lower())
    if arch is None or system is None:
        return path
    # node_modules/@foundry-rs/anvil/bin.mjs -> node_modules/@foundry-rs/anvil-<os>-<arch>/bin/anvil
    native = real.parent.parent / f"anvil-{system}-{arch}" / "bin" / "anvil"
    return native if native.is_file() and os.access(native, os.X_OK) else path


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class AnvilProcess:
    """An anvil node run as a child process, persisted in `data_dir`.

    Use as a context manager, or call `start()` and `stop()`. `kill()` is SIGKILL, for fault
    tests. After a stop or kill, `start()` again reloads the persisted chain on the same port.

    `persist=False` keeps the chain in memory only. `state_interval` (seconds) is how often
    the state is dumped: a crash loses at most that much. anvil writes the dump in place, so
    a crash during a write tears it; `start()` then moves the torn file aside and restores the
    fallback copy, which a background thread refreshes from every complete dump (small dumps
    only; otherwise the copy kept at the previous good start).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        binary: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        chain_id: int = DEFAULT_CHAIN_ID,
        mnemonic: str = DEFAULT_MNEMONIC,
        accounts: int = 10,
        block_time: float | None = None,
        persist: bool = True,
        state_interval: int = 1,
        preserve_history: bool = True,
        start_timeout: float = 30.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        self.binary = find_anvil(binary)
        self.host = host
        self._requested_port = port
        self._port: int | None = port or None
        self.chain_id = chain_id
        self.mnemonic = mnemonic
        self.accounts = accounts
        self.block_time = block_time
        self.persist = persist
        self.state_interval = state_interval
        self.preserve_history = preserve_history
        self.start_timeout = start_timeout
        self.extra_args = extra_args
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._checkpoint_stop: threading.Event | None = None

    # -- paths and addresses -------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        """The persisted chain (anvil's JSON state dump)."""
        return self.data_dir / STATE_FILE

    @property
    def log_path(self) -> Path:
        """anvil's stdout and stderr, appended across restarts."""
        return self.data_dir / LOG_FILE

    @property
    def port(self) -> int:
        """The TCP port; chosen at the first start when none was given."""
        if self._port is None:
            raise AnvilError("anvil has no port yet: start it first")
        return self._port

    @property
    def url(self) -> str:
        """The HTTP JSON-RPC endpoint."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The WebSocket JSON-RPC endpoint (anvil serves both on one port)."""
        return f"ws://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process id while running, else None."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start anvil and wait until it answers JSON-RPC; raise `AnvilError` if it does not."""
        if self.running:
            raise AnvilError(f"anvil is already running (pid {self.pid})")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.persist:
            self._check_state_file()
        fresh = not (self.persist and self.state_path.exists())
        if fresh:
            _wait_for_a_new_genesis_second()
        # An OS-chosen port can be taken by someone else before anvil binds it: retry then.
        attempts = 3 if self._requested_port == 0 and self._port is None else 1
        for attempt in range(attempts):
            if self._port is None:
                self._port = free_port(self.host)
            try:
                self._spawn_and_wait()
                break
            except AnvilError:
                if attempt == attempts - 1 or "in use" not in self._log_tail():
                    raise
                self._port = None
        if fresh:
            _genesis_seconds_used(int(time.time()))
        if self.persist and self.state_path.exists():
            # The state loaded fine: keep it as the fallback for a dump torn by a crash.
            shutil.copyfile(self.state_path, self._backup_path)
        if self.persist:
            self._start_checkpoints()
        _live.add(self)
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Send SIGTERM (anvil dumps its state) and wait for the process to exit."""
        self._signal_and_wait(signal.SIGTERM, timeout)

    def kill(self, timeout: float = 15.0) -> None:
        """Send SIGKILL, as a crash would; the state on disk is the last periodic dump."""
        self._signal_and_wait(signal.SIGKILL, timeout)

    def restart(self) -> Self:
        """Stop gracefully and start again on the same port with the persisted state."""
        self.stop()
        return self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._port else "no port yet"
        return f"AnvilProcess({where}, data_dir={str(self.data_dir)!r}, pid={self.pid})"

    # -- internals ----------------------------------------------------------------------------

    @property
    def _backup_path(self) -> Path:
        return self.data_dir / (STATE_FILE + ".bak")

    def _command(self) -> list[str]:
        cmd = [
            str(self.binary),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--mnemonic", self.mnemonic,
            "--accounts", str(self.accounts),
        ]  # fmt: skip
        if self.persist:
            cmd += ["--state", str(self.state_path), "--state-interval", str(self.state_interval)]
            if self.preserve_history:
                # Without it, blocks and receipts survive a restart but state at old blocks
                # (eth_call/getBalance/getProof at N, replaying an old revert) does not. It
                # costs: the dump grows by tens of kB per block and is rewritten every interval.
                cmd.append("--preserve-historical-states")
        if self.block_time is not None:
            cmd += ["--block-time", _format_seconds(self.block_time)]
        cmd += list(self.extra_args)
        return cmd

    def _spawn_and_wait(self) -> None:
        self._close_log()
        self._log = self.log_path.open("ab")
        shown = " ".join(self._command()).replace(self.mnemonic, "<mnemonic>")
        self._log.write(f"\n--- starting: {shown}\n".encode())
        self._log.flush()
        try:
            # Own process group: signals reach the node even through a wrapper script.
            self._proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise AnvilError(f"cannot run {self.binary}: {exc}") from exc
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise AnvilError(
                    f"anvil exited with code {code} during start-up; log tail:\n{self._log_tail()}"
                )
            if self._answers():
                return
            time.sleep(0.02)
        self._signal_and_wait(signal.SIGKILL, 5.0)
        raise AnvilError(
            f"anvil did not answer JSON-RPC on {self.url} within {self.start_timeout:g} s; "
            f"log tail:\n{self._log_tail()}"
        )

    def _answers(self) -> bool:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1.0) as response:
                return "result" in json.loads(response.read())
        except (OSError, ValueError):
            return False

    def _start_checkpoints(self) -> None:
        """Keep the fallback copy of the state close behind anvil's own dumps.

        A crash while anvil rewrites its dump in place tears the file; without a recent copy
        the whole chain (from its genesis) would be lost instead of the last second or two.
        """
        stop = threading.Event()
        self._checkpoint_stop = stop
        thread = threading.Thread(target=self._checkpoint_loop, args=(stop,), daemon=True)
        thread.start()

    def _checkpoint_loop(self, stop: threading.Event) -> None:
        copied_mtime = 0
        while not stop.wait(max(self.state_interval, 1)):
            # A copy taken while anvil rewrites the dump does not parse: skip this round, the
            # thread must live on (it is the only thing keeping the fallback fresh).
            with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
                info = self.state_path.stat()
                # Large dumps (historical states kept) would cost more to copy than they save.
                if info.st_mtime_ns == copied_mtime or info.st_size > CHECKPOINT_MAX_BYTES:
                    continue
                with self.state_path.open("rb") as fh:
                    fh.seek(max(info.st_size - 64, 0))
                    complete = fh.read().rstrip().endswith(b"}")
                if not complete:
                    continue  # caught mid-write; the next round will do
                partial = self._backup_path.with_suffix(".tmp")
                shutil.copyfile(self.state_path, partial)
                after = self.state_path.stat()
                if (after.st_mtime_ns, after.st_size) != (info.st_mtime_ns, info.st_size):
                    continue  # anvil rewrote it while we copied
                if info.st_size <= CHECKPOINT_PARSE_MAX_BYTES:
                    # Only a dump that parses may replace the fallback. Larger ones are
                    # trusted on the checks above: parsing holds this process's GIL for
                    # tenths of a second, and the API may be serving requests in it.
                    with partial.open("rb") as fh:
                        json.load(fh)
                partial.replace(self._backup_path)
                copied_mtime = info.st_mtime_ns

    def _stop_checkpoints(self) -> None:
        if self._checkpoint_stop is not None:
            self._checkpoint_stop.set()

    def _signal_and_wait(self, sig: signal.Signals, timeout: float) -> None:
        self._stop_checkpoints()
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # It ignored SIGTERM (stuck dumping state?): do not leave it behind.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5.0)
                self._proc = None
                self._close_log()
                raise AnvilError(
                    f"anvil did not exit within {timeout:g} s of {sig.name}; killed it"
                ) from None
        self._wait_port_closed(timeout)
        self._proc = None
        self._close_log()
        _live.discard(self)

    def _wait_port_closed(self, timeout: float) -> None:
        # Through the Node wrapper the listener may outlive the process we waited for.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.2)
                if sock.connect_ex((self.host, self.port)) != 0:
                    return
            time.sleep(0.02)

    def _check_state_file(self) -> None:
        """Replace a state dump torn by a crash with the copy kept at the last good start."""
        if not self.state_path.exists():
            return
        try:
            with self.state_path.open("rb") as fh:
                json.load(fh)
            return
        except (ValueError, UnicodeDecodeError):
            pass
        torn = self.state_path.with_name(f"{STATE_FILE}.torn-{int(time.time())}")
        self.state_path.replace(torn)
        if self._backup_path.exists():
            shutil.copyfile(self._backup_path, self.state_path)
        outcome = "restored the last good copy" if self.state_path.exists() else "starting empty"
        with self.log_path.open("ab") as log:
            log.write(
                f"\n--- {STATE_FILE} was unreadable (moved to {torn.name}); {outcome}\n".encode()
            )

    def _log_tail(self, limit: int = 4000) -> str:
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - limit))
                return fh.read().decode(errors="replace")
        except OSError:
            return "(no log)"

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


# Nodes still running when the interpreter exits (a crashed test run) are stopped, so that no
# anvil outlives us holding a port and a half-written state file.
_live: weakref.WeakSet[AnvilProcess] = weakref.WeakSet()

# A fresh anvil chain's genesis block carries the second it started in, and nothing else that
# varies: two fresh chains started in one second have the same genesis hash, and a sandbox reset
# would look like the chain it replaced to everything that tells chains apart by that hash. So a
# fresh start waits for a second later than any fresh start of this process has used.
_genesis_lock = threading.Lock()
_genesis_latest_second = 0


def _wait_for_a_new_genesis_second() -> None:
    with _genesis_lock:
        delay = _genesis_latest_second + 1 - time.time()
    if delay > 0:
        time.sleep(delay)


def _genesis_seconds_used(up_to: int) -> None:
    global _genesis_latest_second
    with _genesis_lock:
        _genesis_latest_second = max(_genesis_latest_second, up_to)


@atexit.register
def _stop_live_nodes() -> None:
    for node in list(_live):
        with contextlib.suppress(Exception):
            node.stop(timeout=5.0)


def start_anvil(config: ChainConfig) -> Chain:
    """Start an anvil as `config` says (in `config.data_dir`, or a temporary directory) and
    connect to it; closing the chain stops the node, which saves its state."""
    temp_dir: Path | None = None
    data_dir = config.data_dir
    if data_dir is None:
        temp_dir = data_dir = Path(tempfile.mkdtemp(prefix="poc-anvil-"))
    node = AnvilProcess(
        data_dir,
        binary=config.anvil_bin,
        port=config.anvil_port,
        chain_id=config.anvil_chain_id,
        mnemonic=config.mnemonic,
        accounts=config.dev_accounts,
        block_time=config.block_time,
        state_interval=config.anvil_state_interval,
        preserve_history=config.anvil_preserve_history,
    )
    node.start()
    return connect_anvil(config, node, owns_node=True, temp_dir=temp_dir)


def connect(config: ChainConfig | None = None) -> Chain:
    """`ledger.chain.connection.connect`, where the anvil backend starts its own node
    (`start_anvil`): what the command line and the sandbox connect with."""
    config = config or ChainConfig()
    if config.backend is Backend.ANVIL:
        return start_anvil(config)
    return connect_chain(config)

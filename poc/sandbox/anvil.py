"""The managed anvil node: a subprocess of the npm-installed anvil binary.

`AnvilProcess` starts anvil on 127.0.0.1; with `persist` (the default) its chain lives in
`data_dir`:

    anvil-state.json            what anvil loads when it starts and writes when it stops
    anvil-state.saved.json.gz   the saved state: written here, atomically, while blocks come in
    anvil.lock                  held by the process running the node: one node per directory
    anvil.pid                   the node's process id, to find a node left behind
    anvil.log                   anvil's output and this module's notes, across restarts

Why two state files. anvil rewrites its dump in place, so a crash while it writes tears the
file. The saved state is taken from the node (`anvil_dumpState`) every `state_interval`
seconds while the head moves, written to a temporary file, synced and renamed: it is always
complete, and `saved_block()` says which block it holds. That block, and every block below it,
can no longer be lost to a crash: `ledger.sync.outbox` confirms an operation only once its block is
there, and the API's index follows the chain only that far. A start loads whichever file holds
the higher block (a torn dump is moved aside) and first raises the saved state to it, so the
saved state never goes back.

Whole dumps only. anvil stores a new block's state before the block itself, and a dump taken
in between holds the effects of transactions whose block, receipts and events it lacks
(`anvil_state.senders_ahead`). Such a dump is never saved (the dump is taken again), and anvil's
own dump written so while it stopped is moved aside at the next start in favour of the saved
state: the chain then goes back to the saved block, never below a confirmed operation.

One writer per file. The node is started with a parent-death signal (Linux): when the thread
that started it ends, its process killed even by SIGKILL, the node gets SIGTERM, writes its
state and exits. A start holds `anvil.lock`, refuses while another live process holds it, and
first stops any anvil still running on this directory's files (a node of an earlier run that
outlived its owner), after checking its command line.

With `supervise`, a node that dies under us is started again from its saved state on the same
port, and `on_event` hears about it. `start_anvil` starts one and connects to it
(`ledger.chain.connection.connect_anvil`); `connect` is the library's `connect` plus that, for
the command line and the sandbox.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gzip
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
import zlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, NamedTuple, Self

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
from poc.sandbox.anvil_state import (
    LEGACY_BACKUP_FILE,
    PID_FILE,
    drop_extra_geneses,
    dump_number,
    encode_dump,
    is_anvil,
    packed_number,
    read_dump,
    senders_ahead,
    stop_leftover_nodes,
    unpack,
    write_atomic,
)
from poc.sandbox.anvil_state import (
    SAVED_STATE_FILE as SAVED_STATE_FILE,
)
from poc.sandbox.anvil_state import (
    STATE_FILE as STATE_FILE,
)
from poc.sandbox.processes import process_info, start_child

ANVIL_BIN_ENV = "POC_ANVIL_BIN"
LOCK_FILE = "anvil.lock"
LOG_FILE = "anvil.log"

# How often the keeper thread looks at the node, and the share of its time a save may take:
# a large state is saved less often rather than keeping the node and this process busy.
_KEEPER_TICK: Final = 0.1
_SAVE_DUTY: Final = 4.0
_GZIP: Final = 31  # zlib's wbits for the gzip container anvil_dumpState returns
_RESTART_ATTEMPTS: Final = 3
# Dumps taken in a row when one catches anvil between a block's state and the block.
_DUMP_ATTEMPTS: Final = 5

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


class SavedBlock(NamedTuple):
    """The newest block of a node's saved state: a crash can no longer take it back."""

    number: int
    hash: str  # 0x-prefixed lowercase hex, as `ledger.chain.receipts.block_hashes` gives it


class AnvilProcess:
    """An anvil node run as a child process, persisted in `data_dir` (see the module doc).

    Use as a context manager, or call `start()` and `stop()`. `kill()` is SIGKILL, for fault
    tests. After a stop or kill, `start()` again reloads the persisted chain on the same port.

    `persist=False` keeps the chain in memory only (no files but the log). `state_interval`
    (seconds) is how often the saved state is taken while the head moves: a crash of the node
    itself loses at most the blocks since. `supervise` starts a node that died under us again;
    `on_event` receives a sentence for each thing worth telling a person (a node of an earlier
    run stopped, a node died and was started again); every such sentence also goes to the log.
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
        state_interval: float = 1.0,
        preserve_history: bool = True,
        start_timeout: float = 30.0,
        extra_args: tuple[str, ...] = (),
        supervise: bool = False,
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        # Absolute: the node's command line names its files, and a later start (maybe from
        # another working directory) recognises a node left behind by them.
        self.data_dir = Path(os.path.abspath(data_dir))
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
        self.supervise = supervise
        self.on_event = on_event
        #: how many times the node was started again after it died under us
        self.restarts = 0
        #: dumps taken again because one held a block's state without the block
        self.dumps_mid_block = 0
        # `senders_ahead` counts the transactions a dump holds: a pruning node's dumps lack some.
        self._judge_dumps = not any(
            arg.startswith(("--transaction-block-keeper", "--prune-history")) for arg in extra_args
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock_handle: IO[str] | None = None
        self._saved: SavedBlock | None = None
        # Start, stop, restart and saving the state never overlap: the keeper thread saves
        # and restarts under this lock, `start` and `stop` take it too.
        self._lifecycle = threading.RLock()
        self._stopping = False
        self._keeper: threading.Thread | None = None
        self._keeper_stop = threading.Event()
        self._last_save_error: str | None = None

    # -- paths and addresses -------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        """What anvil loads when it starts and writes when it stops (its JSON state dump)."""
        return self.data_dir / STATE_FILE

    @property
    def saved_state_path(self) -> Path:
        """The saved state (gzip of an anvil dump), always complete; see `saved_block`."""
        return self.data_dir / SAVED_STATE_FILE

    @property
    def log_path(self) -> Path:
        """anvil's stdout and stderr, appended across restarts."""
        return self.data_dir / LOG_FILE

    @property
    def lock_path(self) -> Path:
        """Held (flock) by the process running the node."""
        return self.data_dir / LOCK_FILE

    @property
    def pid_path(self) -> Path:
        """The running node's process id."""
        return self.data_dir / PID_FILE

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

    def saved_block(self) -> SavedBlock | None:
        """The newest block in the saved state, None before the first save (or without
        `persist`). That block and all below it survive any crash: they are in a complete
        file on disk, and every start loads at least that file."""
        return self._saved

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start anvil and wait until it answers JSON-RPC; raise `AnvilError` if it does not."""
        if self.running:
            raise AnvilError(f"anvil is already running (pid {self.pid})")
        self._join_keeper()  # the keeper of a node that died, unsupervised, ends by itself
        with self._lifecycle:
            if self.running:
                raise AnvilError(f"anvil is already running (pid {self.pid})")
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._stopping = False
            if self.persist:
                self._claim()
            try:
                self._launch()
            except BaseException:
                self._release()
                raise
            if self.persist:
                self._keeper_stop = threading.Event()
                self._keeper = threading.Thread(
                    target=self._keep,
                    args=(self._keeper_stop,),
                    name=f"anvil-keeper-{self.port}",
                    daemon=True,
                )
                self._keeper.start()
            _live.add(self)
            return self

    def stop(self, timeout: float = 15.0) -> None:
        """Send SIGTERM (anvil writes its state) and wait for the process to exit."""
        self._halt(signal.SIGTERM, timeout)

    def kill(self, timeout: float = 15.0) -> None:
        """Send SIGKILL, as a crash would: what survives is the saved state."""
        self._halt(signal.SIGKILL, timeout)

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

    # -- starting -----------------------------------------------------------------------------

    def _launch(self) -> None:
        """Prepare the state files, spawn the node on our port and wait for it (lock held)."""
        loaded = self._prepare_state() if self.persist else None
        fresh = loaded is None
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
        if not self.persist:
            return
        try:
            self._check_state_holder()
            write_atomic(self.pid_path, f"{self.pid}\n".encode(), sync=False)
            if loaded is not None:
                self._check_genesis(loaded)
            # What the node loaded is on disk in full (the saved state was raised to it).
            self._saved = self._block_at(loaded) if loaded is not None else None
        except BaseException:
            # A node that failed its checks does not run on without its owner's lock.
            if self.running:
                self._signal_and_wait(signal.SIGTERM, self.start_timeout)
            raise

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
            # Loaded at start, written on exit only: the periodic saves are ours (atomic).
            cmd += ["--state", str(self.state_path)]
            if self.preserve_history:
                # Without it, blocks and receipts survive a restart but state at old blocks
                # (eth_call/getBalance/getProof at N, replaying an old revert) does not. It
                # costs: the dump grows by tens of kB per block.
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
            # Own process group: signals reach the node even through a wrapper script. A node
            # never outlives this process, whichever thread starts it (`start_child`).
            self._proc = start_child(
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
        try:
            self._rpc("eth_chainId", [], timeout=1.0)
        except AnvilError:
            return False
        return True

    def _check_state_holder(self) -> None:
        """Refuse a binary that runs anvil in a process of its own (a wrapper that does not
        exec): that process would get no parent-death signal and could outlive us, writing
        to our state file."""
        proc = self._proc
        info = process_info(proc.pid) if proc is not None else None
        if info is None or info.executable is None or is_anvil(info.executable):
            return
        self._signal_and_wait(signal.SIGTERM, self.start_timeout)
        raise AnvilError(
            f"{self.binary} runs {info.executable}, which starts anvil as a process of its own "
            "that could outlive the sandbox and write to its state file; set "
            f"{ANVIL_BIN_ENV} to the native anvil binary (node_modules/@foundry-rs/"
            "anvil-<os>-<arch>/bin/anvil)"
        )

    # -- one node per directory ---------------------------------------------------------------

    def _claim(self) -> None:
        handle = self.lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AnvilError(
                f"another process (pid {holder}) is running anvil on {self.data_dir}; "
                "stop it first, or use another directory"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_handle = handle

    def _release(self) -> None:
        if self._lock_handle is None:
            return
        self.pid_path.unlink(missing_ok=True)
        fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
        self._lock_handle.close()
        self._lock_handle = None

    # -- the state files ----------------------------------------------------------------------

    def _prepare_state(self) -> int | None:
        """Make anvil's state file the best state there is (the highest block; a torn file
        moved aside), with one genesis block, and the saved state at least as high; return its
        head block number (None: nothing to load, a fresh chain)."""
        stop_leftover_nodes(self.data_dir, timeout=self.start_timeout, note=self._note)
        legacy = self.data_dir / LEGACY_BACKUP_FILE
        saved = self._saved_number()
        dumped = self._whole_dump(self.state_path, fallback=saved is not None)
        kept = self._whole_dump(legacy, fallback=saved is not None or dumped is not None)
        numbers = {
            "dumped": dump_number(dumped) if dumped is not None else None,
            "saved": saved,
            "kept": dump_number(kept) if kept is not None else None,
        }
        known = [n for n in numbers.values() if n is not None]
        if not known:
            return None
        best = max(known)
        # Ties go to anvil's own file: written when the node stopped, it is the newest.
        if dumped is not None and numbers["dumped"] == best:
            state, rewrite = dumped, False
        elif saved == best:
            state = unpack(self.saved_state_path.read_bytes(), self.saved_state_path)
            rewrite = True
            held = numbers["dumped"]
            self._note(
                f"loading the saved state (block {best}): {STATE_FILE} "
                + ("is missing or unreadable" if held is None else f"holds only block {held}")
            )
        else:
            assert kept is not None
            state, rewrite = kept, True
        del dumped, kept
        if drop_extra_geneses(state) or rewrite:
            write_atomic(self.state_path, encode_dump(state))
        del state
        if saved != best:
            # The node will hold block `best` from the start: it must be in the saved state.
            packed = gzip.compress(self.state_path.read_bytes(), compresslevel=1, mtime=0)
            write_atomic(self.saved_state_path, packed)
        legacy.unlink(missing_ok=True)
        return best

    def _whole_dump(self, path: Path, *, fallback: bool) -> dict[str, Any] | None:
        """anvil's dump at `path` unless it is torn, or was written in the middle of a block
        (`senders_ahead`) while another state can be loaded (`fallback`): either is moved aside.

        The node writes its dump when it stops, and a stop that comes while it mines (the
        sandbox killed under load) can catch it with a block's state but not the block. The
        saved state is older but whole, and holds every block an operation was confirmed in.
        """
        state = self._readable_dump(path)
        if state is None or not self._judge_dumps:
            return state
        ahead = senders_ahead(state)
        if not ahead:
            return state
        head = dump_number(state)
        what = (
            f"{path.name} was written in the middle of block {head + 1}: its state holds "
            f"transactions its blocks do not ({len(ahead)} senders ahead)"
        )
        if not fallback:
            self._note(f"{what}; it is the only state there is, so it is loaded as it is")
            return state
        aside = path.with_name(f"{path.name}.mid-block-{int(time.time())}")
        path.replace(aside)
        self._note(f"{what}; moved to {aside.name}, loading the saved state")
        return None

    def _readable_dump(self, path: Path) -> dict[str, Any] | None:
        """anvil's dump at `path`, parsed; a torn one is moved aside (None)."""
        if not path.exists():
            return None
        state = read_dump(path)
        if state is None:
            torn = path.with_name(f"{path.name}.torn-{int(time.time())}")
            path.replace(torn)
            self._note(f"{path.name} was unreadable (moved to {torn.name}); using the saved state")
        return state

    def _saved_number(self) -> int | None:
        path = self.saved_state_path
        if not path.exists():
            return None
        number = packed_number(path.read_bytes())
        if number is None:
            # Written atomically, so not torn by a crash: keep whatever it is for a person.
            unreadable = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
            path.replace(unreadable)
            self._note(f"{path.name} was unreadable (moved to {unreadable.name})")
        return number

    def _check_genesis(self, loaded: int) -> None:
        """Block 1 must sit on the genesis block the node reports (see `drop_extra_geneses`)."""
        if loaded < 1:
            return
        genesis = self._rpc("eth_getBlockByNumber", ["0x0", False])
        first = self._rpc("eth_getBlockByNumber", ["0x1", False])
        if not isinstance(genesis, dict) or not isinstance(first, dict):
            raise AnvilError("anvil did not load the blocks of its state file")
        if str(first["parentHash"]).lower() != str(genesis["hash"]).lower():
            self._signal_and_wait(signal.SIGTERM, self.start_timeout)
            raise AnvilError(
                f"anvil loaded {self.state_path} with a genesis block that block 1 does not "
                "follow: the state file holds several genesis blocks; keep only the one "
                "block 1's parentHash names"
            )

    def _save_state(self) -> None:
        """Take the node's state and make it the saved state, if the head moved since the
        last save. The head is read first: the dump taken after it holds that block."""
        latest = self._rpc("eth_getBlockByNumber", ["latest", False])
        if not isinstance(latest, dict):
            raise AnvilError(f"anvil returned no latest block: {latest!r}")
        head = SavedBlock(int(str(latest["number"]), 16), str(latest["hash"]).lower())
        if head == self._saved:
            return
        for _ in range(_DUMP_ATTEMPTS):
            encoded = self._rpc("anvil_dumpState", [self.preserve_history], timeout=120.0)
            packed = bytes.fromhex(str(encoded).removeprefix("0x"))
            try:
                state = json.loads(zlib.decompress(packed, wbits=_GZIP))
                holds = dump_number(state)
            except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise AnvilError(f"anvil's dump does not parse ({exc}): not saved") from exc
            if holds < head.number:
                # Not this node's state after all (it died and another answers on the port?).
                raise AnvilError(f"anvil's dump does not hold block {head.number}: not saved")
            # A dump taken while anvil stores a block can hold the block's state without the
            # block (`senders_ahead`): saved, a crash would bring back effects without events.
            if not self._judge_dumps or not senders_ahead(state):
                break
            self.dumps_mid_block += 1
        else:
            raise AnvilError(
                f"{_DUMP_ATTEMPTS} dumps in a row held state ahead of their blocks: not saved"
            )
        del state
        write_atomic(self.saved_state_path, packed)
        self._saved = head

    def _block_at(self, number: int) -> SavedBlock:
        block = self._rpc("eth_getBlockByNumber", [hex(number), False])
        if not isinstance(block, dict):
            raise AnvilError(f"anvil lost block {number} it just loaded")
        return SavedBlock(number, str(block["hash"]).lower())

    # -- the keeper thread: saves, and restarts a node that died -----------------------------

    def _keep(self, stop: threading.Event) -> None:
        due = 0.0
        while not stop.wait(_KEEPER_TICK):
            with self._lifecycle:
                if self._stopping or stop.is_set():
                    return
                proc = self._proc
                if proc is not None and proc.poll() is not None:
                    if not self.supervise:
                        self._note(f"anvil (pid {proc.pid}) {_exit_text(proc.returncode)}")
                        return
                    if not self._revive(proc, stop):
                        return
                    continue
                if time.monotonic() < due:
                    continue
                began = time.monotonic()
                try:
                    self._save_state()
                    self._last_save_error = None
                except (AnvilError, OSError, ValueError, zlib.error) as exc:
                    if str(exc) != self._last_save_error:  # say it once, not every second
                        self._last_save_error = str(exc)
                        self._note(f"saving the state failed (trying again): {exc}")
                took = time.monotonic() - began
                due = time.monotonic() + max(self.state_interval, _SAVE_DUTY * took)

    def _revive(self, dead: subprocess.Popen[bytes], stop: threading.Event) -> bool:
        """Start the node again after it died under us (lock held); True if it runs."""
        self._note(
            f"anvil (pid {dead.pid}) {_exit_text(dead.returncode)}; starting it again from "
            f"its saved state on port {self.port}"
        )
        self._proc = None
        self._close_log()
        for attempt in range(1, _RESTART_ATTEMPTS + 1):
            try:
                self._launch()
            except AnvilError as exc:
                self._note(f"starting anvil again failed (attempt {attempt}): {exc}")
                if stop.wait(1.0):
                    return False
                continue
            self.restarts += 1
            saved = self._saved.number if self._saved is not None else "none"
            self._note(f"anvil is running again (pid {self.pid}); saved state at block {saved}")
            return True
        self._note(
            f"anvil could not be started again; see {self.log_path}, then stop and start again"
        )
        return False

    def _join_keeper(self) -> None:
        keeper = self._keeper
        if keeper is not None and keeper is not threading.current_thread():
            self._keeper_stop.set()
            keeper.join(30.0)
        self._keeper = None

    # -- stopping -----------------------------------------------------------------------------

    def _halt(self, sig: signal.Signals, timeout: float) -> None:
        with self._lifecycle:
            self._stopping = True
            self._keeper_stop.set()
            try:
                self._signal_and_wait(sig, timeout)
            finally:
                if not self.running:
                    self._release()
        self._join_keeper()

    def _signal_and_wait(self, sig: signal.Signals, timeout: float) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # It ignored SIGTERM (stuck writing its state?): do not leave it behind.
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

    # -- helpers ------------------------------------------------------------------------------

    def _rpc(self, method: str, params: list[Any], *, timeout: float = 10.0) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = json.loads(response.read())
        except (OSError, ValueError) as exc:
            raise AnvilError(f"anvil did not answer {method}: {exc}") from exc
        if not isinstance(answer, dict) or "result" not in answer:
            raise AnvilError(f"anvil refused {method}: {answer!r:.300}")
        return answer["result"]

    def _note(self, message: str) -> None:
        """Tell the log and `on_event` (something a person running the node should know)."""
        line = f"\n--- {message}\n".encode()
        with contextlib.suppress(OSError):
            if self._log is not None and not self._log.closed:
                self._log.write(line)
                self._log.flush()
            else:
                with self.log_path.open("ab") as log:
                    log.write(line)
        if self.on_event is not None:
            self.on_event(message)

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


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


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

"""anvil's state files, read and written without anvil: the dump's head block, a dump torn by
a crash, the duplicate genesis blocks anvil leaves in a dump it reloaded, the atomic write the
saved state relies on, and the anvil processes using a directory's files. `poc.sandbox.anvil`
decides which file a node loads and when; this module knows the formats and the files.

A dump is anvil's `SerializableState` as JSON: `{"block": {"number": "0x…", …}, "accounts":
…, "best_block_number": N, "blocks": [{"header": {…}, …}, …], "transactions": …}`; the saved
state is the same JSON gzipped, as `anvil_dumpState` returns it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from ledger.errors import AnvilError
from poc.sandbox.processes import ProcessInfo, all_processes, process_info, stop_process

STATE_FILE: Final = "anvil-state.json"
SAVED_STATE_FILE: Final = "anvil-state.saved.json.gz"
PID_FILE: Final = "anvil.pid"
# The fallback copy kept by earlier versions; read once if it is the best state there is.
LEGACY_BACKUP_FILE: Final = STATE_FILE + ".bak"
_STATE_FLAGS: Final = ("--state", "--dump-state", "--load-state")

# The start of every dump: {"block":{"number":"0x…" — the head block it holds.
_DUMP_HEAD: Final = re.compile(rb'\A\s*\{\s*"block"\s*:\s*\{\s*"number"\s*:\s*"0x([0-9a-fA-F]+)"')
_GZIP: Final = 31  # zlib's wbits for the gzip container


def read_dump(path: Path) -> dict[str, Any] | None:
    """anvil's JSON dump at `path`, None if it does not parse as one (torn by a crash)."""
    try:
        with path.open("rb") as fh:
            state = json.load(fh)
        dump_number(state)
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return None
    return state if isinstance(state, dict) else None


def dump_number(state: dict[str, Any]) -> int:
    """The head block number a parsed dump holds."""
    number = state.get("best_block_number")
    if number is None:
        number = state["block"]["number"]
    return int(number, 16) if isinstance(number, str) else int(number)


def packed_number(packed: bytes) -> int | None:
    """The head block number of a gzipped dump, read from its first bytes only."""
    try:
        start = zlib.decompressobj(wbits=_GZIP).decompress(packed[:16384], 4096)
    except zlib.error:
        return None
    found = _DUMP_HEAD.match(start)
    return int(found.group(1), 16) if found is not None else None


def unpack(packed: bytes, path: Path) -> dict[str, Any]:
    """A gzipped dump (read from `path`), parsed."""
    try:
        state = json.loads(zlib.decompress(packed, wbits=_GZIP))
        dump_number(state)
    except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AnvilError(
            f"{path} is damaged ({exc}); move it aside to start from the rest"
        ) from exc
    if not isinstance(state, dict):
        raise AnvilError(f"{path} is not an anvil state")
    return state


def drop_extra_geneses(state: dict[str, Any]) -> bool:
    """Keep one block 0 in a dump; True if there were more.

    anvil makes a genesis block when it starts, then loads the dump: the new genesis stays
    among the blocks (under its own hash) and is dumped with them. Loading such a dump, the
    last block 0 anvil reads becomes block 0, and its order follows a hash map: the genesis
    hash of a chain restarted twice was a coin flip, and the sandbox then took its chain for
    lost. The chain's own genesis is the oldest: every later one was made by a later start
    (the clock going back below the chain's birth would defeat this; `poc.sandbox.anvil` checks
    after loading that block 1 sits on the genesis it kept).
    """
    blocks = state.get("blocks")
    if not isinstance(blocks, list):
        return False
    geneses = [b for b in blocks if _header_int(b, "number") == 0]
    if len(geneses) <= 1:
        return False
    first = min(geneses, key=lambda b: _header_int(b, "timestamp"))
    state["blocks"] = [b for b in blocks if b is first or _header_int(b, "number") != 0]
    return True


def senders_ahead(state: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Accounts whose nonce in a dump's state is higher than the number of transactions they
    sent in the dump's blocks: address -> (nonce, transactions counted). Empty for a whole dump.

    anvil commits a new block's state before it stores the block, and a dump taken in between
    (`anvil_dumpState`, or the dump anvil writes when it stops while mining) holds the state
    after the block but the blocks before it. Loaded, such a dump runs on from the older head
    with the effects of transactions whose block, receipts and events are gone: a registration
    is in the contract's storage, its event is nowhere, and a re-send of it reverts as already
    done. Every transaction raises its sender's nonce, so a state ahead of its blocks shows as a
    sender (an account without code) whose nonce exceeds what the blocks count for it. Seen in
    about 2 of 100 dumps taken while anvil mines; `tests/poc/sandbox/test_anvil_state.py`
    checks this against the state root the head block names. It needs every transaction mined
    in the dump: a node told to prune them (`--transaction-block-keeper`, `--prune-history`)
    is not judged (`poc.sandbox.anvil`), and a dump without them is taken as whole.
    """
    head = dump_number(state)
    sent: Counter[str] = Counter()
    mined_list = state.get("transactions")
    if not isinstance(mined_list, list):
        return {}  # a dump without its transactions (another anvil's format): cannot tell
    for mined in mined_list:
        try:
            number, sender = mined["block_number"], mined["info"]["from"]
        except (KeyError, TypeError):
            return {}  # not the format known here: cannot tell
        if _as_int(number) <= head:
            sent[str(sender).lower()] += 1
    ahead: dict[str, tuple[int, int]] = {}
    for address, account in (state.get("accounts") or {}).items():
        if str(account.get("code") or "0x") not in ("0x", ""):
            continue  # a contract's nonce counts what it created, not transactions
        nonce = _as_int(account.get("nonce", 0))
        counted = sent[address.lower()]
        if nonce > counted:
            ahead[address.lower()] = (nonce, counted)
    return ahead


def _as_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _header_int(block: Any, name: str) -> int:
    return _as_int(block["header"][name])


def encode_dump(state: dict[str, Any]) -> bytes:
    """A parsed dump as the JSON anvil loads."""
    return json.dumps(state, separators=(",", ":")).encode()


def stop_leftover_nodes(
    data_dir: str | os.PathLike[str],
    *,
    timeout: float = 30.0,
    note: Callable[[str], None] | None = None,
) -> None:
    """Stop every anvil process still running on the state files of `data_dir`.

    For a caller that holds the directory (its lock), such a node is one whose owner died: a
    node of an earlier run. Each gets SIGTERM and writes its state first (it may hold newer
    blocks than the saved state), SIGKILL after `timeout`. Its command line is checked again
    once its pid is pinned (`poc.sandbox.processes.stop_process`). Raises `AnvilError` if one
    does not go away.
    """
    where = Path(os.path.abspath(data_dir))
    candidates = list(all_processes())
    if not candidates:  # no /proc: the pid this directory recorded is all we know
        with contextlib.suppress(OSError, ValueError):
            recorded = process_info(int((where / PID_FILE).read_text().strip()))
            candidates = [recorded] if recorded is not None else []
    for info in candidates:
        if not _uses_state_of(info, where):
            continue
        if note is not None:
            note(
                f"anvil (pid {info.pid}) of an earlier run is still running on "
                f"{where / STATE_FILE}; stopping it (it writes its state first)"
            )

        def still_ours(pid: int = info.pid) -> bool:
            current = process_info(pid)
            return current is not None and _uses_state_of(current, where)

        if not stop_process(info.pid, still_ours, timeout):
            raise AnvilError(
                f"anvil (pid {info.pid}) of an earlier run is still running on {where} and "
                f"did not stop; stop it (kill -9 {info.pid}) and start again"
            )


def running_nodes(data_dir: str | os.PathLike[str]) -> list[int]:
    """Process ids of anvil processes using the state files of `data_dir` (Linux; for
    operators and tests: after a sandbox is gone, this must be empty)."""
    where = Path(os.path.abspath(data_dir))
    return [info.pid for info in all_processes() if _uses_state_of(info, where)]


def _uses_state_of(info: ProcessInfo, data_dir: Path) -> bool:
    """Whether `info` is an anvil process reading or writing a state file of `data_dir`."""
    if not info.argv:
        return False
    if not is_anvil(info.executable or Path(info.argv[0])):
        return False
    ours = {data_dir / STATE_FILE, data_dir / SAVED_STATE_FILE, data_dir / LEGACY_BACKUP_FILE}
    argv = info.argv
    for index, argument in enumerate(argv):
        flag, equals, value = argument.partition("=")
        if flag not in _STATE_FLAGS:
            continue
        if not equals:
            if index + 1 >= len(argv):
                continue
            value = argv[index + 1]
        if info.resolve(value) in ours:
            return True
    return False


def is_anvil(program: Path) -> bool:
    """Whether `program` is the anvil binary ("anvil (deleted)" once npm replaced it under a
    running node)."""
    return program.name.startswith("anvil")


def write_atomic(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Replace `path` with `data` so that a crash at any moment leaves the old file or the
    new one, and (with `sync`) the new one is on disk once this returns."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if sync:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

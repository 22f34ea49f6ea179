"""The disk under the SQLite files (index and outbox) fills up during a load, then space comes back.

The data directory (index, outbox, keystores) sits on a 32 MiB tmpfs mounted for the test
(CI runs as root); anvil's state lives elsewhere. Where mounting is not allowed the test falls
back to RLIMIT_FSIZE on the API process (`prlimit`): SQLite then cannot grow its files past the
limit, which it reports like a full disk. The test prints which of the two ran;
`POC_FAULTS_DISK=rlimit` forces the fallback.

While the disk is full the API must refuse writes with a clear error (never accept what it
cannot store), stay up, and once space is back accept again; every write it accepted, before
or after, ends on chain exactly once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.errors import LedgerError
from scripts.bench_api import LiveStack
from tests.faults.support import Load, assert_exactly_once, require_anvil

pytestmark = [pytest.mark.faults, pytest.mark.anvil, pytest.mark.slow, pytest.mark.timeout(420)]

TMPFS_SIZE = "32m"
CHUNK = b"\0" * (1 << 16)


def _mount_tmpfs(where: Path) -> bool:
    try:
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(where)],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@contextlib.contextmanager
def _small_disk(data: Path) -> Iterator[str]:
    """Mount a tmpfs on `data` if allowed; yield "tmpfs" or "rlimit"."""
    data.mkdir(parents=True)
    mounted = os.environ.get("POC_FAULTS_DISK") != "rlimit" and _mount_tmpfs(data)
    try:
        yield "tmpfs" if mounted else "rlimit"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(data)], check=False, timeout=30)


def _fill(filler: Path) -> None:
    """Write to `filler` (created before the load, so that it exists whatever the load left
    free) until the file system is full, and say what else takes the room."""
    # Unbuffered: a buffered file keeps what did not fit and fails again as it closes.
    with filler.open("ab", buffering=0) as fh:
        try:
            while True:
                fh.write(CHUNK)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    others = {
        str(f.relative_to(filler.parent)): f.stat().st_size
        for f in filler.parent.rglob("*")
        if f.is_file() and not f.is_symlink() and f != filler
    }
    # Room must be left to give back: a disk the load alone filled would not recover.
    assert filler.stat().st_size >= 1 << 20, f"the disk was full before the filler: {others}"


def _limit_file_size(stack: LiveStack) -> None:
    """Cap the API process's file size a little above the outbox's current files (where the
    writes go; the index's file may hit the cap first, which only stalls the follower)."""
    assert stack.api_proc is not None
    files = [stack.data_dir / f"outbox.sqlite3{suffix}" for suffix in ("", "-wal")]
    largest = max(f.stat().st_size for f in files if f.exists())
    limit = largest + (64 << 10)
    resource.prlimit(stack.api_proc.pid, resource.RLIMIT_FSIZE, (limit, limit))


def test_index_disk_full_refuses_writes_then_recovers(tmp_path: Path) -> None:
    require_anvil()
    data = tmp_path / "data"
    with _small_disk(data) as mode:
        print(f"disk-full mode: {mode}")
        chain_dir = tmp_path / "anvil"
        chain_dir.mkdir()
        (data / "anvil").symlink_to(chain_dir)  # the node's state is not on the small disk
        stack = LiveStack.start(data, persist_delay=2.5)
        try:
            filler: Path | None = None
            if mode == "tmpfs":
                filler = data / "filler"
                filler.touch()
            load = Load(stack)
            load.fire(40)
            if filler is not None:
                _fill(filler)
            else:
                _limit_file_size(stack)
            before = len(load.accepted)
            load.fire(300)  # enough rows to outgrow what SQLite had spare
            full_refusals = dict(load.refused)
            print(f"while full: {len(load.accepted) - before} accepted, refused {full_refusals}")
            assert full_refusals, "the disk never filled up"
            assert set(full_refusals) <= {"http 503 database_unavailable"}, load.messages
            assert not any("SQL" in m for m in load.messages.values()), load.messages
            assert stack.api_proc is not None and stack.api_proc.poll() is None, "the API died"

            if filler is not None:
                filler.unlink()
            else:
                stack.kill_api()
                stack.start_api()  # without the limit
            load.refused.clear()
            load.fire(40)
            assert not load.refused, dict(load.refused)

            assert_exactly_once(stack, load)
        finally:
            if not stack.node.running:
                with contextlib.suppress(LedgerError):
                    stack.node.start()
            stack.stop()

"""The background process: the index follower, the outbox worker and the evidence jobs (RFC
3161 timestamps, public checkpoints, when configured), without HTTP.

By default every API process may run them (the one holding the data directory's
`background.lock` does). Under load they compete with request handling for that process's
interpreter lock, and a request waiting for it shows as tail latency. A deployment that
cares runs them here instead, beside API processes started with `POC_START_WORKERS=false`:

    python -m poc.background &
    POC_START_WORKERS=false uvicorn poc.wiring:create_app --factory --workers 2

Both read the same `POC_*` settings. Writes accepted by any API process are sent from here;
`Prefer: wait` still works (it watches the outbox in the database). SIGTERM or SIGINT stops
the process cleanly; operations in flight resume when it (or an API process) takes the lock.
"""

from __future__ import annotations

import fcntl
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO

from api.deps import Services
from api.settings import get_settings
from ledger.errors import LedgerError
from poc.wiring import EXIT_STARTUP_FAILURE, build_services


class JobThread:
    """One evidence job's loop (`run(stop, interval=...)`) in a daemon thread, until `stop()`."""

    def __init__(self, name: str, loop: Callable[[threading.Event], None]) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=loop, args=(self._stop,), name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


def evidence_jobs(services: Services) -> list[JobThread]:
    """The timestamp and anchoring jobs the services have, as threads (not started)."""
    settings = services.settings
    jobs: list[JobThread] = []
    timestamps = services.timestamp_job
    if timestamps is not None:
        jobs.append(
            JobThread(
                "poc-timestamps",
                lambda stop: timestamps.run(stop, interval=settings.timestamp_interval),
            )
        )
    anchor = services.anchor_job
    if anchor is not None:
        jobs.append(
            JobThread(
                "poc-anchoring", lambda stop: anchor.run(stop, interval=settings.anchor_interval)
            )
        )
    return jobs


class BackgroundLeader:
    """Runs the index follower, the outbox worker and the evidence jobs in exactly one process
    per data directory.

    Several API processes (uvicorn `--workers N`) may share one database: each accepts writes,
    but only the holder of an exclusive lock on `lock_path` sends transactions (one relayer,
    one nonce sequence) and follows the chain. The others retry the lock every second, so a
    killed leader is replaced within a second.
    """

    def __init__(self, lock_path: Path, services: Services) -> None:
        self.lock_path = lock_path
        self.services = services
        self._file: IO[bytes] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._jobs: list[JobThread] = []
        # Taking the lead and stopping exclude each other: no thread starts after `stop`.
        self._lock = threading.Lock()

    def start(self) -> None:
        """Take the lead now if free and the node passed the deployment check, else keep
        trying in a daemon thread (the check first: nothing follows or sends before it)."""
        check = self.services.check
        if (check is None or check.passed) and self._try_lead():
            return
        self._thread = threading.Thread(target=self._wait_lead, daemon=True)
        self._thread.start()

    def _try_lead(self) -> bool:
        with self._lock:
            if self._stop.is_set():
                return True  # stopped: nothing more to wait for
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.lock_path.open("ab")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._file = handle
            if self.services.follower is not None:
                self.services.follower.start()
            if self.services.worker is not None:
                self.services.worker.start()
            self._jobs = evidence_jobs(self.services)
            for job in self._jobs:
                job.start()
            return True

    def _wait_lead(self) -> None:
        check = self.services.check
        if check is not None and not check.wait(self._stop):
            return
        while not self._try_lead():
            if self._stop.wait(1.0):
                return

    def stop(self) -> None:
        """Stop the background threads and release the lock."""
        with self._lock:
            self._stop.set()
            if self._file is None:
                return
            for job in self._jobs:
                job.stop()
            self._jobs = []
            if self.services.worker is not None:
                self.services.worker.stop()
            if self.services.follower is not None:
                self.services.follower.stop()
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def main() -> int:
    """Run the follower and the worker until SIGTERM/SIGINT; the exit status."""
    settings = get_settings()
    try:
        services = build_services(settings)
    except LedgerError as exc:
        print(f"poc-ledger background process cannot start: {exc}", file=sys.stderr)
        return EXIT_STARTUP_FAILURE
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    leader = BackgroundLeader(settings.data_dir / "background.lock", services)
    leader.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        leader.stop()
        services.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

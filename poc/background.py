"""The background process: the index follower and the outbox worker, without HTTP.

By default every API process may run them (the one holding the data directory's
`background.lock` does). Under load they compete with request handling for that process's
interpreter lock, and a request waiting for it shows as tail latency. A deployment that
cares runs them here instead, beside API processes started with `POC_START_WORKERS=false`:

    python -m poc.background &
    POC_START_WORKERS=false uvicorn api.app:create_app --factory --workers 2

Both read the same `POC_*` settings. Writes accepted by any API process are sent from here;
`Prefer: wait` still works (it watches the outbox in the database). SIGTERM or SIGINT stops
the process cleanly; operations in flight resume when it (or an API process) takes the lock.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from api.app import EXIT_STARTUP_FAILURE, BackgroundLeader, build_services
from api.settings import get_settings
from ledger.errors import LedgerError


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

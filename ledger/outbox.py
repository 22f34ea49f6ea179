"""The durable outbox: accepted writes are stored first, then sent, then confirmed.

(Worker in progress: see `OutboxWorker`.)
"""

from __future__ import annotations

import threading


class OutboxWorker:
    """Drains the outbox in a background thread."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def start(self) -> None:
        """Start the worker thread."""

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker thread."""
        self._stop.set()

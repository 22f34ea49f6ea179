"""Operating-system processes the managed node needs: tying a child to its parent's life,
finding a process by its command line, and stopping one that is not our child without ever
signalling a recycled process id.

Linux gives exact answers (`prctl(PR_SET_PDEATHSIG)`, `/proc`, pidfds); elsewhere the
parent-death signal is missing and a process is found by a recorded pid and `ps`, which
`poc.sandbox.anvil` says where it matters. Nothing here knows about anvil's files or flags.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

_PR_SET_PDEATHSIG: Final = 1
IS_LINUX: Final = sys.platform.startswith("linux")


@dataclass(frozen=True)
class ProcessInfo:
    """A running process as its command line shows it."""

    pid: int
    argv: tuple[str, ...]
    cwd: Path | None
    executable: Path | None

    def resolve(self, argument: str) -> Path:
        """An argument naming a file, made absolute against the process's working directory."""
        path = Path(argument)
        if not path.is_absolute() and self.cwd is not None:
            path = self.cwd / path
        return Path(os.path.abspath(path))


def parent_death_signal(sig: signal.Signals) -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child receive `sig` when the thread that started it ends
    (its process killed, even by SIGKILL); None where the system has no such thing.

    The signal is tied to the starting *thread*, not its process: start the child from a
    thread that lives as long as the child should.
    """
    if not IS_LINUX:
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()

    def arm() -> None:
        # Runs in the child between fork and exec. If the parent already died, the signal
        # would never come: give up rather than start a node nobody owns.
        if prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0 or os.getppid() != parent:
            os._exit(125)

    return arm


class _ParentThread:
    """The one thread of this process that starts the children tied to its life.

    The parent-death signal follows the *thread* that forked the child. A worker thread of
    a pool (anyio's end after 10 idle seconds, a test client's with each request) would take
    its children with it; this thread ends only with the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def call(self, job: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        """Run `job` on the parent thread and return what it returned (or raise what it raised)."""
        done: Future[subprocess.Popen[bytes]] = Future()
        with self._lock:
            # After a fork the child has no such thread: it starts its own.
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._jobs = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._serve, args=(self._jobs,), name="poc-child-parent", daemon=True
                )
                self._thread.start()
            self._jobs.put((job, done))
        return done.result()

    def forget(self) -> None:
        """In a forked child: the parent's thread is not there, and its lock may have been
        held by another thread at the fork (it would never be released)."""
        self._lock = threading.Lock()
        self._thread = None

    @staticmethod
    def _serve(jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]]) -> None:
        while True:
            job, done = jobs.get()
            try:
                done.set_result(job())
            except BaseException as exc:  # handed to the caller, which raises it
                done.set_exception(exc)


_parent_thread: Final = _ParentThread()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_parent_thread.forget)


def start_child(
    args: Sequence[str], *, death_signal: signal.Signals = signal.SIGTERM, **popen: Any
) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(args, **popen)` for a child that must not outlive this process: it
    receives `death_signal` when this process ends, even by SIGKILL (on Linux), whichever
    thread calls this."""

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(list(args), preexec_fn=parent_death_signal(death_signal), **popen)

    return _parent_thread.call(spawn)


def process_info(pid: int) -> ProcessInfo | None:
    """The command line of `pid`, or None if there is no such (live) process."""
    if IS_LINUX:
        proc = Path("/proc") / str(pid)
        try:
            raw = (proc / "cmdline").read_bytes()
        except OSError:
            return None
        if not raw:  # a zombie, or a kernel thread
            return None
        argv = tuple(part.decode(errors="replace") for part in raw.rstrip(b"\0").split(b"\0"))
        return ProcessInfo(pid, argv, _readlink(proc / "cwd"), _readlink(proc / "exe"))
    try:
        shown = subprocess.run(
            ["ps", "-ww", "-o", "command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    # `ps` joins the arguments with spaces: paths holding spaces do not survive, which only
    # makes a match less likely (the caller then does nothing to that process).
    return ProcessInfo(pid, tuple(shown.split()), None, None) if shown else None


def all_processes() -> Iterator[ProcessInfo]:
    """Every process whose command line we may read (Linux only; nothing elsewhere)."""
    if not IS_LINUX:
        return
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = process_info(int(entry.name))
            if info is not None:
                yield info


def stop_process(pid: int, still_wanted: Callable[[], bool], timeout: float) -> bool:
    """SIGTERM `pid`, then SIGKILL after `timeout` seconds; True once it is gone.

    `still_wanted()` is asked after the process is pinned (a pidfd on Linux), so that a pid
    recycled by an unrelated process after the caller looked is never signalled; if it says
    no, nothing is sent and the answer is True (the process we meant is gone).
    """
    pidfd: int | None = None
    if IS_LINUX and hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            return True
        except OSError:
            pidfd = None  # an old kernel: fall back to plain signals
    try:
        if not still_wanted():
            return True
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                if pidfd is not None:
                    signal.pidfd_send_signal(pidfd, sig)
                else:
                    os.kill(pid, sig)
            except ProcessLookupError:
                return True
            if _wait_gone(pid, pidfd, wait):
                return True
        return False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _wait_gone(pid: int, pidfd: int | None, timeout: float) -> bool:
    if pidfd is not None:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        return bool(poller.poll(int(timeout * 1000)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process_info(pid) is None:
            return True
        time.sleep(0.05)
    return False


def _readlink(path: Path) -> Path | None:
    with contextlib.suppress(OSError):
        return Path(os.readlink(path))
    return None

"""`poc.sandbox.processes.start_child`: a child tied to its process's life, not to the thread
that asked for it, in a forked process as in the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from poc.sandbox import processes
from poc.sandbox.processes import IS_LINUX, start_child

pytestmark = pytest.mark.skipif(not IS_LINUX, reason="the parent-death signal is Linux's")


def _started_by_a_thread_that_ends() -> subprocess.Popen[bytes]:
    started: list[subprocess.Popen[bytes]] = []
    starter = threading.Thread(target=lambda: started.append(start_child(["sleep", "30"])))
    starter.start()
    starter.join()
    return started[0]


def test_child_outlives_the_thread_that_started_it() -> None:
    child = _started_by_a_thread_that_ends()
    try:
        time.sleep(0.5)  # the signal, had it been sent, would have ended `sleep` by now
        assert child.poll() is None
    finally:
        child.kill()
        child.wait(5)


def test_child_ends_with_its_process_killed() -> None:
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import threading, time\n"
            "from poc.sandbox.processes import start_child\n"
            "box = []\n"
            "t = threading.Thread(target=lambda: box.append(start_child(['sleep', '60'])))\n"
            "t.start(); t.join()\n"
            "print(box[0].pid, flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    pid = int(owner.stdout.readline())
    owner.kill()
    owner.wait(10)
    deadline = time.monotonic() + 10
    while _running(pid):
        assert time.monotonic() < deadline, f"sleep ({pid}) outlived its killed owner"
        time.sleep(0.05)


def test_forked_process_starts_children_of_its_own() -> None:
    _started_by_a_thread_that_ends().kill()  # the parent thread exists in this process
    # Another thread holds the lock at the moment of the fork: the forked process must not
    # wait for a lock nobody there will release.
    lock = processes._parent_thread._lock
    with lock:
        pid = os.fork()
        if pid == 0:  # the forked process: start and reap a child of its own, then leave
            code = 1
            try:
                code = start_child(["true"]).wait(10)
            finally:
                os._exit(code)
    deadline = time.monotonic() + 15
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked process waited for the parent thread's lock")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(done[1]) == 0


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next((line for line in status.splitlines() if line.startswith("State:")), "")
    return bool(state) and "Z" not in state.split(":", 1)[1]

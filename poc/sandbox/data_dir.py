"""The sandbox's data directory: its layout (`SandboxPaths`), and claiming it for one sandbox.

`claim_data_dir` holds the directory with an OS file lock while the sandbox runs, so that two
sandboxes never share one chain state; `prepare_data_dir` makes it, or with `reset` wipes it,
and only ever a directory the sandbox made itself (one holding its marker) or an empty one."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.errors import ConfigurationError
from poc.sandbox.anvil_state import stop_leftover_nodes

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class SandboxPaths:
    """Where each part of the sandbox lives inside its data directory."""

    root: Path

    @property
    def marker(self) -> Path:
        return self.root / ".poc-sandbox"

    @property
    def lock(self) -> Path:
        return self.root / ".poc-sandbox.lock"

    @property
    def chain_dir(self) -> Path:
        return self.root / "chain"

    @property
    def deployment(self) -> Path:
        return self.root / "deployment.json"

    @property
    def seed(self) -> Path:
        return self.root / "sandbox.json"

    @property
    def secret(self) -> Path:
        return self.root / "seed-secret"

    @property
    def proof_secrets(self) -> Path:
        return self.root / "proof-secrets"

    @property
    def proof_secrets_handed(self) -> Path:
        return self.root / "proof-secrets.handed"

    @property
    def keystores(self) -> Path:
        return self.root / "keystores"

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def index_db(self) -> Path:
        return self.root / "index.sqlite3"

    @property
    def outbox_db(self) -> Path:
        return self.root / "outbox.sqlite3"


def prepare_data_dir(root: Path, *, reset: bool = False) -> SandboxPaths:
    """Create the data directory (wiping it first with `reset`) and mark it as the sandbox's.

    Raises `ConfigurationError` rather than wipe or adopt a non-empty directory without the
    marker: a mistyped `--data-dir` must never cost someone their files. A running sandbox
    holds its directory with `claim_data_dir`, which calls this once it has the lock.
    """
    paths = SandboxPaths(root.expanduser().resolve())
    _check_ours(paths)
    if reset and paths.root.exists():
        # A node an earlier run left behind would write its old chain into the wiped
        # directory when it stops: stop it before wiping.
        stop_leftover_nodes(paths.chain_dir)
        for entry in paths.root.iterdir():
            # The lock stays: its holder (us) is what makes the wipe safe.
            if entry.name == paths.lock.name:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.marker.write_text(
        "This directory holds a poc-ledger sandbox; `poc sandbox --reset` wipes it.\n"
    )
    return paths


@contextlib.contextmanager
def claim_data_dir(root: Path, *, reset: bool = False) -> Iterator[SandboxPaths]:
    """Hold the data directory exclusively while the context runs, then `prepare_data_dir`.

    Two sandboxes on one directory would run two anvils on one state file; the second is
    refused with the first one's process id. The lock is an OS file lock, so it goes away
    with its process however that ends.
    """
    paths = SandboxPaths(root.expanduser().resolve())
    _check_ours(paths)
    paths.root.mkdir(parents=True, exist_ok=True)
    with paths.lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ConfigurationError(
                f"another sandbox (pid {holder}) is using {paths.root}; stop it first, "
                "or choose another --data-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield prepare_data_dir(paths.root, reset=reset)


def _check_ours(paths: SandboxPaths) -> None:
    if not paths.root.exists():
        return
    if not paths.root.is_dir():
        raise ConfigurationError(f"{paths.root} exists and is not a directory")
    others = [p for p in paths.root.iterdir() if p.name != paths.lock.name]
    if others and not paths.marker.exists():
        raise ConfigurationError(
            f"{paths.root} is not empty and was not made by the sandbox "
            f"(no {paths.marker.name}); choose another --data-dir"
        )


def move_aside(path: Path, stamp: str) -> Path | None:
    if not path.exists():
        return None
    target = path.with_name(f"{path.stem}.lost-{stamp}{path.suffix}")
    path.replace(target)
    return target

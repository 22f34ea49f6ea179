"""A PostgreSQL server of one test's own, to stop and start (the shared test server is not).

`PostgresCluster` runs Debian's `initdb` and `pg_ctl` (on PATH, or the newest
/usr/lib/postgresql/*/bin) on a cluster in a fresh directory under /tmp, listening on 127.0.0.1
at a free port, trusting local connections for the user `poc`. PostgreSQL refuses to run as
root: then the cluster belongs to the `postgres` system user (as in `.ci/run`) and every
command runs through `runuser -u postgres`. Without the binaries (or, as root, without that
user) the test is skipped, except in CI where it fails.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from poc.sandbox.anvil import free_port

USER = "poc"


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(candidates[-1]).parent if candidates else None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


class PostgresCluster:
    """One private PostgreSQL server: `start`, `stop` (immediate: as a crash would), `close`."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            _unavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
            )
        assert bin_dir is not None
        self.bin_dir = bin_dir
        self.owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                _unavailable("running as root without a `postgres` user to own the test cluster")
        # Not under pytest's tmp_path: that lies in root's private directory when the tests run
        # as root, where the postgres user cannot reach.
        self.directory = Path(tempfile.mkdtemp(prefix="poc-pg-restart-"))
        if self.owner is not None:
            os.chown(self.directory, self.owner.pw_uid, self.owner.pw_gid)
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()
        self.running = False
        try:
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "--no-sync")
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner.pw_name, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr or result.stdout}\n"
                f"{self.server_log()}"
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")
        self.running = True

    def stop(self) -> None:
        """Stop the server at once: every connection is cut, nothing is shut down cleanly (the
        next start recovers from the write-ahead log, as after a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.running = False

    def create_database(self, name: str) -> str:
        """A new database on the running server; its URL."""
        engine = sa.create_engine(
            self.server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return (
            sa.engine.make_url(self.server_url)
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def close(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        if self.running:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PostgresCluster]:
    """A started private server, deleted afterwards."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()

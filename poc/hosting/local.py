"""A throw-away PostgreSQL server for `poc host --local`: `initdb` in a temporary directory,
started on a free port of 127.0.0.1 with trust authentication for local connections only,
stopped and removed when the platform stops.

The server's programs come from `/usr/lib/postgresql/<version>/bin` (Debian's layout; the
newest version there) or from PATH. PostgreSQL refuses to run as root: when this process is
root, the server runs as the `postgres` system account (Debian's package creates it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Final, Self

from ledger.errors import ConfigurationError
from poc.sandbox.anvil import free_port

DEBIAN_ROOT: Final = Path("/usr/lib/postgresql")
DATABASE: Final = "poc_host"
USER: Final = "poc"


def find_postgres_bin() -> Path:
    """The directory holding `initdb` and `pg_ctl`."""
    if DEBIAN_ROOT.is_dir():
        versions = sorted(
            (p for p in DEBIAN_ROOT.iterdir() if (p / "bin" / "initdb").is_file()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
        )
        if versions:
            return versions[-1] / "bin"
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ConfigurationError(
        "poc host --local needs PostgreSQL's server programs (initdb, pg_ctl): install the "
        "`postgresql` package, or pass --database-url of a server you run"
    )


class LocalPostgres:
    """One temporary PostgreSQL server; `url` once started."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="poc-host-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._runas: dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ConfigurationError(
                    "PostgreSQL does not run as root and there is no `postgres` account to "
                    "run it as; run poc host as another user, or pass --database-url"
                ) from exc
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._runas = {"user": account.pw_uid, "group": account.pw_gid}

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            **self._runas,
        )
        if result.returncode != 0:
            raise ConfigurationError(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}"
            )

    def start(self) -> Self:
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8")
        # A database per workspace, connected from every process of the platform: more
        # connections than PostgreSQL's default 100.
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=500"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE)
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

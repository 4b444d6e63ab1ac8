"""A throwaway PostgreSQL server for the bootstrap SQL tests: ``initdb`` in a temp dir, a Unix
socket only (no TCP port), and roles that emulate RDS (``rds_iam``, a master with CREATEROLE).

The binaries come from Debian's ``postgresql`` package (``.ci/run`` installs it). Without them the
tests skip, except under CI (``CI=true``), where a missing server is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MASTER = "dp_admin"
DATABASE = "warehouse"


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@dataclass
class Server:
    """A running server: run SQL as any role over its socket."""

    socket_dir: Path
    bindir: Path
    as_postgres: list[str]

    def psql(self, sql: str, *, user: str = MASTER, database: str = DATABASE, check: bool = True) -> str:
        """Run ``sql`` as ``user`` with the bootstrap job's flags; return stdout (raises on error
        with ``check``)."""
        result = subprocess.run(
            [
                *self.as_postgres,
                str(self.bindir / "psql"),
                "--no-psqlrc",
                "--set",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "--quiet",
                "--tuples-only",
                "--no-align",
                "--host",
                str(self.socket_dir),
                "--username",
                user,
                "--dbname",
                database,
            ],
            input=sql,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"psql failed ({result.returncode}): {result.stderr}")
        return result.stdout if result.returncode == 0 else "ERROR: " + result.stderr


def server() -> Iterator[Server]:
    """Start a server for one test module (a generator for a pytest fixture)."""
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries are missing: .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL binaries (Debian package postgresql) are not installed")
    # initdb refuses to run as root: run the server as the postgres system user then.
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="dp-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        os.chmod(root, 0o755)
    run = lambda *cmd: subprocess.run([*as_postgres, *cmd], check=True, capture_output=True, text=True)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(root / "server.log"),
        "-o",
        f"-c listen_addresses='' -c unix_socket_directories={sockets} -c fsync=off",
        "start",
    )
    try:
        instance = Server(sockets, bindir, as_postgres)
        # RDS: rds_iam exists; the master has CREATEROLE and CREATEDB and may grant rds_iam; it owns the
        # database it asked for (db_name). PostgreSQL 16+ needs ADMIN OPTION to grant a role.
        instance.psql(
            f"CREATE ROLE rds_iam; CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB; "
            f"GRANT rds_iam TO {MASTER} WITH ADMIN OPTION;",
            user="postgres",
            database="postgres",
        )
        subprocess.run(
            [
                *as_postgres,
                str(bindir / "createdb"),
                "-h",
                str(sockets),
                "-U",
                "postgres",
                "-O",
                MASTER,
                DATABASE,
            ],
            check=True,
            capture_output=True,
        )
        yield instance
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)

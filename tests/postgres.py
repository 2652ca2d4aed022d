"""A throwaway PostgreSQL server for the run store's tests and benchmarks.

``start_postgres()`` makes one in a temporary folder (``initdb`` with trust authentication, run as the
``postgres`` system user when we are root, since initdb refuses root), listening on a free loopback port
with its unix socket in that folder, and returns a ``Postgres``: ``database()`` creates a fresh database
and gives its ``postgresql+psycopg://`` URL; ``halt()`` and ``resume()`` take the server down and bring it
back with its databases (an outage); ``stop()`` stops the server (``pg_ctl stop -m immediate``) and removes
the folder. The ``postgres_server`` fixture (session scope, registered in conftest) does the
same around a test session. Without PostgreSQL's binaries the tests that use it are skipped, except
under CI (``CI=true``), where they fail: CI installs Debian's postgresql (.ci/run).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

SYSTEM_USER = "postgres"  # whom initdb and the server run as when we are root
START_SECONDS = 60


def _major(folder: str) -> int:
    number = Path(folder).parent.name  # /usr/lib/postgresql/15/bin
    return int(number) if number.isdigit() else 0


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major, reverse=True):
        if os.access(Path(folder) / "initdb", os.X_OK) and os.access(Path(folder) / "pg_ctl", os.X_OK):
            return Path(folder)
    return None


def missing() -> str | None:
    """Why no PostgreSQL can be started here (None: it can)."""
    if find_binaries() is None:
        return ("PostgreSQL is not installed (no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin; "
                "apt-get install postgresql)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root and there is no {SYSTEM_USER!r} system user for initdb to run as"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A running throwaway server (see ``start_postgres``)."""

    def __init__(self, folder: Path, binaries: Path, port: int):
        self.folder, self.binaries, self.port = folder, binaries, port
        self.data, self.socket_dir, self.log = folder / "data", folder / "socket", folder / "server.log"
        self._names = itertools.count(1)
        self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def database(self, prefix: str = "test") -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        as_user = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SYSTEM_USER)
            as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        done = subprocess.run([str(self.binaries / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=START_SECONDS, env={**os.environ, "LC_ALL": "C", "TZ": "UTC"}, **as_user,
                              check=False)
        if check and done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}\n{log}")
        return done

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        self.resume()

    @property
    def options(self) -> str:
        """The server's options: this port and socket folder; a throwaway server, so speed over safety."""
        return (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} -c max_connections=300 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")

    def halt(self) -> None:
        """Stop the server, keeping its databases (``resume`` starts it again): a database server that went down."""
        self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))
        self.running = False

    def resume(self) -> None:
        """Start the halted server again, on the same port with the same databases."""
        self._run("pg_ctl", "start", "-w", "-t", str(START_SECONDS), "-D", str(self.data), "-l", str(self.log),
                  "-o", self.options)
        self.running = True

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            if self.running:
                self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data), check=False)
                self.running = False
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Postgres:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def start_postgres(attempts: int = 3) -> Postgres:
    """A fresh PostgreSQL server in a temporary folder (RuntimeError if it cannot start; call ``missing()``
    first to know whether it can). Stop it with ``stop()`` (or use it as a context manager)."""
    why = missing()
    if why is not None:
        raise RuntimeError(why)
    binaries = find_binaries()
    for attempt in range(attempts):  # the free port can be taken by someone else before the server binds it
        folder = Path(tempfile.mkdtemp(prefix="rnnlab-pg-"))
        (folder / "socket").mkdir()
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SYSTEM_USER)
            for path in (folder, folder / "socket"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        server = Postgres(folder, binaries, free_port())
        try:
            server.start()
            return server
        except (RuntimeError, subprocess.TimeoutExpired):
            server.stop()
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def unavailable(why: str) -> None:
    """Skip the test that needs PostgreSQL, saying why; under CI (CI=true) fail it instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}, and CI=true requires the PostgreSQL tests to run (.ci/run installs postgresql)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the session (``.database()`` gives a fresh database's URL). Skipped where
    PostgreSQL is not installed; under CI=true that fails instead."""
    why = missing()
    if why is not None:
        unavailable(why)
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()

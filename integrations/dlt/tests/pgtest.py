"""A real PostgreSQL server for the tests, started and stopped by them.

The server's binaries come from the ``pgserver`` wheel (PostgreSQL 16, installed by pip
with ``seotasks-dlt[test]``), so a fresh machine - CI included - needs nothing beyond
pip: no Debian package, no service, no container. pgserver's own server object listens
on a Unix socket without a password; the tests want what a user has, a TCP address and
a password in a ``postgresql://`` URL, so its ``initdb`` and ``pg_ctl`` are run here
directly, with scram-sha-256 authentication on 127.0.0.1 and a free port.

PostgreSQL refuses to run as root (CI and the developers' machines run as root): the
server then runs as ``nobody``, in a directory of its own under the system temp dir.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2

#: The role the tests connect as, and the database each test's own one is created from.
USER = "seotasks_test"


def _binaries() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the Postgres tests need pgserver: pip install 'seotasks-dlt[test]'")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One running server: ``url(database)`` gives a ``postgresql://`` URL with password."""

    def __init__(
        self, root: Path, port: int, password: str, ctl: list[str], run_as: dict[str, Any]
    ) -> None:
        self.root = root
        self.port = port
        self.password = password
        self._ctl = ctl
        self._run_as = run_as
        self._count = 0

    def start(self, timeout: float = 120.0) -> None:
        """Start the server (again, after `stop`), on its port, and wait until it is up."""
        options = f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c fsync=off"
        options += " -c max_connections=50"
        subprocess.run(
            [
                *(*self._ctl, "-l", str(self.root / "server.log")),
                *("-w", "-t", str(int(timeout)), "-o", options, "start"),
            ],
            check=True,
            capture_output=True,
            timeout=timeout + 10,
            **self._run_as,
        )

    def stop(self, timeout: float = 120.0) -> None:
        """Stop the server at once, as a crash would (``-m immediate``)."""
        subprocess.run(
            [*self._ctl, "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=timeout,
            **self._run_as,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> Any:
        connection = psycopg2.connect(self.url(database), connect_timeout=10)
        connection.autocommit = True
        return connection

    def create_database(self, prefix: str = "t") -> str:
        """A new, empty database: each test loads into its own."""
        self._count += 1
        name = f"{prefix}_{self._count}"
        with contextlib.closing(self.connect()) as connection, connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        return name

    def sql(self, database: str, query: str) -> list[tuple[Any, ...]]:
        with contextlib.closing(self.connect(database)) as connection, connection.cursor() as cur:
            cur.execute(query)
            return list(cur.fetchall())


@contextlib.contextmanager
def running(timeout: float = 120.0) -> Iterator[Server]:
    """Initialize a cluster in a temp dir, start it, yield it; stop and delete it after."""
    binaries = _binaries()
    as_root = os.geteuid() == 0
    owner = pwd.getpwnam("nobody") if as_root else None
    run_as: dict[str, Any] = {"user": owner.pw_uid, "group": owner.pw_gid} if owner else {}
    root = Path(tempfile.mkdtemp(prefix="seotasks-pg-"))
    data = root / "data"
    password = secrets.token_urlsafe(16)
    secret = root / "password"
    secret.write_text(password + "\n")
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(secret, owner.pw_uid, owner.pw_gid)
    ctl = [str(binaries / "pg_ctl"), "-D", str(data)]
    started = False
    try:
        subprocess.run(
            [
                *(str(binaries / "initdb"), "-D", str(data), "-U", USER, "-E", "UTF8"),
                *("--auth=scram-sha-256", f"--pwfile={secret}", "--no-sync"),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
            **run_as,
        )
        secret.unlink()
        server = Server(root, _free_port(), password, ctl, run_as)
        server.start(timeout)
        started = True
        yield server
    finally:
        if started:
            server.stop(timeout)
        shutil.rmtree(root, ignore_errors=True)

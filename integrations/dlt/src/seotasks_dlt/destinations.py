"""Where `load` writes: a DuckDB file, a ``postgresql://`` URL, or a dlt destination name.

``to`` names a place the way people write it - ``seotasks.duckdb``, ``duckdb:///seo.duckdb``
or ``postgresql://user:password@host:5432/db`` - and ``destination`` is a
dlt destination name configured the dlt way (``DESTINATION__POSTGRES__CREDENTIALS``...).

A URL carries a password, and a password must never reach a terminal, a log or an
orchestrator's task log: what is shown of a destination is `Target.described`, built
from the URL's parts without it, and an unusable URL is refused without quoting it.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
import dlt
from dlt.common.destination import Destination
from dlt.common.destination.exceptions import UnknownDestinationModule

from seotasks.errors import ConfigError
from seotasks.store import check_writable

from .duckdb_file import DuckDbFile, open_duckdb
from .lockwait import LockWait

__all__ = ["DEFAULT_DUCKDB", "Target", "duckdb_path", "is_url", "one_line", "resolve"]

DEFAULT_DUCKDB = "seotasks.duckdb"
_POSTGRES_SCHEMES = ("postgresql", "postgres")
#: Destinations that read the load files from this machine's disk (`Target.local_files`).
_LOCAL_TYPES = frozenset({"dlt.destinations.duckdb", "dlt.destinations.postgres"})


@attrs.frozen(slots=True)
class Target:
    """A destination chosen for one run: what dlt gets, and what people are shown."""

    #: A dlt destination, or its name. Left out of the repr: a Postgres destination
    #: holds the URL's credentials.
    destination: Any = attrs.field(repr=False)
    #: For the summary line and errors: no password, ever.
    described: str
    #: The DuckDB file, when the run writes one (checkpointed after each run).
    duckdb_file: DuckDbFile | None = attrs.field(default=None, repr=False)
    #: Whether the destination reads the load files from this machine's disk (a DuckDB
    #: file, a PostgreSQL server): they are then written without gzip (`workdir`).
    local_files: bool = False


def is_url(to: str | os.PathLike[str] | None) -> bool:
    """Whether ``to`` is written as a URL (``scheme://...``) rather than a path."""
    return isinstance(to, str) and "://" in to


def duckdb_path(to: str | os.PathLike[str] | None, destination: str | None) -> Path | None:
    """The DuckDB file ``to`` and ``destination`` mean, if any (None: a server)."""
    if destination is not None and to is None:
        return None
    if to is None:
        return Path(DEFAULT_DUCKDB)
    if is_url(to):
        scheme, _, rest = str(to).partition("://")
        if scheme.lower() != "duckdb":
            return None
        # SQLAlchemy's (and dlt's) spelling: an empty host, then the path, so
        # duckdb:///seo.duckdb is relative and duckdb:////data/seo.duckdb absolute.
        path = unquote(rest[1:] if rest.startswith("/") else rest)
        return Path(path) if path else Path(DEFAULT_DUCKDB)
    return Path(to)


def resolve(
    to: str | os.PathLike[str] | None,
    destination: str | None,
    stack: contextlib.ExitStack,
    *,
    wait: LockWait | None = None,
) -> Target:
    """The destination of a run; a DuckDB file is opened (and locked, waiting for another
    run's lock as ``wait`` allows) on ``stack``."""
    if to is not None and destination is not None:
        raise ConfigError("give a DuckDB file or URL (to) or a destination name, not both")
    if destination is not None:
        local = _known(destination) in _LOCAL_TYPES
        return Target(destination, destination, local_files=local)
    if is_url(to):
        scheme = str(to).partition("://")[0].lower()
        if scheme in _POSTGRES_SCHEMES:
            return _postgres(str(to))
        if scheme != "duckdb":
            raise ConfigError(
                f"unknown destination URL scheme {scheme}://: give a DuckDB file "
                "(PATH.duckdb, duckdb:///PATH.duckdb), a postgresql:// URL, or a dlt "
                "destination name (--destination)"
            )
    path = duckdb_path(to, None)
    assert path is not None  # not a server URL: checked above
    if path.suffix != ".duckdb":
        raise ConfigError(f"{path}: a DuckDB file name ends in .duckdb")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():  # a typo in the path would start a new, empty store elsewhere
        raise ConfigError(f"{path}: the folder {folder} does not exist")
    check_writable(folder, what="the DuckDB file's folder")
    opened = open_duckdb(path, stack, wait)
    return Target(opened.destination, f"duckdb {path}", opened, local_files=True)


def _known(name: str) -> str:
    """The type of destination ``name`` (``dlt.destinations.postgres``); a name dlt cannot
    resolve is a usage error: dlt raises it only when the pipeline is made, as a
    paragraph on its module search, which the command showed as an internal error."""
    try:
        found = Destination.from_reference(name)
    except UnknownDestinationModule:
        raise ConfigError(
            f"unknown dlt destination {name!r}: give one of dlt's destinations (postgres, "
            "bigquery, snowflake, duckdb, filesystem, ...) or a named destination with "
            f"its type configured (DESTINATION__{name.upper()}__DESTINATION_TYPE)"
        ) from None
    return "" if found is None else str(found.destination_type)


def _postgres(url: str) -> Target:
    """dlt's Postgres destination for ``url``; described as ``postgres user@host:port/db``."""
    try:
        parts = urlsplit(url)
        host, port, user = parts.hostname, parts.port, parts.username
    except ValueError:  # a bad port, a bad IPv6 address: say so without the URL
        raise ConfigError(
            "the postgresql:// URL cannot be parsed (expected "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
        ) from None
    if parts.netloc.count("@") > 1:
        # Python reads the last @ as the end of the password, libpq the first: the rest
        # of the password went to the resolver as a host name, and into the error.
        raise ConfigError(
            "the postgresql:// URL holds more than one @ before its host: write an @ in "
            "the user or password as %40"
        )
    database = unquote(parts.path.lstrip("/"))
    if not host or not database:
        raise ConfigError(
            "the postgresql:// URL needs a host and a database "
            "(postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
        )
    # libpq and dlt both read postgresql://; postgres:// is the same thing, spelt short.
    normalized = "postgresql://" + url.partition("://")[2]
    where = f"{host}:{port}" if port is not None else host
    who = f"{unquote(user)}@" if user else ""
    return Target(
        dlt.destinations.postgres(credentials=normalized),
        f"postgres {who}{where}/{database}",
        local_files=True,
    )


#: A URL's ``user:password@``: the password is what `one_line` masks.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)\S*@")


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An error's text on one line, at most ``limit`` characters, any URL's password
    masked: drivers' messages hold none, but a configuration error may quote its input."""
    text = _URL_PASSWORD.sub(r"\1***@", " ".join(str(exc).split()))
    return text if len(text) <= limit else text[:limit] + "..."

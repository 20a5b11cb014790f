"""`ResultStore`: one file per collected task, written so that a file that exists is whole.

``seotasks collect --to DIR`` and ``seotasks receive --to DIR`` both write here, in the
same layout: ``DIR/<provider>/<task id>.json`` (``.json.gz`` compressed). Each write goes
to a hidden temporary file in the same directory, is flushed and fsynced, renamed over
the final name (atomic on POSIX) and the directory is fsynced, so a crash or a SIGKILL at
any moment leaves either no file or a complete one, never a partial one. Writing the same
task twice (a re-run, a repeated vendor callback) replaces the file with the same content.

A task id becomes a file name only if it is a plain token (letters, digits, ``.``, ``_``
and ``-``, not starting with a dot): a vendor or a caller cannot write outside the
directory or over a hidden file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import json
import os
import re
import secrets
import shutil
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .errors import ConfigError, StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from contextlib import AbstractContextManager as ContextManager

    from .provider import JSONValue

__all__ = [
    "ResultStore",
    "atomic_write",
    "check_file_target",
    "check_writable",
    "file_mistake",
    "folder_mistake",
    "hold_lock",
    "lock_file",
    "safe_name",
    "sweep_temporary",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
_TMP_SUFFIX = ".tmp"
#: Bytes copied at a time when a streamed result is compressed into place.
_COPY_CHUNK = 1 << 20
#: A temporary file older than this was left by a killed writer and is removed.
STALE_SECONDS = 3600.0


def folder_mistake(path: Path) -> str | None:
    """What makes ``path`` impossible as an output folder, or None: a file where the
    folder should be, a mistyped path, the command's to fix (exit 2). A folder that
    cannot be created or written (below a file, read-only, full) is the machine's state,
    found by the write check (exit 6), but a path no folder can have (a name too long)
    is said here too (`file_mistake`)."""
    try:
        return "not a directory" if path.exists() and not path.is_dir() else None
    except OSError as exc:
        return _unnameable(exc)


def _unnameable(exc: OSError) -> str:
    """Why a path cannot be one, from the error `Path`'s checks raise for it."""
    return f"cannot name a file: {exc.strerror or type(exc).__name__}"


def file_mistake(path: Path) -> str | None:
    """What makes ``path`` impossible as a file to write, or None: a folder, something
    other than a regular file, or a folder that does not exist. Each is a mistyped path,
    the command's to fix; the folder is not created, so a typo makes no folders. Shared by
    every flag that names one file (``--resume``, ``report --to``) and by ``check``.
    A path no file can have (a name longer than the file system takes) says so: `Path`'s
    checks raise for it, which was an internal error (exit 4)."""
    try:
        if path.is_dir():
            return "is a directory; name a file"
        if path.exists() and not path.is_file():
            return "not a regular file"
        if not path.parent.is_dir():
            return f"directory {path.parent} does not exist"
    except OSError as exc:
        return _unnameable(exc)
    return None


def hold_lock(path: Path, *, busy: str, unopened: str | None = None) -> BinaryIO:
    """``path`` opened and locked (``flock``) for this process until the handle is closed:
    one run at a time over what it guards. `StorageError` at once, saying ``busy``, when
    another process holds it (``unopened``, or "cannot open PATH", with the reason, when
    it cannot be opened); the kernel releases a dead process's lock, so a kill leaves
    none behind."""
    try:
        handle = open(path, "ab")  # noqa: SIM115 - the caller's until it closes it
    except OSError as exc:
        said = unopened or f"cannot open {path}"
        raise StorageError(f"{said}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StorageError(busy) from None
    return handle


@contextlib.contextmanager
def lock_file(path: Path, *, busy: str) -> Iterator[None]:
    """`hold_lock` for the length of a block."""
    with hold_lock(path, busy=busy):
        yield


def check_writable(folder: Path, *, what: str = "folder") -> None:
    """Prove that files can be written durably in ``folder`` before anything is consumed.

    Creates the folder if need be, then creates, writes, fsyncs and removes a probe file:
    the same steps as `atomic_write`, so a read-only mount, a missing permission or a full
    disk shows here, before the first vendor call, and not after a result was fetched
    (a DataForSEO ``tasks_ready`` result, once fetched, is not listed again).
    Raises `StorageError` naming ``what`` and the folder.
    """
    probe = folder / f".seotasks-probe-{secrets.token_hex(6)}{_TMP_SUFFIX}"
    try:
        made = not folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True)  # another run may make it meanwhile
        if made:
            _fsync_dir(folder.parent)  # the new folder's name, durable before any file in it
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, b"{}")
            os.fsync(fd)
        finally:
            os.close(fd)
        probe.unlink()
        _fsync_dir(folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, FileExistsError | NotADirectoryError):
            reason = "something that is no folder is in its place"
        raise StorageError(f"{what} {folder} is not writable: {reason}") from None


def check_file_target(path: Path, flag: str) -> None:
    """Refuse, before any listing or fetch, a file ``flag`` names that could not be
    written there (``--resume``, ``report --to``): a mistyped path (`file_mistake`) is a
    `ConfigError` (exit 2: fix the command), a folder that takes no durable write a
    `StorageError` (exit 6: the machine's state). Found only when writing, either was
    found after all the work, and a run's resume point or report was lost."""
    mistake = file_mistake(path)
    if mistake is not None:
        raise ConfigError(f"{flag} {path}: {mistake}")
    check_writable(path.parent, what=f"the {flag} file's folder")


def safe_name(value: str) -> bool:
    """Whether ``value`` can be a file name in the store (see the module docstring)."""
    return bool(_NAME.match(value)) and value not in (".", "..")


class ResultStore:
    """Durable result files under ``root`` (created on first write)."""

    def __init__(self, root: Path, *, compress: bool = False, writers: int = 8) -> None:
        self.root = root
        self.compress = compress
        self.writers = writers
        self._swept: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def close(self) -> None:
        """Stop the writer threads of `write_many` (started on first use)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _writers(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.writers, thread_name_prefix="seotasks-store")
            return self._pool

    @property
    def suffix(self) -> str:
        return ".json.gz" if self.compress else ".json"

    def path_for(self, provider: str, task_id: str) -> Path:
        """The file a task's result goes to; `ValueError` for an id unfit as a file name."""
        if not safe_name(provider):
            raise ValueError(f"provider name {provider!r} cannot be a directory name")
        if not safe_name(task_id):
            raise ValueError(f"task id {task_id!r} cannot be a file name (unsafe characters)")
        return self.root / provider / f"{task_id}{self.suffix}"

    def claimed(self, provider: str, task_ids: Iterable[str]) -> ContextManager[None]:
        """Hold the claims of ``task_ids`` in this folder against every process writing it
        (`seotasks.claims`): a check for a file and its write, made under one, are one step."""
        from .claims import claims_for

        return claims_for(self.root).claimed(provider, task_ids)

    def check_claims(self) -> None:
        """`StorageError` unless this process can take claims in the folder (`claimed`)."""
        from .claims import claims_for

        claims_for(self.root).check()

    def existing(self, provider: str, task_id: str) -> Path | None:
        """The task's file when one exists already (either form, compressed or not).

        Anything else at its name (a folder, a dangling link, a pipe) is a
        `FileExistsError`, as the write would meet it: taken for the file, a delivery was
        answered "written" with nothing on disk, and a draining fetch dropped its result."""
        if not safe_name(provider) or not safe_name(task_id):
            return None
        folder = self.root / provider
        for suffix in (".json", ".json.gz"):
            candidate = folder / f"{task_id}{suffix}"
            try:  # one call where nothing is there, the usual case on a collect's path
                mode = candidate.lstat().st_mode
            except (FileNotFoundError, NotADirectoryError):
                continue
            if stat.S_ISLNK(mode):
                try:
                    mode = candidate.stat().st_mode  # a link to a file is that file
                except OSError as exc:
                    if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):  # to nothing
                        raise _in_the_way(candidate) from None
                    raise
            if not stat.S_ISREG(mode):
                raise _in_the_way(candidate)
            return candidate
        return None

    def folder(self, provider: str) -> Path:
        """The provider's folder, created (and swept of a killed writer's leftovers) once,
        and created again if it went away meanwhile: a receiver whose folder was moved
        aside (an archive) answered every later delivery 503 until restarted."""
        if not safe_name(provider):
            raise ValueError(f"provider name {provider!r} cannot be a directory name")
        folder = self.root / provider
        if provider not in self._swept:
            folder.mkdir(parents=True, exist_ok=True)
            sweep_temporary(folder)
            self._swept.add(provider)
        elif not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
        return folder

    def adopt(self, provider: str, task_id: str, temp: Path) -> Path:
        """Make the finished temporary file ``temp`` (in `folder`) the task's file, durably.

        For a result streamed to disk (`Client.collect_many` with ``into``): fsync, rename
        over the final name, fsync the folder, so the vendor's bytes become the file
        without ever being held in memory. With ``compress``, they are gzipped in chunks
        into a second temporary file, which takes ``temp``'s place.
        """
        final = self.path_for(provider, task_id)
        if self.compress:
            packed = temp.with_name(f"{temp.name}.gz{_TMP_SUFFIX}")
            try:
                with open(temp, "rb") as source, open(packed, "xb") as target:
                    with gzip.GzipFile(fileobj=target, mode="wb", compresslevel=6, mtime=0) as gz:
                        shutil.copyfileobj(source, gz, _COPY_CHUNK)
                    target.flush()
                    os.fsync(target.fileno())
            except BaseException:
                packed.unlink(missing_ok=True)
                raise
            temp.unlink()
            temp = packed
        else:
            fd = os.open(temp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(temp, final)
        _fsync_dir(final.parent)
        return final

    def write(self, provider: str, task_id: str, result: JSONValue) -> Path:
        """Write ``result`` (any JSON value, as collected) as the task's file, durably;
        returns the path."""
        data = json.dumps(result, ensure_ascii=False, separators=(",", ":"), default=str)
        return self.write_bytes(provider, task_id, data.encode())

    def write_bytes(self, provider: str, task_id: str, data: bytes) -> Path:
        """Write already-encoded JSON ``data`` as the task's file, durably."""
        final = self.path_for(provider, task_id)
        self.folder(provider)
        if self.compress:
            data = gzip.compress(data, compresslevel=6, mtime=0)
        return atomic_write(final, data)

    def write_many(self, provider: str, results: list[tuple[str, JSONValue]]) -> list[Path]:
        """Write several tasks' files with one folder fsync (a postback of many tasks).

        Each file is still written whole and fsynced before its rename; only the folder's
        fsync, which makes the renames durable, is shared. The files are written by a few
        threads at once: one fsync after another is bound by the disk's latency (~250
        files/s here), several in flight share the journal's commits (~3000 files/s).
        Returns the paths, in order.
        """
        if not results:
            return []
        finals = [self.path_for(provider, task_id) for task_id, _ in results]
        folder = self.folder(provider)

        def one(item: tuple[Path, JSONValue]) -> None:
            final, result = item
            data = json.dumps(result, ensure_ascii=False, separators=(",", ":"), default=str)
            raw = data.encode()
            if self.compress:
                raw = gzip.compress(raw, compresslevel=6, mtime=0)
            atomic_write(final, raw, sync_folder=False)

        items = [(final, result) for final, (_, result) in zip(finals, results, strict=True)]
        if len(items) == 1:
            one(items[0])
        else:
            list(self._writers().map(one, items))
        _fsync_dir(folder)
        return finals


def _in_the_way(candidate: Path) -> FileExistsError:
    return FileExistsError(
        errno.EEXIST, f"{candidate} is in the way of a result file: it is no file"
    )


def atomic_write(final: Path, data: bytes, *, sync_folder: bool = True, mode: int = 0o666) -> Path:
    """Write ``data`` to ``final`` so that the file is either absent, old, or whole.

    Hidden temporary file in the same folder (``mode``, less the umask), fsync, rename
    over ``final``, fsync of the folder (so the rename itself survives a power cut).
    """
    folder = final.parent
    temp = folder / f".{final.name}.{secrets.token_hex(6)}{_TMP_SUFFIX}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if sync_folder:
        _fsync_dir(folder)
    return final


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data``: `os.write` may write fewer (a file-size limit, a
    disk that fills), and only the next call reports why. The write probe goes the same
    way, so a folder that takes one byte of the probe's two is refused up front."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (the directory entry), where the OS allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def sweep_temporaries_of(final: Path) -> None:
    """Remove the temporary files of `atomic_write` for ``final`` alone that a killed
    writer left beside it, once old enough (`STALE_SECONDS`) not to be a live writer's:
    for a file in a folder that is not ours (a resume file in the user's folder), where
    `sweep_temporary` would take other programs' hidden ``.tmp`` files too."""
    pattern = re.compile(rf"\.{re.escape(final.name)}\.[0-9a-f]{{12}}{re.escape(_TMP_SUFFIX)}\Z")
    _sweep(final.parent, lambda name: pattern.match(name) is not None)


def sweep_temporary(folder: Path) -> None:
    """Remove the hidden temporary files (`atomic_write`'s) a killed writer left in
    ``folder``, once old enough (`STALE_SECONDS`) not to be a live writer's."""
    _sweep(folder, lambda name: name.startswith(".") and name.endswith(_TMP_SUFFIX))


def _sweep(folder: Path, left_behind: Callable[[str], bool]) -> None:
    """Remove each file of ``folder`` whose name is ``left_behind`` and that was last
    written over `STALE_SECONDS` ago."""
    cutoff = time.time() - STALE_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:  # not there (yet): nothing left behind
        return
    for entry in entries:
        if left_behind(entry.name):
            with contextlib.suppress(OSError):  # another process took care of it
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)

"""`Client`: one connected provider, and the paging loop every provider shares.

Why the loop lives here and not in each plugin: de-duplication at page boundaries,
client-side filtering, loop detection, cursor checks and "which cursor resumes after
this error" are the same for every vendor, and getting them right once is the point
of the library.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator, Iterable, Mapping
from itertools import islice
from operator import attrgetter
from os import PathLike
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn, Unpack

from . import cursor as cursor_codec
from .account import account_key
from .batchcheck import fetched_tasks
from .collect import check_owned, collect_many, owned_by
from .cursor import position_digest, position_json
from .errors import CursorError, ResponseFormatError, SeotasksError
from .fetcher import Fetcher
from .model import Page, Task, TaskQuery, TaskStatus
from .onerun import one_run_for
from .provider import Capabilities, JSONValue, Position, Provider, declared_capabilities
from .query import (
    PARSE,
    UNSET,
    Listing,
    build_query,
    check_listing,
    parse_status,
    parse_when,
    shown,
)

if TYPE_CHECKING:
    from .collect import Collected
    from .journal import Journal
    from .submit import SerpTaskSpec, SubmitResult

__all__ = ["DEFAULT_MAX_RESULT_BYTES", "RESULT_SUFFIX", "Client", "build_query", "parse_when"]

#: The largest answer `Client.collect_to` keeps for one task (1 GiB): a runaway answer
#: fails its task instead of filling the disk.
DEFAULT_MAX_RESULT_BYTES = 1 << 30
#: The temporary files `collect_many(into=...)` streams into (the store sweeps leftovers).
RESULT_SUFFIX = ".result.tmp"


_id_of = attrgetter("id")


class Client:
    """A connected provider. Create one with `seotasks.connect`.

    Thread-safe for listing: several threads may iterate through one client; they share
    its connection pool and its pacer, so together they stay under the vendor's limits.
    """

    def __init__(self, provider: Provider) -> None:
        declared_capabilities(provider)  # a plugin's wrong declaration, named at connect
        self._provider = provider
        self.transport = provider.transport
        self._listing: dict[str, JSONValue] = {
            opt.name: cursor_codec.listing_value(provider.settings.get(opt.name))
            for opt in provider.options
            if opt.listing and not opt.secret
        }
        #: Called with each `Page` as ``tasks()`` / ``pages()`` move on (progress, resume files).
        self.on_page: Callable[[Page], None] | None = None
        #: The largest answer `collect_to` keeps for one task, in bytes (None: no cap).
        self.max_result_bytes: int | None = DEFAULT_MAX_RESULT_BYTES
        #: Held by the one `collect_many` run of the account allowed when the listing drains.
        self._draining = one_run_for(provider.name, account_key(provider, local_port=True))
        self._account = account_key(provider)  # recorded in cursors

    # -- description ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._provider.name

    @property
    def provider(self) -> Provider:
        return self._provider

    @property
    def capabilities(self) -> Capabilities:
        return declared_capabilities(self._provider)

    @property
    def listing_options(self) -> Mapping[str, JSONValue]:
        """The options recorded in this client's cursors."""
        return dict(self._listing)

    def __repr__(self) -> str:
        return f"<seotasks.Client {self.name} {self._provider.settings!r}>"

    def close(self) -> None:
        self._provider.close()
        self.transport.close()

    def __reduce__(self) -> NoReturn:
        """Refused by name, not as "cannot pickle '_thread.lock'" (a client handed to a
        process pool): its connections, pacer and credentials are its process's own."""
        raise TypeError(
            f"a seotasks Client ({self.name}) cannot be pickled or copied; call "
            f"seotasks.connect({self.name!r}, ...) in each process instead"
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cursors -------------------------------------------------------------------------

    def _cursor(self, query: TaskQuery, position: Position) -> str:
        return cursor_codec.encode(
            provider=self.name,
            listing=self._listing,
            query=query,
            position=position,
            account=self._account,
        )

    def _open(self, cursor: str | None, asked: Listing) -> tuple[TaskQuery, Position]:
        check_listing(asked)
        given: dict[str, Any] = {k: v for k, v in asked.items() if v is not UNSET}
        if cursor is None:
            query = build_query(
                given.get("status", TaskStatus.COMPLETED),
                given.get("since"),
                given.get("until"),
                given.get("time_field"),
            )
            return query, cursor_codec.keepable(self.name, "start", self._provider.start(query))
        state = cursor_codec.decode(cursor)
        cursor_codec.check_made_for(state, self._provider, self._listing, self._account)
        for field, raw in given.items():
            value = PARSE[field](raw)
            if getattr(state.query, field) != value:
                raise CursorError(
                    f"this cursor is for {field}={shown(getattr(state.query, field), field)}, "
                    f"not {field}={shown(value, field)}; drop the argument or start a new listing"
                )
        if (reason := self.capabilities.unreported(state.query.status)) is not None:
            raise CursorError(f"this cursor lists a status {self.name} {reason}: it was edited")
        checked = self._provider.check_position(state.position)
        return state.query, cursor_codec.keepable(self.name, "check_position", checked)

    def check_cursor(
        self,
        cursor: str,
        **asked: Unpack[Listing],
    ) -> TaskQuery:
        """The query ``cursor`` continues, checked as `page` would check it, without a call.

        `CursorError` for a cursor of another provider, other listing options, another
        query than the arguments given, a newer format, or one that was edited: a command
        can refuse it before it prints anything.
        """
        query, _ = self._open(cursor, asked)
        return query

    @staticmethod
    def parse_status(value: TaskStatus | str | None) -> TaskStatus | None:
        """A status as callers write it (``"completed"``, ``"any"``): `ConfigError` if unknown."""
        return parse_status(value)

    # -- listing ------------------------------------------------------------------------

    def _fetch(self, query: TaskQuery, position: Position, given: str) -> Page:
        if (reason := self.capabilities.unreported(query.status)) is not None:
            # A status the provider never reports (Serpstat: failed) lists nothing; asked,
            # the whole list was read to be filtered to nothing, its cursor refused by `_open`.
            return Page(tasks=(), next_cursor=None, notes=(f"{self.name} {reason}",))
        with self.transport.redactor.active():
            batch = self._provider.fetch(query, position)
        name = self.name
        if position_json(position) != given:  # given: its JSON as fetch was handed it
            raise ResponseFormatError(
                f"{name}: fetch changed the position it was given ({json.loads(given)} became "
                f"{position}): return the next position as a new dict, the given one unchanged"
            )
        # Every task is checked to be this provider's, so its ``id`` alone is its key
        # (cheaper than `Task.key`, which formats a string per task).
        tasks = fetched_tasks(name, batch)
        if batch.next is not None:
            cursor_codec.keepable(name, "fetch", batch.next)
        if query.status is not None or query.since is not None or query.until is not None:
            tasks = tuple(filter(query.matches, tasks))
        ids = list(map(_id_of, tasks))
        if len(set(ids)) != len(ids):  # a task repeated on its page: its first place only
            first = {task_id: index for index, task_id in reversed(list(enumerate(ids)))}
            tasks = tuple(tasks[index] for index in sorted(first.values()))
        if batch.next is not None and position_json(batch.next) == given:
            raise ResponseFormatError(f"{name}: paging did not advance from position {position}")
        next_cursor = None if batch.next is None else self._cursor(query, batch.next)
        return Page(tasks=tasks, next_cursor=next_cursor, capped=batch.capped, notes=batch.notes)

    def page(
        self,
        cursor: str | None = None,
        **asked: Unpack[Listing],
    ) -> Page:
        """One page: the first of a new listing, or the one ``cursor`` points at.

        With a cursor, the query comes from the cursor; arguments given as well must
        agree with it, else `CursorError`. A page may be empty while ``next_cursor`` is
        set (every task on it was filtered out): keep going until ``next_cursor`` is None.
        ``time_field`` (``created_at``, the default, or ``completed_at``) is the time
        ``since`` / ``until`` bound: see `TaskQuery`.
        """
        query, position = self._open(cursor, asked)
        return self._fetch_resumable(query, position, cursor)

    def _fetch_resumable(self, query: TaskQuery, position: Position, cursor: str | None) -> Page:
        """`_fetch`, with any error carrying the cursor that asks for this same page again:
        ``cursor`` when the caller had one for it (resuming repeats their exact token),
        else one encoded for ``position`` as it was before the provider's fetch saw it."""
        given = position_json(position)
        try:
            return self._fetch(query, position, given)
        except SeotasksError as exc:
            exc.resume_cursor = cursor or self._cursor(query, json.loads(given))
            raise

    def pages(
        self,
        cursor: str | None = None,
        **asked: Unpack[Listing],
    ) -> Generator[Page, None, None]:
        """Every page from the start (or from ``cursor``) to the end.

        A task that appears again on the next page (the vendor's pages shifted) is
        dropped; a position that comes round again is a `ResponseFormatError`, not an
        endless loop. An error carries ``resume_cursor``: the listing resumes from it
        without losing or repeating a page.
        """
        query, position = self._open(cursor, asked)
        visited: set[str] = {position_digest(position)}
        previous: set[str] = set()
        current_cursor = cursor
        while True:
            page = self._fetch_resumable(query, position, current_cursor)
            listed = set(map(_id_of, page.tasks))  # one provider: ids are keys
            if previous and not previous.isdisjoint(listed):
                fresh = tuple(t for t in page.tasks if t.id not in previous)
                if len(fresh) != len(page.tasks):
                    page = Page(
                        tasks=fresh,
                        next_cursor=page.next_cursor,
                        capped=page.capped,
                        notes=page.notes,
                    )
            # Compare the next page with everything this one listed, repeats included:
            # a task that overlaps two page boundaries in a row is still dropped.
            previous = listed
            if self.on_page is not None:
                self.on_page(page)
            yield page
            if page.next_cursor is None:
                return
            state = cursor_codec.decode(page.next_cursor)
            digest = position_digest(state.position)
            if digest in visited:
                loop = ResponseFormatError(
                    f"{self.name}: paging came back to an earlier position "
                    f"{state.position}; stopping instead of looping"
                )
                # Everything up to here was delivered; resuming re-asks the vendor.
                loop.resume_cursor = page.next_cursor
                raise loop
            visited.add(digest)
            position = state.position
            current_cursor = page.next_cursor

    def tasks(
        self,
        cursor: str | None = None,
        *,
        limit: int | None = None,
        **asked: Unpack[Listing],
    ) -> Generator[Task, None, None]:
        """Every matching task, each once, fetching pages as the caller consumes them.

        ``status`` defaults to ``completed``; pass ``"any"`` (or ``None``) for all.
        ``since`` / ``until`` bound ``time_field``: ``created_at`` (default) or
        ``completed_at`` ("what finished since T"). ``limit`` stops after that many tasks
        without asking for another page (`islice` asks for no item past its stop).
        """
        if limit is not None and (type(limit) is not int or limit < 0):  # True is no count
            raise ValueError(f"limit must be >= 0 (a whole number, or None), got {limit!r}")
        self.transport.check_open()  # limit=0 asks for nothing: refused all the same
        every = (task for page in self.pages(cursor, **asked) for task in page.tasks)
        yield from every if limit is None else islice(every, limit)

    def collect(self, task: Task) -> JSONValue:
        """A finished task's result: the vendor's JSON, any JSON value (providers that can)."""
        check_owned(task, self.name)  # an id, another provider's task: not deep in the plugin
        with self.transport.redactor.active():
            if isinstance(result := self._provider.collect(task), Mapping):
                self._check_answered(task, self._provider.result_task_id(result))
        return result

    def collect_to(self, task: Task, sink: BinaryIO) -> None:
        """Fetch a finished task's result into ``sink`` (a file open for writing and reading).

        When the provider offers a `Provider.result_download`, the vendor's answer is
        streamed into ``sink`` as it arrives, validated there as one JSON document and
        checked like `collect`: memory stays at one read buffer whatever the size, and
        ``sink`` holds the vendor's bytes exactly. Otherwise `collect`'s result is
        written as JSON. An answer over `max_result_bytes` is a `ResponseFormatError`.
        """
        check_owned(task, self.name)  # an id, another provider's task: not deep in the plugin
        from .answers import fetch_into

        answered = fetch_into(self, task, sink)
        if answered is not None:
            self._check_answered(task, answered)

    def _check_answered(self, task: Task, answered: str | None) -> None:
        if answered is not None and type(answered) is not str:  # a vendor's JSON number
            got = f"{type(answered).__name__} {answered!r}"
            raise TypeError(f"{self.name}: result_task_id returned {got}, not a str or None")
        if answered is not None and answered != task.id:
            raise ResponseFormatError(
                f"{self.name}: asked for the result of task {task.id}, the vendor answered "
                f"with task {answered!r}; nothing was stored"
                + (
                    " (a listing that drains may no longer show it; its id still fetches it)"
                    if self.capabilities.drains
                    else ""
                ),
                item_id=task.id,
            )

    def collect_many(
        self,
        tasks: Iterable[Task],
        *,
        workers: int = 8,
        window: int | None = None,
        ordered: bool = False,
        stop: threading.Event | None = None,
        journal: Journal | None = None,
        into: str | PathLike[str] | None = None,
    ) -> Generator[Collected, None, None]:
        """Collect every task of ``tasks`` concurrently; yield one `Collected` per task.

        ``workers`` threads share this client's connection pool and pacer, so together
        they never exceed the vendor's documented rate (the pacer waits instead), and
        each call is retried like any read. A task that fails is yielded with its
        ``error`` and the rest go on. Results come out as they complete (``ordered=True``:
        in input order); each carries its input ``index``. ``tasks`` is read lazily and at
        most ``window`` (default ``2 * workers``) tasks are held at once, so any number
        of tasks (a whole ``client.tasks()`` listing, say) runs in bounded memory.
        Setting ``stop`` (a `threading.Event`) ends the run gracefully: no new task is
        taken, the ones in flight are still yielded (leaving the loop early instead drops
        the results in flight, up to ``window``). An input item that is no `Task` of this
        provider is misuse, raised as `collect` raises it (`TypeError`, `ValueError`)
        once the tasks taken before it are yielded.

        ``journal``: each task is recorded in it (durably) right before its fetch, for a
        listing whose fetches consume (`Capabilities.drains`); the caller acks a task once
        its result is stored, and fetches ``journal.pending()`` again on its next start.
        A task whose entry cannot be written is not fetched (its error says why).

        ``into`` (an existing folder, any path): each result is streamed into a hidden
        temporary file there (`collect_to`) instead of being parsed; `Collected.path`
        names it and `Collected.result` is None. The caller moves the file into place (on
        the same file system, a rename) or removes it. Memory then stays flat whatever the
        results' size. The folder is proven writable before anything is fetched, and a
        `StorageError` met during the run (a full disk; the journal's too) stops the
        intake as ``stop`` does: the tasks in flight are yielded, no other is taken.

        Where the listing drains, one run per account at a time (of any of its clients in
        this process): a second would fetch the same tasks, so it is a `RuntimeError`.
        """
        self.transport.check_open()  # refused at the call, as every other call is
        fetch = Fetcher(self, journal, into, stop)  # its arguments checked here too
        runner = collect_many(
            fetch,
            owned_by(tasks, self.name),
            workers=workers,
            window=window,
            ordered=ordered,
            stop=fetch.stop,
            transport=self.transport,
        )
        if self.capabilities.drains:
            runner = self._draining.hold(runner, self.name)
        self.transport.ensure_pool_size(workers)
        return runner

    def submit(self, specs: Iterable[SerpTaskSpec]) -> list[SubmitResult]:
        """Post ``specs`` as tasks; one `SubmitResult` per spec, in the same order.

        The provider batches and paces the calls. A batch may partly fail: each spec
        carries its own ``task_id`` or ``error``, none is lost, and none is posted twice
        (a batch whose answer was lost is reported as a `TransientError` on each of its
        specs, not resent). A field the vendor cannot express is an `UnsupportedQuery`.
        An accepted spec's ``kind`` is its task's `Task.kind` as the listing will give it:
        ``collect(Task(provider=self.name, id=r.task_id, kind=r.kind, status=COMPLETED))``
        fetches it by id once done, with no listing in between.
        """
        from .submit import SerpTaskSpec

        self.transport.check_open()  # even for no specs: a closed client refuses every call
        items = list(specs)
        for index, spec in enumerate(items):
            if not isinstance(spec, SerpTaskSpec):
                raise TypeError(
                    f"specs[{index}] is a {type(spec).__name__}, not a seotasks.SerpTaskSpec"
                )
        if not items:
            return []
        with self.transport.redactor.active():
            results = self._provider.submit(items)
        if len(results) != len(items) or any(
            r.spec is not s for r, s in zip(results, items, strict=True)
        ):
            raise ResponseFormatError(
                f"{self.name}: submit returned {len(results)} results for {len(items)} specs "
                "(or out of order)"
            )
        return results

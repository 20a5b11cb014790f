"""`Session`: what the successive dlt runs of one ``seotasks load`` share.

A dlt run becomes one load package, and loading a package into DuckDB costs memory in
proportion to it (3000 results of 18 KB: over 300 MB in one package). So
`seotasks_dlt.load` runs the source several times in a row, each run holding at most
``per_run`` results, loaded and acknowledged before the next run collects more; memory
then stays flat however many results there are. The runs of one `load` share:

* the clients: one connection pool and one pacer for the whole `load`, so the vendor's
  rate limit holds across runs (a client per run would start each run with a fresh
  pacer, and a fresh allowance of calls);
* the budget: how many results the current run has taken, and how many bytes they came
  to (``full`` ends the run). Bytes as well as the count: DuckDB's memory for a package
  grows with its bytes (100 results of 1 MB: 863 MB at the peak, where 250 of 18 KB
  took 170 MB), so a run of large results ends once it holds ``bytes_per_run``;
* ``leftover``: the tasks a full run had no room for (the rest of a page, or the tasks a
  run took and had not started when its bytes ran out), collected first by the next
  run, so that no page is listed twice;
* the providers whose listing already ended and whose journal was already re-delivered,
  and the tasks whose collection failed (tried once per `load`, not once per run).

A source run by hand (no `Session` given) gets a session of its own, without a budget:
one run takes everything and closes its clients at its end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from seotasks.client import Client
from seotasks.errors import ConfigError
from seotasks.model import Task
from seotasks.provider import JSONValue

from .rows import weight

__all__ = ["Session"]


class Session:
    """The clients, budget and carry-over of one `seotasks_dlt.load` (see the module)."""

    def __init__(
        self,
        per_run: int | None = None,
        *,
        bytes_per_run: int | None = None,
        sandbox: bool = False,
    ) -> None:
        for what, value in (("results", per_run), ("result bytes", bytes_per_run)):
            if value is not None and (type(value) is not int or value < 1):
                raise ConfigError(f"{what} per run must be a positive integer, got {value!r}")
        self.per_run = per_run
        self.bytes_per_run = bytes_per_run
        #: ``--sandbox``: its emulators listen on a new port each run, so the account a
        #: pipeline's state records (login and API host) changes from run to run by design.
        self.sandbox = sandbox
        self.clients: dict[str, Client] = {}
        #: Results taken by the current run.
        self.used = 0
        #: Bytes of the results the current run has taken (`weigh`).
        self.bytes = 0
        #: The current run took its share: it ends, and another run is needed.
        self.full = False
        self.leftover: dict[str, list[Task]] = {}
        self.finished: set[str] = set()
        self.redelivered: set[str] = set()
        self.failed: set[str] = set()
        #: What the run's line should say beyond its counts (a listing that started over).
        self.notes: list[str] = []

    def client(self, name: str, connect: Callable[[], Client]) -> Client:
        """The session's client for provider ``name`` (connected on first use)."""
        if name not in self.clients:
            self.clients[name] = connect()
        return self.clients[name]

    def take(self, provider: str, tasks: list[Task]) -> list[Task]:
        """The part of ``tasks`` this run collects; the rest waits for the next run."""
        if self.per_run is None:
            self.used += len(tasks)
            return tasks
        room = max(0, self.per_run - self.used)
        now, rest = tasks[:room], tasks[room:]
        if rest:
            self.leftover.setdefault(provider, []).extend(rest)
        self.used += len(now)
        if self.used >= self.per_run:
            self.full = True
        return now

    def feed(self, provider: str, tasks: list[Task]) -> Iterator[Task]:
        """``tasks`` one by one, as the collection starts them, until the run's results
        reach ``bytes_per_run``: the rest go back to ``leftover``, untouched.

        Read lazily by `collect_many`'s feeder, which asks for a task only when one of its
        slots is free, i.e. once an earlier result was handed on (and weighed): a task not
        yet asked for was never fetched nor journaled, so giving it back loses nothing and
        fetches nothing twice. A run starts with an empty budget, so its first task is
        always given and a result larger than the budget is still loaded; a run holds
        at most the window's few results past its budget (those already in flight).
        """
        for index, task in enumerate(tasks):
            if self._spent:
                rest = tasks[index:]
                self.leftover.setdefault(provider, []).extend(rest)
                self.used -= len(rest)
                self.full = True
                return
            yield task

    def weigh(self, size: int) -> None:
        """A result of ``size`` bytes was taken: past ``bytes_per_run`` the run is full."""
        self.bytes += size
        if self._spent:
            self.full = True

    def weigh_result(self, result: JSONValue) -> None:
        """A parsed result was taken: weighed as its JSON text (`rows.weight`), and only
        with a byte budget, since weighing it means writing that text."""
        if self.bytes_per_run is not None:
            self.weigh(weight(result))

    @property
    def _spent(self) -> bool:
        """Whether the run's results reached ``bytes_per_run``."""
        return self.bytes_per_run is not None and self.bytes >= self.bytes_per_run

    def count(self, rows: int) -> None:
        """``rows`` results taken outside `take` (re-delivered from the journal)."""
        self.used += rows
        if self.per_run is not None and self.used >= self.per_run:
            self.full = True

    def next_run(self) -> None:
        """The current run is loaded: the next one starts with an empty budget."""
        self.used = 0
        self.bytes = 0
        self.full = False

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

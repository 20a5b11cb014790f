"""The paging loop through `Client`: each task once, resumable, filtered, loop-proof."""

from __future__ import annotations

import copy
import itertools
import pickle
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any

import pytest
from fakevendor import BASE, FakeVendor, FakeVendorApp, connect_fake

import seotasks
from seotasks import ConfigError, CursorError, ResponseFormatError, TransientError
from seotasks import cursor as codec
from seotasks.emulation import EmulatorServer, Fault
from seotasks.provider import Batch, Position

pytestmark = pytest.mark.usefixtures("fake_registry")

ALL = {f"t{i:06d}" for i in range(1, 2501)}


def ids(tasks: Any) -> list[str]:
    return [t.id for t in tasks]


@pytest.fixture
def big(serve: Any) -> tuple[FakeVendorApp, EmulatorServer]:
    app = FakeVendorApp(2500)
    return app, serve(app)


def test_many_pages_each_task_exactly_once(big: tuple[FakeVendorApp, EmulatorServer]) -> None:
    _, server = big
    client = connect_fake(server.url, page_size=100)
    got = ids(client.tasks(status="any"))
    assert len(got) == 2500
    assert set(got) == ALL
    assert got == sorted(got)  # the vendor's order is kept
    offsets = [int(r.query["offset"][0]) for r in server.requests]
    assert offsets == list(range(0, 2500, 100))


def test_pages_report_each_page_and_end_with_no_cursor(
    big: tuple[FakeVendorApp, EmulatorServer],
) -> None:
    client = connect_fake(big[1].url, page_size=500)
    seen: list[int] = []
    client.on_page = lambda page: seen.append(len(page.tasks))
    pages = list(client.pages(status="any"))
    assert [len(p.tasks) for p in pages] == [500] * 5 == seen
    assert all(p.next_cursor for p in pages[:-1])
    assert pages[-1].next_cursor is None


def test_resume_from_next_cursor_in_a_fresh_client(
    big: tuple[FakeVendorApp, EmulatorServer],
) -> None:
    server = big[1]
    first = connect_fake(server.url).page(status="any")
    assert len(first.tasks) == 100 and first.next_cursor
    first_ids = set(ids(first.tasks))
    token: str = first.next_cursor
    first_client_calls = len(server.requests)
    # "Another process": a new client, nothing shared but the cursor string.
    rest = ids(connect_fake(server.url).tasks(token))
    assert len(rest) == 2400 and not first_ids & set(rest)
    assert first_ids | set(rest) == ALL
    assert int(server.requests[first_client_calls].query["offset"][0]) == 100


def test_page_by_page_each_in_a_new_client(big: tuple[FakeVendorApp, EmulatorServer]) -> None:
    server = big[1]
    token: str | None = None
    seen: list[str] = []
    for _ in range(30):
        client = connect_fake(server.url, page_size=250)
        page = client.page(token) if token else client.page(status="completed")
        seen += ids(page.tasks)
        client.close()
        token = page.next_cursor
        if token is None:
            break
    assert token is None
    expected = [f"t{i:06d}" for i in range(1, 2501) if i % 4 in (0, 1)]
    assert seen == expected


def test_status_filter(client: seotasks.Client, app: FakeVendorApp) -> None:
    by_status = {s: ids(client.tasks(status=s)) for s in ("completed", "running", "failed")}
    assert by_status["completed"] == ids(client.tasks())  # the default
    assert all(t.status is seotasks.TaskStatus.COMPLETED for t in client.tasks())
    assert len(by_status["running"]) == sum(1 for i in range(1, 251) if i % 4 == 2)
    assert Counter(itertools.chain(*by_status.values())) == Counter(
        {f"t{i:06d}": 1 for i in range(1, 251)}
    )
    with pytest.raises(ConfigError, match="status must be one of"):
        next(client.tasks(status="done"))


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (BASE + timedelta(minutes=100), BASE + timedelta(minutes=200)),
        ("2026-11-01T01:40:00+00:00", "2026-11-01 03:20"),
        ("2026-11-01T03:40:00+02:00", datetime(2026, 11, 1, 3, 20)),  # naive means UTC
    ],
)
def test_since_until_bound_created_at(client: seotasks.Client, since: Any, until: Any) -> None:
    got = ids(client.tasks(status="any", since=since, until=until))
    assert got == [f"t{i:06d}" for i in range(100, 200)]


def test_date_bounds_and_bad_bounds(client: seotasks.Client) -> None:
    assert ids(client.tasks(status="any", since=date(2026, 11, 2))) == []
    assert len(ids(client.tasks(status="any", until=date(2026, 11, 2)))) == 250
    with pytest.raises(ConfigError, match="ISO 8601"):
        next(client.tasks(since="last tuesday"))
    with pytest.raises(ConfigError, match="before"):
        next(client.tasks(since="2026-11-02", until="2026-11-01"))


def test_a_page_may_be_empty_while_the_listing_goes_on(fake_registry: None, server: Any) -> None:
    client = connect_fake(server.url, page_size=1)
    page = client.page(status="failed")  # task 1 is done: filtered out
    assert page.tasks == () and page.next_cursor is not None
    assert ids(client.page(page.next_cursor).tasks) == []  # task 2 runs
    assert len(list(client.tasks(status="failed"))) == 62


def test_no_duplicates_when_new_tasks_shift_offset_pages(serve: Any) -> None:
    app = FakeVendorApp(500)
    server = serve(app)
    original = [item["id"] for item in app.items]
    served: list[str] = []

    def shift(request: Any) -> None:
        if server.requests[:-1]:  # from the second page on, 7 new tasks arrive first
            app.insert_front(7)

    server.on_request = shift
    client = connect_fake(server.url, page_size=50)
    for page in client.pages(status="any"):
        served += ids(page.tasks)
    assert len(served) == len(set(served)), "a task was yielded twice"
    assert served == original  # every original task, once, in order
    # The vendor did repeat items at every boundary: the core removed them.
    raw_items = sum(min(50, len(app.items) - int(r.query["offset"][0])) for r in server.requests)
    assert raw_items - len(served) >= 7 * (len(server.requests) - 1) - 50


class LoopingVendor(FakeVendor):
    """A broken provider: its next position goes back to where it has been."""

    name = "loopvendor"
    cycle = 2

    def fetch(self, query: seotasks.TaskQuery, position: Position) -> Batch:
        batch = super().fetch(query, position)
        offset = position["offset"]
        assert isinstance(offset, int)
        step = int(self.settings["page_size"])
        return Batch(tasks=batch.tasks, next={"offset": (offset + step) % (step * self.cycle)})


class StuckVendor(LoopingVendor):
    name = "stuckvendor"
    cycle = 1


class LoopPlugin:
    @seotasks.hookimpl
    def register_providers(self, register: Any) -> None:
        register(LoopingVendor)
        register(StuckVendor)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("name", "pages"), [("loopvendor", 2), ("stuckvendor", 0)])
def test_a_repeating_position_is_an_error_not_an_endless_loop(
    server: Any, name: str, pages: int
) -> None:
    seotasks.register_plugin(LoopPlugin(), "loop")
    client = connect_fake(server.url, name=name, page_size=10)
    got: list[str] = []
    with pytest.raises(ResponseFormatError, match="position") as info:
        for page in client.pages(status="any"):
            got += ids(page.tasks)
    assert len(got) == len(set(got)) == 10 * pages
    assert info.value.resume_cursor is not None, "every listing error says where to resume"
    assert len(server.requests) <= 3
    if name == "stuckvendor":  # a single page() already sees it does not advance
        with pytest.raises(ResponseFormatError, match="did not advance"):
            client.page(status="any")
    else:
        assert len(client.page(status="any").tasks) == 10


class AdvancingVendor(FakeVendor):
    """A fetch that moves the position it was given past its page before asking."""

    name = "advancingvendor"

    def fetch(self, query: seotasks.TaskQuery, position: Position) -> Batch:
        asked = dict(position)
        position["offset"] = 10**6  # "done with this one", before the call that fails
        return super().fetch(query, asked)


class AdvancingPlugin:
    @seotasks.hookimpl
    def register_providers(self, register: Any) -> None:
        register(AdvancingVendor)


def test_an_error_resumes_at_the_position_fetch_was_given_whatever_fetch_did_to_it(
    serve: Any,
) -> None:
    """The first page's error must resume at that page: a cursor made from the position
    after a fetch that changed it in place would skip the page, with nothing said."""
    seotasks.register_plugin(AdvancingPlugin(), "advancing")
    server = serve(FakeVendorApp(30))
    client = connect_fake(server.url, name="advancingvendor", page_size=10)
    server.faults.inject(Fault.HTTP_500, 5)  # as many as the retry policy's attempts
    with pytest.raises(TransientError) as info:
        client.page(status="any")
    token = info.value.resume_cursor
    assert token is not None
    assert codec.decode(token).position == {"offset": 0}


def test_transient_error_mid_listing_resumes_to_exactly_the_rest(serve: Any) -> None:
    app = FakeVendorApp(1000)
    server = serve(app)
    client = connect_fake(server.url)
    iterator = client.tasks(status="any")
    head = ids(itertools.islice(iterator, 300))
    server.faults.inject(Fault.HTTP_500, 5)  # as many as the retry policy's attempts
    with pytest.raises(TransientError) as info:
        next(iterator)
    token = info.value.resume_cursor
    assert token is not None
    assert codec.decode(token).position == {"offset": 300}
    server.faults.clear()
    rest = ids(connect_fake(server.url).tasks(token))
    assert head + rest == [f"t{i:06d}" for i in range(1, 1001)]


def test_bad_item_mid_listing_names_it_and_resumes_after_the_fix(serve: Any) -> None:
    app = FakeVendorApp(1000)
    server = serve(app)
    app.items[450]["pct"] = "140%"
    got: list[str] = []
    with pytest.raises(ResponseFormatError) as info:
        for task in connect_fake(server.url).tasks(status="any"):
            got.append(task.id)
    assert info.value.item_id == "t000451"
    assert "140%" in str(info.value)
    assert got == [f"t{i:06d}" for i in range(1, 401)]  # nothing of the broken page
    app.items[450]["pct"] = "40%"
    assert info.value.resume_cursor is not None
    rest = ids(connect_fake(server.url).tasks(info.value.resume_cursor))
    assert got + rest == [f"t{i:06d}" for i in range(1, 1001)]


def test_page_error_resume_cursor_is_the_cursor_given(client: seotasks.Client, server: Any) -> None:
    first = client.page(status="any")
    server.faults.inject(Fault.HTTP_503, 5)
    with pytest.raises(TransientError) as info:
        client.page(first.next_cursor)
    assert info.value.resume_cursor == first.next_cursor
    server.faults.inject(Fault.HTTP_503, 5)
    with pytest.raises(TransientError) as info:
        client.page(status="failed")
    assert info.value.resume_cursor is not None
    assert codec.decode(info.value.resume_cursor).query.status is seotasks.TaskStatus.FAILED


def test_limit(client: seotasks.Client, server: Any) -> None:
    assert ids(client.tasks(status="any", limit=5)) == [f"t{i:06d}" for i in range(1, 6)]
    assert len(server.requests) == 1
    assert list(client.tasks(limit=0)) == []
    assert len(server.requests) == 1
    assert len(list(client.tasks(status="any", limit=100))) == 100  # a whole page
    assert len(server.requests) == 2  # and not the next one
    assert len(list(client.tasks(status="any", limit=10_000))) == 250
    with pytest.raises(ValueError, match="limit"):
        next(client.tasks(limit=-1))
    positional: tuple[Any, ...] = (None, 5)  # tasks(cursor, 5) read as a limit was a trap
    with pytest.raises(TypeError):
        client.tasks(*positional)


@pytest.mark.parametrize("limit", [2.5, "3", True])
def test_a_limit_that_is_no_count_is_refused_by_name(
    client: seotasks.Client, server: Any, limit: Any
) -> None:
    """``limit=2.5`` failed inside `islice` ("Stop argument for islice() must be None or an
    integer"), ``limit="3"`` with a bare "'<' not supported", and ``limit=True`` listed
    one task: each is now a `ValueError` naming ``limit`` and the value, nothing fetched."""
    with pytest.raises(ValueError, match=f"limit .*got {limit!r}"):
        next(client.tasks(status="any", limit=limit))
    assert server.requests == []


def test_an_empty_listing(fake_registry: None, serve: Any) -> None:
    server = serve(FakeVendorApp(0))
    client = connect_fake(server.url)
    assert list(client.tasks(status="any")) == []
    page = client.page()
    assert page.tasks == () and page.next_cursor is None
    assert len(server.requests) == 2


def test_tasks_are_fetched_lazily(big: tuple[FakeVendorApp, EmulatorServer]) -> None:
    server = big[1]
    iterator = connect_fake(server.url).tasks(status="any")
    assert server.requests == []
    for _ in range(101):
        next(iterator)
    assert len(server.requests) == 2


def test_tasks_are_normalized(client: seotasks.Client) -> None:
    first, second, third = itertools.islice(client.tasks(status="any"), 3)
    assert first.key == "fakevendor:t000001"
    assert first.created_at == datetime(2026, 11, 1, 0, 1, tzinfo=UTC)
    assert first.completed_at == datetime(2026, 11, 1, 0, 1, 30, tzinfo=UTC)
    assert first.progress == 1.0
    assert second.status is seotasks.TaskStatus.RUNNING
    assert second.progress == pytest.approx(0.4) and second.completed_at is None
    assert third.status is seotasks.TaskStatus.FAILED
    assert first.raw["state"] == "done"


def test_cursor_errors_do_not_call_the_vendor(client: seotasks.Client, server: Any) -> None:
    with pytest.raises(CursorError):
        client.page("st1.garbage.here")
    assert server.requests == []


@pytest.mark.parametrize(
    ("position", "said"),
    [
        ({"offset": 40, "seen": {7: "t000007"}}, r"\$\.seen has the key 7, which JSON turns"),
        ({"offset": 40, "at": [BASE]}, r"\$\.at\[0\] is a datetime, which JSON cannot hold"),
        ({"offset": 40, "view": MappingProxyType({})}, r"\$\.view is a mappingproxy"),
        # A bare token: kept by the client that made it, refused on resume as a "cursor
        # position is not an object", the caller's cursor blamed for the plugin's mistake.
        ("token-2", r"\$ is a str, not a dict"),
    ],
)
def test_a_position_json_would_change_is_named_at_the_page_that_made_it(
    client: seotasks.Client, monkeypatch: pytest.MonkeyPatch, position: Position, said: str
) -> None:
    """A position lives in a cursor, as JSON: one that JSON gives back changed (an int
    key as a string) reaches the provider's next fetch, or a resumed one, as something it
    never made, and one JSON cannot hold at all fails inside the cursor codec. Either is
    the plugin's mistake, named where it is made. A tuple is a sequence either way: kept."""
    fetch = FakeVendor.fetch
    made = {"next": position}

    def returning(self: FakeVendor, query: Any, at: Position) -> Batch:
        return Batch(tasks=fetch(self, query, at).tasks, next=made["next"])

    monkeypatch.setattr(FakeVendor, "fetch", returning)
    with pytest.raises(ValueError, match=rf"^fakevendor: fetch returned a position .*{said}"):
        client.page(status="any")
    made["next"] = {"offset": 40, "window": (0, 40)}
    kept = codec.decode(client.page(status="any").next_cursor or "").position
    assert kept == {"offset": 40, "window": [0, 40]}


def test_a_closed_client_refuses_every_call_and_sends_nothing(
    big: tuple[FakeVendorApp, EmulatorServer],
) -> None:
    """A listing made inside a ``with`` block and read on outside it, or a client used
    after ``close()``, must say so: going on would quietly open a new connection pool
    that nothing closes any more (a slow leak in a long-running worker)."""
    server = big[1]
    with connect_fake(server.url, page_size=100) as client:
        iterator = client.tasks(status="any")
        assert len(list(itertools.islice(iterator, 100))) == 100  # the first page
    asked = len(server.requests)
    with pytest.raises(ValueError, match=r"^this seotasks client is closed"):
        next(iterator)  # the second page would need a call
    with pytest.raises(ValueError, match=r"^this seotasks client is closed"):
        client.page(status="any")
    with pytest.raises(ValueError, match=r"^this seotasks client is closed"):
        list(client.pages(status="any"))
    # Calls that would send nothing say so too (they answered [] as if the client were open).
    with pytest.raises(ValueError, match=r"^this seotasks client is closed"):
        list(client.tasks(limit=0))
    with pytest.raises(ValueError, match=r"^this seotasks client is closed"):
        client.submit([])
    assert len(server.requests) == asked
    client.close()  # closing again is harmless


def test_a_client_refuses_pickling_by_name(big: tuple[FakeVendorApp, EmulatorServer]) -> None:
    """A client given to a process pool as an argument: the refusal names the client and
    what to do, not the lock deep inside it."""
    with connect_fake(big[1].url) as client:
        for attempt in (pickle.dumps, copy.copy, copy.deepcopy):
            with pytest.raises(TypeError, match=r"^a seotasks Client \(fakevendor\) cannot be"):
                attempt(client)
        assert len(list(itertools.islice(client.tasks(status="any"), 3))) == 3  # still usable

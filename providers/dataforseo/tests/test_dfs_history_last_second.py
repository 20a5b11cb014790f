"""The ``history`` source's last second: read whole, never past the listing's end, and a
stop while waiting for that second to end keeps the position (nothing skipped)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks.clock import FakeClock

#: A second an hour ago: the vendor takes windows up to "now", and this one has ended.
LAST = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
SINCE = LAST - timedelta(minutes=1)
OPTIONS = {"source": "history", "page_size": 10}


@pytest.fixture
def emulator() -> Iterator[DataForSEOEmulator]:
    with DataForSEOEmulator(
        seed=1, size=0, clock=FakeClock(), kinds=["serp/google/organic"]
    ) as emu:
        yield emu


def _now_in(second: datetime) -> object:
    """A client's clock half a second into ``second``, running from now on."""
    started = time.monotonic()
    return lambda: second + timedelta(seconds=0.5 + time.monotonic() - started)


@pytest.mark.parametrize("until", [timedelta(milliseconds=500), timedelta(0), None])
def test_a_full_second_after_the_end_is_not_this_listings(
    emulator: DataForSEOEmulator, until: timedelta | None
) -> None:
    """The window that reads the rest of the last second reaches into the next one: a
    full page ending there made a position past the end, refused as "times out of order"
    (exit 2 after the first page): with a fractional ``until``, a whole-second one, and
    a listing ending "now" while the vendor goes on posting."""
    at_last = emulator.add_tasks(10, posted=LAST)
    emulator.add_tasks(10, posted=LAST + timedelta(seconds=1))
    window = {"since": SINCE} if until is None else {"since": SINCE, "until": LAST + until}
    now = _now_in(LAST) if until is None else None
    with seotasks.connect(
        "dataforseo", env={}, now=now, families=["serp"], **emulator.settings, **OPTIONS
    ) as client:
        ids = [t.id for t in client.tasks(status="any", **window)]
    assert sorted(ids) == ([] if until == timedelta(0) else sorted(at_last))


def test_a_stop_while_waiting_for_the_last_second_keeps_the_position(
    emulator: DataForSEOEmulator,
) -> None:
    """A stop during the wait went on to the next family (or ended the listing, "done" in
    a resume file) with 20 of the 30 tasks of that second never listed."""
    crowded = emulator.add_tasks(30, posted=LAST)
    families = {"families": ["serp", "merchant"]}
    with seotasks.connect(
        "dataforseo", env={}, now=_now_in(LAST), **emulator.settings, **OPTIONS, **families
    ) as client:
        first = client.page(status="any", since=SINCE)
        client.transport.interrupt.set()
        with pytest.raises(seotasks.Interrupted) as stopped:
            client.page(first.next_cursor)
    resume = stopped.value.resume_cursor
    assert resume is not None
    with seotasks.connect(
        "dataforseo", env={}, now=_now_in(LAST), **emulator.settings, **OPTIONS, **families
    ) as client:
        rest = list(client.tasks(cursor=resume))
    assert sorted(t.id for t in [*first.tasks, *rest]) == sorted(crowded)


def test_closing_the_client_during_the_wait_is_the_closed_clients_error(
    emulator: DataForSEOEmulator,
) -> None:
    emulator.add_tasks(30, posted=LAST)
    client = seotasks.connect(
        "dataforseo", env={}, now=_now_in(LAST), families=["serp"], **emulator.settings, **OPTIONS
    )
    first = client.page(status="any", since=SINCE)
    threading.Timer(0.1, client.close).start()
    with pytest.raises(ValueError, match="client is closed"):
        client.page(first.next_cursor)

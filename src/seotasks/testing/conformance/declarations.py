"""The declaration checks: what a provider says about itself is true.

A provider declares its `Capabilities` (page size, server filters, statuses, the order
its listing keeps, how long results are kept), its rate limits and the times it fills.
The CLI shows those declarations without credentials, the core filters what the vendor
cannot, and `seotasks.merged` relies on the declared order; a false declaration is a
silent wrong answer somewhere else. These checks hold each declaration against what the
provider does, so an order promise cannot break a merge. What ``submit`` declares is
`SubmissionChecks`'.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import pytest

from ...capabilities import FILTER_NAMES, TIME_NAMES, Capabilities
from ...model import Task, TaskStatus
from ...plugins import capabilities_of, get_provider
from ...provider import Provider
from ...store import safe_name
from .asserts import TIME_DUE, failures_only, held_times

if TYPE_CHECKING:
    from ...client import Client
    from . import ConformanceEnv

__all__ = ["DeclarationChecks"]


def _not_json(value: object, path: str = "$") -> Iterator[str]:
    """Paths in ``value`` holding something JSON cannot (a set, a Decimal, NaN, a
    non-string key): what a result file written from it would lose or refuse."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            yield f"{path} ({value!r})"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield f"{path} (key {key!r})"
            else:
                yield from _not_json(item, f"{path}.{key}")
    elif isinstance(value, Sequence):
        for index, item in enumerate(value):
            yield from _not_json(item, f"{path}[{index}]")
    else:
        yield f"{path} (a {type(value).__name__})"


class DeclarationChecks:
    """Capabilities, the times filled, spec fields mapped or refused, and the declared order."""

    def test_capabilities_declared(self, conformance: ConformanceEnv) -> None:
        with conformance.connect() as client:
            caps = client.capabilities
        assert caps.max_page_size > 0
        assert caps.server_filters <= FILTER_NAMES
        assert caps.statuses <= set(TaskStatus)

    def test_capabilities_readable_without_connection(self, conformance: ConformanceEnv) -> None:
        # `seotasks providers` shows capabilities with no credentials and no network:
        # building the provider from its option defaults must be enough.
        caps = capabilities_of(conformance.provider)
        assert isinstance(caps, Capabilities), (
            f"capabilities() returned a {type(caps).__name__}, not Capabilities"
        )
        assert caps.max_page_size > 0

    def test_declared_times_filled(self, conformance: ConformanceEnv) -> None:
        """Every time `Capabilities.times` names is set on every task that has reached it,
        and no other time is set at all.

        A time left empty is a silent wrong answer: ``since`` / ``until`` bound
        ``created_at`` by default, so a provider that never sets it answers every
        bounded listing with nothing, and an order over it promises nothing. Without a
        declaration the kit holds the listing to ``created_at`` alone.
        """
        __tracebackhide__ = failures_only
        with conformance.connect() as client:
            declared = client.capabilities.times
            tasks = list(client.tasks(status="any"))
        assert tasks, "the emulator should be seeded with tasks"
        if declared is None:
            why = (
                "Capabilities.times declares nothing, so the kit holds the listing to "
                "created_at, which since/until bound by default"
            )
        else:
            why = f"Capabilities.times declares {[t for t in TIME_NAMES if t in declared]}"
        held = held_times(client.capabilities)
        for name in TIME_NAMES:
            if name not in held:
                continue
            statuses = sorted(s.value for s in TIME_DUE[name])
            due = [t for t in tasks if t.status in TIME_DUE[name]]
            assert due, (
                f"{why}, but the listing holds no task that has reached {name} (status "
                f"{' or '.join(statuses)}): seed some, so the declaration can be checked"
            )
            empty = [t.key for t in due if getattr(t, name) is None]
            assert not empty, (
                f"{why}, but {len(empty)} of {len(due)} tasks with status "
                f"{' or '.join(statuses)} have no {name}, e.g. {empty[:5]}: fill it from the "
                "vendor's time that *means* it (not the one that shares its name), or "
                "declare the times the listing does fill"
            )
        if declared is None:
            return
        for name in TIME_NAMES:
            if name in declared:
                continue
            stray = [t.key for t in tasks if getattr(t, name) is not None]
            assert not stray, (
                f"{len(stray)} tasks carry {name} (e.g. {stray[:5]}), but Capabilities.times "
                f"({sorted(declared)}) does not declare it: declare every time you fill"
            )

    def test_rate_limits_pace_every_call(self, conformance: ConformanceEnv) -> None:
        """No call of a listing goes unpaced for a ``rate_limits`` key spelt unlike its
        ``endpoint`` (``"task"`` for ``"tasks"``): such a key paces nothing, and passes
        every quiet listing until the vendor refuses the first busy minute. An endpoint
        left unpaced on purpose, nothing like any key (a vendor limiting only its result
        reads), is left alone."""
        import difflib

        __tracebackhide__ = failures_only
        limits = get_provider(conformance.provider).rate_limits
        if not limits:
            pytest.skip("the provider declares no rate_limits: none of its calls is paced")
        with conformance.connect() as client:
            list(client.tasks(status="any"))
            unpaced = sorted(client.transport.pacer.unpaced)
        for endpoint in unpaced:
            meant = difflib.get_close_matches(endpoint, list(limits), n=1, cutoff=0.75)
            assert not meant, (
                f"calls to {endpoint!r} matched no key of rate_limits, but {meant[0]!r} "
                f"looks meant for them, so nothing paces them: key each limit by the "
                "endpoint your Requests name (or a pattern with *, as seotasks.limit_key "
                "reads it)"
            )

    def test_collect_answers_json(self, conformance: ConformanceEnv) -> None:
        """``collect=True``: a completed task's result is a JSON value (an object, an
        array, anything JSON holds), written to a result file exactly as returned, and
        a task rebuilt from its id alone (what ``seotasks collect --id ID --kind KIND``
        hands the plugin: id, kind, status completed, an empty ``raw``) collects too."""
        from ...export import plain
        from ...merge import merge_key

        with conformance.connect() as client:
            if not client.capabilities.collect:
                if type(client.provider).collect is not Provider.collect:
                    pytest.fail(
                        "the provider overrides collect() but Capabilities.collect is False: "
                        "the core never calls it (seotasks collect says the provider cannot "
                        "collect); declare collect=True",
                        pytrace=False,
                    )
                pytest.skip("the provider declares no collect (Capabilities.collect)")
            done = list(client.tasks(status="completed"))
            assert done, "no completed task to collect: seed some"
            unnamed = [t.id for t in done if not safe_name(t.id)]
            assert not unnamed, (
                f"{len(unnamed)} of {len(done)} completed tasks have ids that cannot name a "
                f"result file, e.g. {unnamed[:3]}: `seotasks collect --to DIR` stores each "
                "result as DIR/<provider>/<id>.json and refuses these. Use only letters, "
                "digits, '.', '_' and '-' (not first), e.g. the last segment of a resource name"
            )
            # The latest: vendors keep results for less long than they list tasks.
            task = max(done, key=merge_key)
            result = client.collect(task)
            bad = list(_not_json(result))
            assert not bad, (
                f"collect({task.key}) returned values JSON cannot hold, at {bad[:5]}: return "
                "the vendor's decoded JSON (any JSON value), not objects of your own"
            )
            if client.provider.result_download(task) is None:
                # The core writes collect's result itself: the file must hold it exactly.
                sink = io.BytesIO()
                client.collect_to(task, sink)
                written = json.loads(sink.getvalue())
                assert written == plain(result), (
                    f"the result file of {task.key} does not hold what collect returned"
                )
            bare = Task(
                provider=task.provider, id=task.id, status=TaskStatus.COMPLETED, kind=task.kind
            )
            _collects(
                client,
                bare,
                f"collect of {task.key} rebuilt from its id and kind alone (as `seotasks "
                "collect --id` does, with an empty raw)",
                "Collect from the id (and kind), never from raw",
            )

    def test_results_kept_holds(self, conformance: ConformanceEnv) -> None:
        """A declared `Capabilities.results_kept` is no longer than the vendor keeps: the
        oldest completed task listed within it still collects.

        `seotasks collect` and ``seotasks load --collect`` fetch every completed task
        that recent and skip older ones, so too long a declaration pays a call per task
        whose result is gone (an error line each). This bites where the emulator, like the
        vendor, expires results and holds tasks older than that: seed some.
        """
        from ...retention import WINDOW_EDGE

        with conformance.connect() as client:
            caps = client.capabilities
            if not caps.collect or caps.results_kept is None:
                pytest.skip("the provider declares no Capabilities.results_kept")
            kept = caps.results_kept
            since = client.transport.now() - kept + WINDOW_EDGE
            done = [
                t
                for t in client.tasks(status="completed")
                if t.created_at is not None and t.created_at >= since
            ]
            assert done, "no completed task created within results_kept to collect: seed some"
            task = min(done, key=lambda t: (t.created_at, t.id))
            _collects(
                client,
                task,
                f"Capabilities.results_kept declares {kept.total_seconds() / 86400:g} days, "
                f"but the collect of {task.key}, created {task.created_at},",
                "Declare what the vendor keeps",
            )

    def test_declared_order_holds(self, conformance: ConformanceEnv) -> None:
        """`Capabilities.order` is a promise `seotasks.merged` relies on: check it holds.

        The declared field never decreases over the whole listing (tasks without it
        aside), and no task is due (`Task.sort_time`) before its own declared value, so
        the merge may deliver everything due before the latest value seen. A provider
        declaring ``None`` promises nothing, and the merge sorts its tasks through disk.
        Either way the merged stream must be the listing in `merge_key` order.
        """
        from ...merge import ORDER_FIELDS, ORDER_VALUES, merge_key, merged

        with conformance.connect() as client:
            order = client.capabilities.order
            tasks = list(client.tasks(status="any"))
        if order is not None:
            value_of, bound = ORDER_VALUES[order], ORDER_FIELDS[order]
            # An order over a time no task carries holds vacuously, and promises nothing.
            assert any(value_of(task) is not None for task in tasks), (
                f"order={order!r} declared, but no listed task carries {order}: declare the "
                "order over the time the listing fills (see Capabilities.times)"
            )
            previous = None
            for task in tasks:
                value = value_of(task)
                if value is None:
                    continue
                assert previous is None or value >= previous, (
                    f"order={order!r} declared, but {task.key} ({value}) came after {previous}"
                )
                previous = value
                due_from = bound(task)
                if due_from is not None:
                    assert merge_key(task)[0] >= due_from, f"{task.key} is due before its {order}"
        with conformance.connect() as client:
            out = list(merged([client], status="any", buffer=max(1, len(tasks) // 3)))
        assert [t.key for t in out] == [t.key for t in sorted(tasks, key=merge_key)]


def _collects(client: Client, task: Task, tried: str, advice: str) -> None:
    """Collect ``task``; any exception is the finding, said as what was ``tried``, what it
    raised, and the ``advice``."""
    try:
        client.collect(task)
    except Exception as exc:
        pytest.fail(
            f"{tried} raised {type(exc).__name__}: {str(exc)[:200]}. {advice}", pytrace=False
        )

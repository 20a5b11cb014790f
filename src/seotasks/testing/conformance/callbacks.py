"""The callback checks: a provider that declares callbacks reads any delivery safely.

``seotasks receive`` knows no vendor: it hands each delivery behind its secret to the
provider's `Provider.read_callback` and answers 400 for a `ValueError`. Anything else that
escapes (a `KeyError` on a body without the expected key, a `TypeError` on a list where an
object was expected) is a 500 and a traceback in the receiver's log for what is only a
malformed or hostile request. So the kit sends every declared route the deliveries a
stranger could make (no body, the wrong JSON type, an empty object, an empty query) and
requires a `ValueError` or well-formed entries; then the same for each of the vendor's
own deliveries (`ConformanceEnv.deliveries`) bent the ways a stranger or a vendor's bug
bends them (a key dropped, a value null or of another type, an item of a list that is
no object, a query value empty or given twice), since junk of one vendor's shape says
nothing of another's. Junk alone cannot tell a careful reader from one that fails on
every delivery, so each delivery as documented must give entries, and where the
delivery says which (a fourth element), those entries exactly: an error read as a
result, a tag dropped, a failure read as a notice are caught there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from ...plugins import get_provider
from ...provider import CallbackEntry
from .asserts import failures_only

if TYPE_CHECKING:
    from . import ConformanceEnv

__all__ = ["CallbackChecks", "Delivery"]

#: A callback as `ConformanceEnv.deliveries` gives it: ``(route, body, query)``, or with a
#: fourth element, the entries `Provider.read_callback` must give for it, exactly.
Delivery = (
    tuple[str, object, Mapping[str, list[str]]]
    | tuple[str, object, Mapping[str, list[str]], Sequence[CallbackEntry]]
)

#: Bodies a stranger can send to any route (the receiver has parsed them as JSON).
_JUNK_BODIES: tuple[object, ...] = (None, [], {}, "text", 0, [{}], {"tasks": "x"}, {"tasks": [1]})
_JUNK_QUERIES: tuple[dict[str, list[str]], ...] = ({}, {"id": []}, {"id": ["", ""]})


class CallbackChecks:
    """`Provider.callbacks` and `Provider.read_callback` (skipped without callbacks)."""

    def test_callbacks_read_any_delivery_safely(self, conformance: ConformanceEnv) -> None:
        """Every declared route answers junk with `ValueError` or well-formed entries, and
        an undeclared route with `ValueError`."""
        __tracebackhide__ = failures_only
        cls = get_provider(conformance.provider)
        if not cls.callbacks:
            pytest.skip("the provider declares no callbacks")
        for route, method in cls.callbacks.items():
            for body in _JUNK_BODIES if method != "GET" else (None,):
                for query in _JUNK_QUERIES:
                    _read_safely(cls, route, body, query)
        for delivery in conformance.deliveries:
            for bent_body, bent_query in _bent(delivery[1], delivery[2]):
                _read_safely(cls, delivery[0], bent_body, bent_query)
        with pytest.raises(ValueError):
            cls.read_callback("no-such-route", None, {})

    def test_callbacks_read_the_vendors_deliveries(self, conformance: ConformanceEnv) -> None:
        """Each of `ConformanceEnv.deliveries` (the vendor's documented callbacks) gives at
        least one well-formed entry: no exception, a `ValueError` included."""
        __tracebackhide__ = failures_only
        cls = get_provider(conformance.provider)
        if not cls.callbacks:
            pytest.skip("the provider declares no callbacks")
        for delivery in conformance.deliveries:
            route, body, query = delivery[0], delivery[1], delivery[2]
            expected = list(delivery[3]) if len(delivery) > 3 else None
            if route not in cls.callbacks:
                pytest.fail(
                    f"ConformanceEnv.deliveries: route {route!r} is not one of the provider's "
                    f"callbacks ({', '.join(cls.callbacks)})",
                    pytrace=False,
                )
            call = f"read_callback({route!r}, {body!r:.80}, {dict(query)!r:.80})"
            try:
                given = cls.read_callback(route, body, query)
            except ValueError as exc:
                pytest.fail(
                    f"{call} refused the vendor's delivery with ValueError: {exc}", pytrace=False
                )
            except Exception as exc:
                pytest.fail(
                    f"{call} raised {type(exc).__name__}: {exc}; the receiver would answer "
                    "the vendor 500 on every such delivery",
                    pytrace=False,
                )
            entries = _listed(given, call)
            bad = [e for e in entries if not isinstance(e, CallbackEntry) or not e.task_id]
            if not entries or bad:
                pytest.fail(
                    f"{call} gave {'no entry' if not entries else repr(bad[0])} for the vendor's "
                    "delivery: a CallbackEntry(task_id=...) for each task it tells about",
                    pytrace=False,
                )
            if expected is not None and entries != expected:
                pytest.fail(
                    f"{call} gave {entries!r:.400}, not the entries the delivery says "
                    f"{expected!r:.400}: each task's id, its result or its error "
                    "(an error read as a result, or as a notice to collect, is a task "
                    "reported done that failed), its tag and kind",
                    pytrace=False,
                )
        # Fail, not skip: a reader that refuses every real delivery passed with a skip
        # a run's summary does not show, and the receiver then refused every callback.
        routes = {delivery[0] for delivery in conformance.deliveries}
        missed = [route for route in cls.callbacks if route not in routes]
        if missed:
            pytest.fail(
                f"the provider declares the callback(s) {', '.join(missed)}, but "
                "ConformanceEnv.deliveries gives none of them: give the vendor's documented "
                "callbacks, or a read_callback that fails on every real delivery passes",
                pytrace=False,
            )


def _read_safely(cls: Any, route: str, body: object, query: Mapping[str, list[str]]) -> None:
    """``read_callback`` of a delivery nobody vouches for: a `ValueError`, or entries."""
    try:
        given = cls.read_callback(route, body, query)
    except ValueError:
        return
    except Exception as exc:
        pytest.fail(
            f"read_callback({route!r}, {body!r:.200}, {dict(query)!r:.200}) raised "
            f"{type(exc).__name__}: {exc}; a malformed delivery must be a ValueError (the "
            "receiver answers 400 and keeps it)",
            pytrace=False,
        )
    for entry in _listed(given, f"read_callback({route!r}, {body!r:.200}, {dict(query)!r:.200})"):
        if not isinstance(entry, CallbackEntry):
            pytest.fail(
                f"read_callback({route!r}, {body!r:.200}, {dict(query)!r:.200}) gave "
                f"{entry!r:.100}, not a CallbackEntry",
                pytrace=False,
            )


def _listed(given: object, call: str) -> list[Any]:
    """What ``read_callback`` gave, refused unless it is the list its signature says: a
    lone `CallbackEntry` fails only where the receiver iterates it, as a 500."""
    if not isinstance(given, list):
        pytest.fail(
            f"{call} returned a {type(given).__name__}, not a list of CallbackEntry "
            "(return [entry] for a delivery about one task)",
            pytrace=False,
        )
    return given


def _bent(body: object, query: Mapping[str, list[str]]) -> Iterator[tuple[object, Any]]:
    """A delivery bent as strangers and buggy senders bend it: each key of the body (and
    of the first object of each of its lists) dropped, null, or of another type; each
    list's items no objects; each query value empty, given twice, or gone."""
    for bent in _bent_value(body):
        yield bent, query
    for name, values in query.items():
        rest: dict[str, list[str]] = {k: v for k, v in query.items() if k != name}
        for other in ([], [""], [*values, *values]):
            yield body, {**rest, name: other} if other else rest


def _bent_value(value: object, depth: int = 0) -> Iterator[object]:
    if isinstance(value, dict) and depth < 3:
        for key, inner in value.items():
            rest = {k: v for k, v in value.items() if k != key}
            yield rest
            for other in (None, _other_type(inner)):
                yield {**rest, key: other}
            for bent in _bent_value(inner, depth + 1):
                yield {**rest, key: bent}
    elif isinstance(value, list) and value and depth < 3:
        for other in ([1], [None], ["x"], [[]]):
            yield other + value[1:]
        for bent in _bent_value(value[0], depth + 1):
            yield [bent, *value[1:]]


def _other_type(value: object) -> object:
    """A JSON value of another type than ``value``'s."""
    if isinstance(value, str):
        return 1
    if isinstance(value, list):
        return {}
    if isinstance(value, dict):
        return []
    return "x"

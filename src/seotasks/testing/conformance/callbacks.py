"""The callback checks: a provider that declares callbacks reads any delivery safely.

``seotasks receive`` knows no vendor: it hands each delivery behind its secret to the
provider's `Provider.read_callback` and answers 400 for a `ValueError`. Anything else that
escapes (a `KeyError` on a body without the expected key, a `TypeError` on a list where an
object was expected) is a 500 and a traceback in the receiver's log for what is only a
malformed or hostile request. So the kit sends every declared route the deliveries a
stranger could make (no body, the wrong JSON type, an empty object, an empty query) and
requires a `ValueError` or well-formed entries. Junk alone cannot tell a careful reader
from one that fails on every delivery, so the vendor's own deliveries
(`ConformanceEnv.deliveries`) must each give entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ...plugins import get_provider
from ...provider import CallbackEntry

if TYPE_CHECKING:
    from . import ConformanceEnv

__all__ = ["CallbackChecks"]

#: Bodies a stranger can send to any route (the receiver has parsed them as JSON).
_JUNK_BODIES: tuple[object, ...] = (None, [], {}, "text", 0, [{}], {"tasks": "x"}, {"tasks": [1]})
_JUNK_QUERIES: tuple[dict[str, list[str]], ...] = ({}, {"id": []}, {"id": ["", ""]})


class CallbackChecks:
    """`Provider.callbacks` and `Provider.read_callback` (skipped without callbacks)."""

    def test_callbacks_read_any_delivery_safely(self, conformance: ConformanceEnv) -> None:
        """Every declared route answers junk with `ValueError` or well-formed entries, and
        an undeclared route with `ValueError`."""
        __tracebackhide__ = True
        cls = get_provider(conformance.provider)
        if not cls.callbacks:
            pytest.skip("the provider declares no callbacks")
        for route, method in cls.callbacks.items():
            assert method in ("GET", "POST"), f"callback route {route!r}: method {method!r}"
            for body in _JUNK_BODIES if method == "POST" else (None,):
                for query in _JUNK_QUERIES:
                    try:
                        entries = cls.read_callback(route, body, query)
                    except ValueError:
                        continue
                    except Exception as exc:
                        pytest.fail(
                            f"read_callback({route!r}, {body!r}, {query!r}) raised "
                            f"{type(exc).__name__}: {exc}; a malformed delivery must be a "
                            "ValueError (the receiver answers 400)",
                            pytrace=False,
                        )
                    for entry in entries:
                        assert isinstance(entry, CallbackEntry), entry
                        assert isinstance(entry.task_id, str) and entry.task_id, (
                            f"read_callback({route!r}, {body!r}, {query!r}) gave an entry "
                            "without a task id"
                        )
        with pytest.raises(ValueError):
            cls.read_callback("no-such-route", None, {})

    def test_callbacks_read_the_vendors_deliveries(self, conformance: ConformanceEnv) -> None:
        """Each of `ConformanceEnv.deliveries` (the vendor's documented callbacks) gives at
        least one well-formed entry: no exception, a `ValueError` included."""
        __tracebackhide__ = True
        cls = get_provider(conformance.provider)
        if not cls.callbacks:
            pytest.skip("the provider declares no callbacks")
        if not conformance.deliveries:
            pytest.skip(
                "the provider declares callbacks, but its ConformanceEnv gives no deliveries: "
                "a read_callback that fails on every real delivery is not caught"
            )
        for route, body, query in conformance.deliveries:
            if route not in cls.callbacks:
                pytest.fail(
                    f"ConformanceEnv.deliveries: route {route!r} is not one of the provider's "
                    f"callbacks ({', '.join(cls.callbacks)})",
                    pytrace=False,
                )
            call = f"read_callback({route!r}, {body!r:.80}, {dict(query)!r:.80})"
            try:
                entries = list(cls.read_callback(route, body, query))
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
            bad = [e for e in entries if not isinstance(e, CallbackEntry) or not e.task_id]
            if not entries or bad:
                pytest.fail(
                    f"{call} gave {'no entry' if not entries else repr(bad[0])} for the vendor's "
                    "delivery: a CallbackEntry(task_id=...) for each task it tells about",
                    pytrace=False,
                )

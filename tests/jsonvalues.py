"""Property-test helpers for vendor item readers: any JSON value in any field.

The providers' item readers have an inline fast path and a careful, fully checked path.
These strategies put arbitrary decoded-JSON values (and missing keys) into a documented
item, and `same_outcome` requires both paths to agree: equal tasks, or the same
`ResponseFormatError` field. Shared by the DataForSEO and Serpstat wire tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import strategies as st

from seotasks.errors import ResponseFormatError
from seotasks.model import Task

#: Stands for "remove this key" in a change set.
MISSING: Any = object()

#: Strings that ``str.isdigit`` accepts and ``int`` refuses (superscripts, circled
#: digits), or that ``int`` accepts though no vendor sends them (full-width, Arabic-Indic):
#: a reader that checks digits with ``isdigit`` lets a bare ValueError escape on them.
NON_ASCII_DIGITS = ("\u00b2", "1\u00b2", "\u2460", "\uff15", "\u0661\u0662", "20\u00b200")


def json_values(*likely: str) -> st.SearchStrategy[Any]:
    """Anything ``json.loads`` can produce, with ``likely`` strings (near-valid shapes) mixed in."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(["", *likely, *NON_ASCII_DIGITS]),
    )
    return st.one_of(
        scalars,
        st.lists(scalars, max_size=3),
        st.dictionaries(st.text(max_size=5), scalars, max_size=3),
    )


def changes(
    keys: Iterable[str], *likely: str, min_size: int = 1, max_size: int = 3
) -> st.SearchStrategy[dict[str, Any]]:
    """Change sets: some of ``keys`` set to any JSON value, or `MISSING`."""
    return st.dictionaries(
        st.sampled_from(sorted(keys)),
        st.one_of(st.just(MISSING), json_values(*likely)),
        min_size=min_size,
        max_size=max_size,
    )


def apply(item: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """``item`` with ``change`` applied in place (`MISSING` removes the key)."""
    for key, value in change.items():
        if value is MISSING:
            item.pop(key, None)
        else:
            item[key] = value
    return item


def with_raw(value: object) -> object:
    """``value`` with every Task paired with its ``raw`` (Task equality ignores ``raw``)."""
    if isinstance(value, Task):
        return (value, dict(value.raw))
    if isinstance(value, list | tuple):
        return [with_raw(v) for v in value]
    return value


def same_outcome(fast: Callable[[], object], careful: Callable[[], object]) -> None:
    """Both paths build equal results (``raw`` included), or both raise a
    ResponseFormatError on one field."""
    try:
        expected = careful()
    except ResponseFormatError as exc:
        with pytest.raises(ResponseFormatError) as info:
            fast()
        assert info.value.field == exc.field
        return
    assert with_raw(fast()) == with_raw(expected)

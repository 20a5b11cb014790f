"""Property-test helpers for vendor item readers: any JSON value in any field.

These strategies put arbitrary decoded-JSON values (and missing keys) into a documented
item, and `reads_or_names_a_field` requires the reader to either read it or refuse it
with a `ResponseFormatError` naming a field of that item (never a bare exception, never
an error pointing elsewhere). Shared by the DataForSEO and Serpstat item tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from hypothesis import strategies as st

from seotasks.errors import ResponseFormatError

T = TypeVar("T")

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


def reads_or_names_a_field(read: Callable[[], T], item_path: str, item: object) -> T | None:
    """``read()``'s result, or None when it refused the item as it should: with a
    `ResponseFormatError` whose field is ``item_path`` or one of its fields, and whose
    item id, if it names one, is the item's own."""
    try:
        return read()
    except ResponseFormatError as exc:
        assert exc.field is not None, exc
        assert exc.field == item_path or exc.field.startswith((item_path + ".", item_path + "[")), (
            exc.field
        )
        if exc.item_id is not None and isinstance(item, dict):
            assert exc.item_id in {str(item.get("id")), str(item.get("task_id"))}
        assert str(exc)
        return None

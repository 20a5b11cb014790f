"""Hypothesis strategies for wire values, shared by the parse-function tests
(`test_convert`) and the item-reader tests (`test_itemread`)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import strategies as st

# fold=0: the wire's "YYYY-MM-DD HH:MM:SS" cannot say which of a repeated hour it means
# (hypothesis also draws fold=1), and the parser reads the first; the DST cases below
# pin that rule down.
naive_seconds = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0, fold=0)
)


def wire(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.decimals()
    | st.datetimes(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
anything = (
    json_values
    | st.from_type(object)
    | st.binary()
    | st.dates()
    | st.integers(min_value=-(10**5000), max_value=10**5000)
)

"""Bad vendor input: a typed error naming the item, and never a half-built Task."""

from __future__ import annotations

from typing import Any

import pytest
from fakevendor import FakeVendorApp, connect_fake

import seotasks
from seotasks import ResponseFormatError, SeotasksError
from seotasks.transport import RetryPolicy

pytestmark = pytest.mark.usefixtures("fake_registry")


@pytest.mark.parametrize(
    ("change", "field", "shown"),
    [
        ({"state": "paused"}, "state", "'paused'"),
        ({"state": None}, "$.state", "None"),
        ({"pct": "-5%"}, "$.pct", "'-5%'"),
        ({"pct": "140%"}, "$.pct", "'140%'"),
        ({"pct": 100.5}, "$.pct", "100.5"),
        ({"pct": "most"}, "$.pct", "'most'"),
        ({"created": "20/11/2026 10:00"}, "$.created", "'20/11/2026 10:00'"),
        ({"created": 1763632800}, "$.created", "1763632800"),
        ({"finished": "2026-11-20 10:00:00 +25:00"}, "$.finished", "+25:00"),
        ({"finished": ["2026-11-20"]}, "$.finished", "2026-11-20"),
    ],
)
def test_a_bad_item_names_its_id_field_and_value(
    serve: Any, change: dict[str, Any], field: str, shown: str
) -> None:
    app = FakeVendorApp(30)
    app.items[3].update(change)  # t000004, on the first page
    server = serve(app)
    client = connect_fake(server.url, page_size=10)
    delivered: list[str] = []
    with pytest.raises(ResponseFormatError) as info:
        for t in client.tasks(status="any"):
            delivered.append(t.id)
    assert delivered == []  # not even the good items of the broken page
    exc = info.value
    assert exc.item_id == "t000004" and "t000004" in str(exc)
    assert exc.field == field
    assert shown in str(exc)
    with pytest.raises(ResponseFormatError):
        client.page(status="any")


@pytest.mark.parametrize(
    "item",
    [5, "t000004", None, [], {"state": "done"}, {"id": None, "state": "done"}],
    ids=["number", "string", "null", "list", "no-id", "null-id"],
)
def test_an_item_of_the_wrong_shape(serve: Any, item: Any) -> None:
    app = FakeVendorApp(30)
    app.items[3] = item
    server = serve(app)
    with pytest.raises(ResponseFormatError) as info:
        connect_fake(server.url).page(status="any")
    assert "fakevendor item" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        b'{"items": {"id": "t1"}}',
        b'"items"',
        b"null",
        b'{"items": [1, 2, 3], "more": false}',
    ],
)
def test_bodies_of_the_wrong_shape(serve: Any, body: bytes) -> None:
    app = FakeVendorApp(5)
    app.respond_with(body)
    server = serve(app)
    with pytest.raises(ResponseFormatError) as info:
        connect_fake(server.url).page(status="any")
    assert isinstance(info.value, SeotasksError)
    assert str(info.value)


@pytest.mark.parametrize("body", [b'{"items": [{"id": "t1", "state": "done"}', b"", b"  "])
def test_cut_off_or_empty_bodies_are_retried_then_transient(serve: Any, body: bytes) -> None:
    app = FakeVendorApp(5)
    app.respond_with(body, count=10)
    server = serve(app)
    with pytest.raises(seotasks.TransientError) as info:
        connect_fake(server.url, retry=RetryPolicy(attempts=3, base=0.001)).page(status="any")
    assert len(server.requests) == 3
    assert "127.0.0.1" in str(info.value)


def test_a_good_item_still_parses_after_a_bad_one(serve: Any) -> None:
    app = FakeVendorApp(30)
    server = serve(app)
    client = connect_fake(server.url, page_size=10)
    good = app.items[3]
    app.items[3] = dict(good, pct="-1%")
    with pytest.raises(ResponseFormatError):
        client.page(status="any")
    app.items[3] = good
    page = client.page(status="any")
    assert [t.id for t in page.tasks] == [f"t{i:06d}" for i in range(1, 11)]
    assert all(isinstance(t, seotasks.Task) for t in page.tasks)

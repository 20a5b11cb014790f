"""The emulator's committed table of vendor shapes is what the official models say today.

``seotasks_dataforseo/emulator/vendor_shapes.json`` is generated from the official client's models
by ``contract/generate.py``; this re-derives it and compares, so the table cannot drift
from the models (a new client version that documents a new field fails here until the
table is regenerated with ``contract/.venv/bin/python contract/generate.py``).
"""

from __future__ import annotations

import generate


def test_committed_table_matches_the_official_models() -> None:
    assert generate.TARGET.read_text(encoding="utf-8") == generate.render(generate.build())


def test_google_organic_documents_every_optional_field_the_issue_names() -> None:
    fields = generate.build()["task_post"]["serp/google/organic"]
    for name in (
        "load_async_ai_overview",
        "calculate_rectangles",
        "people_also_ask_click_depth",
        "url",
    ):
        assert name in fields and fields[name][1] is False
    assert sum(1 for _, required in fields.values() if not required) >= 17

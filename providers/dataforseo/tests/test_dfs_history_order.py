"""The ``history`` source pages by ``datetime_posted``: a vendor page in another order
(by completion, one reading of "sort by execution time") is said, not paged wrongly."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from seotasks_dataforseo.emulator import DataForSEOEmulator

import seotasks
from seotasks.clock import FakeClock
from seotasks.emulation import Fault, HttpRequest, HttpResponse


def _by_completion(emu: DataForSEOEmulator) -> None:
    """Every id_list page the emulator answers, sorted by ``datetime_done`` instead."""
    handle = emu.app.handle

    def reordered(request: HttpRequest, fault: Fault | None) -> HttpResponse:
        answer = handle(request, fault)
        if not request.path.endswith("/id_list"):
            return answer
        body: dict[str, Any] = json.loads(answer.body)
        items = body["tasks"][0]["result"] or []
        items.sort(key=lambda item: item["datetime_done"] or "9999")
        return attrs.evolve(answer, body=json.dumps(body).encode())

    app: Any = emu.app  # an instance attribute over the method, for this emulator only
    app.handle = reordered


def test_a_page_not_in_posting_order_is_a_format_error_with_its_cursor() -> None:
    with DataForSEOEmulator(seed=4, size=400, clock=FakeClock(), enforce_limits=False) as emu:
        options = {"source": "history", "families": ["serp"], "page_size": 50}
        with seotasks.connect("dataforseo", env={}, **emu.settings, **options) as client:
            exact = {t.id for t in client.tasks(status="any")}
        assert exact == emu.history_ids(families=["serp"])
        _by_completion(emu)
        with (
            seotasks.connect("dataforseo", env={}, **emu.settings, **options) as client,
            pytest.raises(seotasks.ResponseFormatError) as info,
        ):
            list(client.tasks(status="any"))
        assert "not in the order of datetime_posted" in str(info.value)
        assert info.value.resume_cursor is not None

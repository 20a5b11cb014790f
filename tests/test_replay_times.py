"""`render_times` for the fixtures of a vendor that sends times as epoch numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from seotasks.testing.replay import render_times

NOW = datetime(2026, 11, 20, 10, 0, 0, 250000, tzinfo=UTC)


def test_epoch_formats_render_json_numbers() -> None:
    """A vendor documenting ``"created_ms": 1795168800250`` could not be written as a
    fixture: every rendered time was a string (and strftime's ``%s`` reads the time in
    the machine's zone), so the provider was fed a shape the vendor never sends."""
    fixture = {"created_ms": "{now-1h}", "at": ["{now|epoch}", "{now+2s|%Y-%m-%d}"]}
    assert render_times(fixture, NOW, "epoch_ms") == {
        "created_ms": 1795168800250 - 3600_000,
        "at": [1795168800, "2026-11-20"],
    }

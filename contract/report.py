"""The outcome table: endpoint x (official model parses our answer, emulator accepts the
official request), filled in by the tests and printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    function: str
    parses: str = "-"
    accepted: str = "-"
    notes: list[str] = field(default_factory=list)


ROWS: dict[str, Row] = {}


def record(label: str, function: str, *, parses: bool | None, accepted: bool | None) -> None:
    row = ROWS.setdefault(label, Row(function))
    if parses is not None:
        row.parses = "yes" if parses else "NO"
    if accepted is not None:
        row.accepted = "yes" if accepted else "NO"


def note(label: str, function: str, text: str) -> None:
    ROWS.setdefault(label, Row(function)).notes.append(text)


def render() -> str:
    if not ROWS:
        return ""
    width = max(len(label) for label in ROWS)
    lines = [f"{'endpoint':<{width}}  parses  accepted  notes"]
    for label in sorted(ROWS):
        row = ROWS[label]
        notes = "; ".join(row.notes)[:160]
        lines.append(f"{label:<{width}}  {row.parses:<6}  {row.accepted:<8}  {notes}")
    lines.append("")
    served = {label: row for label, row in ROWS.items() if row.parses != "-"}
    lines.append(
        f"counts over the {len(served)} official client methods that reach an endpoint the"
        f" emulator serves ({len(ROWS) - len(served)} more are not served):"
    )
    functions = sorted({row.function for row in served.values()})
    for function in [*functions, "all"]:
        rows = [r for r in served.values() if function in ("all", r.function)]
        parses = sum(r.parses == "yes" for r in rows)
        accepted = sum(r.accepted == "yes" for r in rows)
        lines.append(
            f"  {function:<12} {len(rows):>4} endpoints  parses {parses}/{len(rows)}"
            f"  accepted {accepted}/{len(rows)}"
        )
    return "\n".join(lines)


# -- round trips --------------------------------------------------------------------------

#: Every round trip run, in order (`roundtrip.Trip`; typed loosely so this module stays
#: importable without the client).
TRIPS: list[Any] = []
#: What the rate limits did: calls refused by the emulator, the client's paced waits.
LIMITS: dict[str, float] = {}


def trip(done: Any) -> None:
    TRIPS.append(done)


def _ratio(good: int, total: int) -> str:
    return f"{good}/{total}"


def figures(trips: list[Any]) -> dict[str, tuple[int, int]]:
    """The round-trip figures over ``trips``: (passed, total) per step."""
    items = [v for t in trips for v in t.items.values() if v is not None]
    checks = [c for t in trips for c in t.checks]
    return {
        "endpoints posted": (sum(t.posted and t.created == t.posted for t in trips), len(trips)),
        "listed": (sum(bool(t.listed) for t in trips), len(trips)),
        "fetched": (sum(bool(t.fetched) and all(t.fetched.values()) for t in trips), len(trips)),
        "flavours fetched": (
            sum(v for t in trips for v in t.fetched.values()),
            sum(len(t.fetched) for t in trips),
        ),
        "items non-empty": (sum(items), len(items)),
        "value checks passed": (sum(c.ok for c in checks), len(checks)),
    }


def render_trips() -> str:
    if not TRIPS:
        return ""
    width = max(len(t.kind) for t in TRIPS)
    lines = [f"{'round trip':<{width}}  posted  listed  fetched  values    notes"]
    for t in TRIPS:
        fetched = "yes" if t.fetched and all(t.fetched.values()) else "NO"
        checks = _ratio(sum(c.ok for c in t.checks), len(t.checks))
        notes = "; ".join([*t.problems, *t.failed_checks()])[:200]
        lines.append(
            f"{t.kind:<{width}}  {_ratio(t.created, t.posted):<6}  "
            f"{'yes' if t.listed else 'NO':<6}  {fetched:<7}  {checks:<8}  {notes}"
        )
    lines.append("")
    refused = int(LIMITS.get("refused", 0))
    lines.append(
        "round trips through the official client, rate limits on "
        f"({refused} calls refused with 40202 of {int(LIMITS.get('calls', 0))} answered; "
        f"the client waited {LIMITS.get('waited', 0):.0f} s of clock time for room):"
    )
    groups = [
        ("task_post", [t for t in TRIPS if not t.kind.startswith("dataforseo_labs/")]),
        ("Labs live", [t for t in TRIPS if t.kind.startswith("dataforseo_labs/")]),
        ("all", TRIPS),
    ]
    from roundtrip import CLIENT_CANNOT_READ_ITEMS

    for flavour, why in CLIENT_CANNOT_READ_ITEMS.items():
        lines.append(f"  (items of {flavour} not counted: {why})")
    for name, trips in groups:
        if not trips:
            continue
        parts = [f"{k} {_ratio(*v)}" for k, v in figures(trips).items()]
        lines.append(f"  {name:<10} " + "  ".join(parts))
    lines.append("  value checks by rule:")
    rules: dict[str, list[bool]] = {}
    for t in TRIPS:
        for c in t.checks:
            rules.setdefault(c.name, []).append(c.ok)
    for name, results in rules.items():
        lines.append(f"    {name:<60} {_ratio(sum(results), len(results))}")
    return "\n".join(lines)

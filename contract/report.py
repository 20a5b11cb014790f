"""The outcome table: endpoint x (official model parses our answer, emulator accepts the
official request), filled in by the tests and printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass, field


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

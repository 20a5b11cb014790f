"""The house rules a reviewer would otherwise check by hand, checked on every run.

Small modules with one job (none over 450 lines: past that a module has grown a second
job), and product code that type-checks without escape hatches and builds no code at
run time (no ``# type: ignore``, no ``exec``, no ``__class__`` swap): each was once in
the tree and cost a newcomer's trust in the types and the tracebacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Where Python of the project lives (each provider, integration and example included).
TREES = ("src", "providers", "integrations", "examples", "tests", "benchmarks", "contract")
MAX_LINES = 450
#: Patterns no product module may hold (tests and benchmarks may ignore a type to
#: exercise a misuse on purpose).
FORBIDDEN = {
    "# type: ignore": re.compile(r"#\s*type:\s*ignore"),
    "exec(": re.compile(r"(?<![\w.])exec\("),
    "__class__ assignment": re.compile(r"\.__class__\s*=[^=]"),
}


def _modules() -> Iterator[Path]:
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if not any(p.startswith(".") or p in ("build", "node_modules") for p in parts):
                yield path


def _is_product(path: Path) -> bool:
    """Shipped code: a package under some ``src`` folder."""
    return "src" in path.relative_to(ROOT).parts


def test_the_walk_sees_the_whole_tree() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert "src/seotasks/client.py" in names and "tests/test_house_rules.py" in names
    assert any(n.startswith("providers/dataforseo/src/") for n in names)
    assert any(n.startswith("integrations/dlt/src/") for n in names)
    assert len(names) > 300


def test_no_module_is_over_450_lines() -> None:
    over = {
        p.relative_to(ROOT).as_posix(): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert over == {}, f"split these modules by job: {over}"


def test_product_code_has_no_escape_hatches() -> None:
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{number}: {what}"
        for path in _modules()
        if _is_product(path)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for what, pattern in FORBIDDEN.items()
        if pattern.search(line)
    ]
    assert found == []

"""The import picture of the core package: the library never reaches up into ``cli/``,
and no two modules import each other at import time.

Why it matters: the CLI is one client of the library among others (dlt, the report, user
code). A library module that imports the CLI drags argparse-level concerns (exit codes,
terminal output) into every ``import seotasks``, and a cycle makes the order in which a
user imports modules decide whether an attribute exists yet. Read from the source with
``ast``, so the test sees every import, including those inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import seotasks

ROOT = Path(seotasks.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["seotasks", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(module: str, nodes: list[ast.stmt], *, top_level: bool) -> Iterator[str]:
    """Modules of this package that ``nodes`` import (resolved, relative or absolute).

    ``top_level``: only the statements run when the module is imported (not function
    bodies, not ``if TYPE_CHECKING:`` blocks), for the cycle check.
    """
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.If) and top_level and _is_type_checking(node):
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for name in (target, *(f"{target}.{a.name}" for a in node.names)):
                if name in MODULES:
                    yield name
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in MODULES)
        if top_level:
            for field in ("body", "orelse", "handlers", "finalbody"):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    yield from _imports(module, list(getattr(node, field, [])), top_level=True)
            if isinstance(node, ast.ClassDef):
                yield from _imports(module, node.body, top_level=True)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from _imports(module, [child], top_level=False)
            for field in ("handlers",):
                for handler in getattr(node, field, []):
                    yield from _imports(module, handler.body, top_level=False)


def _tree(module: str) -> list[ast.stmt]:
    return ast.parse(MODULES[module].read_text(encoding="utf-8")).body


def _is_cli(module: str) -> bool:
    return module == "seotasks.cli" or module.startswith("seotasks.cli.")


def test_the_walker_sees_imports_inside_functions_and_the_cli_imports_the_library() -> None:
    # Guards the two tests below against passing because the walker sees nothing.
    every = {m: set(_imports(m, _tree(m), top_level=False)) for m in MODULES}
    assert "seotasks.client" in every["seotasks.cli.tasks"] | every["seotasks.cli.common"]
    assert sum(len(v) for v in every.values()) > 200
    assert len(MODULES) > 60


def test_no_library_module_imports_the_cli_anywhere() -> None:
    arrows = [
        (module, target)
        for module in MODULES
        if not _is_cli(module)
        for target in _imports(module, _tree(module), top_level=False)
        if _is_cli(target)
    ]
    assert arrows == []


def test_no_import_cycle_at_import_time() -> None:
    graph = {m: set(_imports(m, _tree(m), top_level=True)) - {m} for m in MODULES}
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in MODULES:
        visit(module, [])
    assert cycles == []


#: What ``--help`` never needs: the HTTP and model libraries, logging, and the command
#: modules' run-time helpers. Each was once imported by a top-level import in a module
#: the parser needs, adding its milliseconds to every ``--help`` and tab completion.
_NOT_FOR_HELP = (
    "urllib3",
    "attrs",
    "cattrs",
    "pluggy",
    "logging",
    "seotasks.redact",
    "seotasks.cli.collect_support",
    "seotasks.cli.logformat",
    "seotasks.cli.pipes",
)


def test_help_imports_only_the_parser() -> None:
    code = (
        "import sys\n"
        "from seotasks.cli import build_parser, main\n"
        "commands = [c for a in build_parser()._actions if a.choices for c in a.choices]\n"
        "for argv in [['--help']] + [[c, '--help'] for c in commands]:\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, (argv, exc.code)\n"
        f"print(len(commands), sorted(m for m in sys.modules if m.startswith({_NOT_FOR_HELP!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    count, loaded = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert int(count) >= 10 and loaded == "[]"


def test_import_seotasks_loads_only_the_errors_as_the_overview_says() -> None:
    """``import seotasks`` gives the exceptions at once and everything else on first use.
    The overview page said it loaded the model and the hook markers too (attrs, pluggy),
    which the lazy table has kept out since."""
    code = (
        "import sys\nimport seotasks\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('seotasks', 'attrs', 'cattrs', 'pluggy', 'urllib3')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['seotasks', 'seotasks.errors']"
    overview = (ROOT.parent.parent / "docs" / "index.md").read_text(encoding="utf-8")
    assert "`import seotasks` loads only the errors (`seotasks.errors`)" in overview

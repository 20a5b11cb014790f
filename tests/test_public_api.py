"""The public surface of ``seotasks`` is declared once (``_LAZY`` and ``_EAGER`` in its
``__init__``); ``__all__`` derives from it, and the ``TYPE_CHECKING`` imports that type
checkers need must name exactly the same things from the same modules."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import seotasks
from seotasks import errors

INIT = Path(seotasks.__file__)


def _imports(block: list[ast.stmt]) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in block:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = node.module
    return found


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            return _imports(node.body)
    raise AssertionError("no TYPE_CHECKING block in seotasks/__init__.py")


def test_the_typing_imports_are_the_lazy_table() -> None:
    assert _type_checking_imports() == seotasks._LAZY


def test_the_eager_imports_are_the_eager_table() -> None:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    eager = _imports(tree.body)
    assert set(eager.values()) == {"errors"}
    assert sorted(eager) == sorted(seotasks._EAGER)


def test_all_is_derived_and_every_name_resolves_from_its_module() -> None:
    assert seotasks.__all__ == sorted([*seotasks._EAGER, *seotasks._LAZY])
    for name, module in seotasks._LAZY.items():
        value = getattr(seotasks, name)
        assert value is getattr(importlib.import_module(f"seotasks.{module}"), name)
    for name in seotasks._EAGER:
        assert getattr(seotasks, name) is getattr(errors, name)


def test_every_exception_class_is_public() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and value.__module__ == errors.__name__
    }
    assert defined - {"RetryableError"} == set(seotasks._EAGER)


def test_a_submodule_is_an_attribute_after_a_plain_import() -> None:
    """The docs write ``seotasks.transport.RetryPolicy`` and ``seotasks.merge.merge_key``
    after ``import seotasks``: each was an AttributeError until something imported the
    module. Run in a fresh interpreter, where nothing has."""
    script = (
        "import seotasks, sys\n"
        "assert 'seotasks.merge' not in sys.modules\n"
        "assert callable(seotasks.merge.merge_key)\n"
        "assert seotasks.transport.RetryPolicy(attempts=3).attempts == 3\n"
        "assert seotasks.clock.SystemClock is not None\n"
        "for name in ('nosuch', '_version', 'merge.Source'):\n"
        "    try:\n"
        "        getattr(seotasks, name)\n"
        "    except AttributeError:\n"
        "        continue\n"
        "    raise SystemExit(f'seotasks.{name} resolved')\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr

    # Without pytest (not a dependency), ``seotasks.testing`` cannot load: hasattr says
    # False, as before submodules were attributes, instead of raising ModuleNotFoundError.
    blocked = "import sys; sys.modules['pytest'] = None; import seotasks\n"
    check = "assert not hasattr(seotasks, 'testing') and hasattr(seotasks, 'clock')\n"
    ran = subprocess.run(
        [sys.executable, "-c", blocked + check], capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr

"""The Airflow recipe compiles and wires one load per account (Airflow absent).

The Dagster recipe is run by Dagster itself (orchestrator_tests/test_dagster.py).
Airflow is not installed in the project's venv (each pulls in hundreds of
packages), so minimal stand-ins for the few names the recipes use are put in
``sys.modules``; the recipes' own code then runs as written, down to the call of
`seotasks_dlt.load`, which is replaced by a recorder.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import seotasks_dlt

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def _run(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", RECIPES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Summary:
    def line(self) -> str:
        return "seotasks load: ..."


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def record(providers: list[str], **kwargs: Any) -> _Summary:
        calls.append({"providers": providers, **kwargs})
        return _Summary()

    monkeypatch.setattr(seotasks_dlt, "load", record)
    return calls


def test_recipes_compile() -> None:
    for path in RECIPES.glob("*.py"):
        compile(path.read_text(), str(path), "exec")


def test_airflow_dag_maps_one_load_per_profile(
    monkeypatch: pytest.MonkeyPatch, loads: list[dict[str, Any]]
) -> None:
    dags: list[dict[str, Any]] = []
    expanded: list[dict[str, Any]] = []

    class Task:
        def __init__(self, fn: Any, kwargs: dict[str, Any]) -> None:
            self.fn, self.kwargs = fn, kwargs

        def __call__(self, *args: Any) -> Any:
            return self.fn(*args)

        def expand(self, **kwargs: Any) -> None:
            expanded.append({"task": self, **kwargs})

    def task(fn: Any = None, **kwargs: Any) -> Any:
        if fn is None:
            return lambda f: Task(f, kwargs)
        return Task(fn, {})

    def dag(**kwargs: Any) -> Any:
        def wrap(fn: Any) -> Any:
            def build() -> None:
                dags.append(kwargs)
                fn()

            return build

        return wrap

    airflow = types.ModuleType("airflow")
    decorators = types.ModuleType("airflow.decorators")
    decorators.dag = dag  # type: ignore[attr-defined]
    decorators.task = task  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "airflow", airflow)
    monkeypatch.setitem(sys.modules, "airflow.decorators", decorators)

    recipe = _run("airflow_dag")
    assert dags == [dags[0]] and dags[0]["max_active_runs"] == 1
    [mapping] = expanded
    profiles = mapping["profile"]
    assert profiles == recipe.PROFILES
    mapped = mapping["task"]
    assert mapped.kwargs["retries"] >= 1
    for profile in profiles:
        assert mapped(profile) == "seotasks load: ..."
    assert [c["profile"] for c in loads] == recipe.PROFILES
    assert all(c["providers"] == recipe.PROVIDERS and c["collect"] for c in loads)

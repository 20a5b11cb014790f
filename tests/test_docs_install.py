"""The install commands the docs give install what they need from the checkout or wheels.

Nothing is on PyPI: a command that installs ``integrations/dlt`` alone asks the index for
its dependency ``seotasks>=0.1``, and fails (or, once someone registers the name, installs
theirs); one without the provider plugins installs a ``seotasks load`` that knows no
vendor. The orchestrator pages' commands were both, word for word.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PROVIDERS = ("dataforseo", "serpstat")


def _fenced_commands(text: str) -> list[str]:
    """Each ``pip install`` command of the page's fenced blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```(?:bash|sh|text)?\n(.*?)```", text, flags=re.S):
        for command in block.replace("\\\n", " ").splitlines():
            command = command.split("#", 1)[0]
            commands += [c for c in command.split("&&") if "pip install" in c]
    return commands


def _inline_commands(text: str) -> list[str]:
    spans = re.findall(r"`(pip install[^`]*)`", text.replace("\n", " "))
    return [s for s in spans if "integrations/dlt" in s]


PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_a_documented_dlt_install_installs_the_core_and_the_providers(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for command in _fenced_commands(text):
        words = command.split()
        if any("integrations/dlt" in w for w in words):  # from a checkout
            assert "." in words or "./" in words, command
            for name in PROVIDERS:
                assert f"providers/{name}" in words, command
        if "--no-index" in words and "seotasks-dlt" in words:  # from wheels
            assert "seotasks" in words, command
            for name in PROVIDERS:
                assert f"seotasks-{name}" in words, command
    for command in _inline_commands(text):  # a mention: the core at least
        assert re.search(r"-e \.(\s|$)", command), command


def test_the_checks_read_the_pages_that_install_dlt() -> None:
    """The check above would pass on pages it cannot parse: it must find the commands."""
    found = [c for p in PAGES for c in _fenced_commands(p.read_text(encoding="utf-8"))]
    dlt = [c for c in found if "integrations/dlt" in c]
    assert len(dlt) >= 3  # dlt.md, and orchestrators.md's Dagster and Airflow
    assert any("--no-index" in c and "seotasks-dlt" in c for c in found)

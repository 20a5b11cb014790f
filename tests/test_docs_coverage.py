"""The documentation mentions everything public (as datasette checks its hooks).

Fails when a name in ``seotasks.__all__``, a hook in ``seotasks.hookspecs`` or a CLI
subcommand is missing from ``docs/*.md``, when a command's flag is missing from that
command's own section of ``docs/cli.md``, and when a fenced ``python`` example in the
docs is not valid Python.
"""

from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path

import pytest

import seotasks
from seotasks import cli, hookspecs

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _docs_text() -> str:
    pages = sorted(DOCS.rglob("*.md"))
    assert pages, f"no documentation pages under {DOCS}"
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


TEXT = _docs_text() if DOCS.is_dir() else ""


def _mentioned(word: str, text: str | None = None) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text or TEXT) is not None


def _cli_section(command: str | None) -> str:
    """docs/cli.md's section ``## `seotasks COMMAND` `` (None: the page before the first)."""
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    if command is None:
        return page.split("\n## `seotasks ", 1)[0]
    heading = f"\n## `seotasks {command}`"
    assert heading in page, f"docs/cli.md has no section for `seotasks {command}`"
    return page.split(heading, 1)[1].split("\n## ", 1)[0]


def _hooks() -> list[str]:
    marker = f"{hookspecs.hookspec.project_name}_spec"
    return [
        name
        for name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(obj, marker)
    ]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _flags(parser: argparse.ArgumentParser) -> list[tuple[str, ...]]:
    """Each documented option's spellings (``("-p", "--provider")``): one flag, two names."""
    flags = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            flags.append(tuple(action.option_strings))
    return flags


#: Commands whose docs/cli.md section sends the reader to another page for their flags.
FLAGS_PAGE = {"load": "dlt.md", "report": "report.md"}

PARSER = cli.build_parser()
COMMANDS = _subparsers(PARSER)


def test_docs_exist() -> None:
    assert (DOCS / "index.md").is_file()


@pytest.mark.parametrize("name", sorted(seotasks.__all__))
def test_public_name_documented(name: str) -> None:
    assert _mentioned(name), f"seotasks.{name} is public but not mentioned in docs/"


#: ``::: seotasks.x`` with the indented options below it (a ``members:`` list, if any).
_DIRECTIVE = re.compile(r"^::: (seotasks[\w.]*)\n((?:[ \t]+\S.*\n)*)", re.MULTILINE)


def _rendered(api: str) -> tuple[set[str], set[str]]:
    """What docs/api.md's ``:::`` directives render: dotted names, and whole modules."""
    names, modules = set(), set()
    for target, options in _DIRECTIVE.findall(api):
        members = re.findall(r"^\s+- (\w+)$", options, re.MULTILINE)
        if members:
            names.update(f"{target}.{member}" for member in members)
        elif target.count(".") == 1:
            modules.add(target)  # a whole module: every public name it defines
        else:
            names.add(target)
    return names, modules


def test_every_public_name_is_in_the_api_reference() -> None:
    """The API page says the public API is ``seotasks.__all__`` and that "the names are
    documented below under the module that defines them": each name is in its opening list
    (the exceptions are "the errors" there) and has a generated entry. ``SerpTaskSpec`` and
    ``SubmitResult`` were in neither, so the reference had no entry for what
    ``Client.submit`` takes and returns."""
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    intro = api.split("\n## ", 1)[0]
    names, modules = _rendered(api)
    missing = []
    for name in seotasks.__all__:
        module = f"seotasks.{seotasks._LAZY.get(name, 'errors')}"
        if name in seotasks._LAZY and f"`{name}`" not in intro:
            missing.append(f"{name}: not in the opening list")
        # hookimpl is pluggy's marker object, described in prose under its heading.
        if name != "hookimpl" and module not in modules and f"{module}.{name}" not in names:
            missing.append(f"{name}: no '::: {module}.{name}' entry")
    assert not missing, missing


#: The classes the API page's summary tables show with their parameters, by module.
_SUMMARISED = {
    "provider": ["Option", "Capabilities", "Batch", "Sandbox", "CallbackEntry", "ResultDownload"],
    "sandbox": ["SandboxRequest"],
    "account": ["Account"],
    "model": ["Task", "TaskQuery"],
    "transport": ["Request", "RetryPolicy", "Timeouts"],
}


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in _SUMMARISED.items() for n in names]
)
def test_the_api_summary_shows_every_parameter(module: str, name: str) -> None:
    """A summary row ``Name(a, b=1)`` names exactly the class's parameters: rows for
    `Option` and `Capabilities` had fallen behind (no ``account``, no ``results_kept``)."""
    import importlib

    api = (DOCS / "api.md").read_text(encoding="utf-8")
    shown = re.search(rf"(?:\| |, )`{name}\(([^`]*)\)`", api)  # in a table cell
    assert shown, f"docs/api.md shows no `{name}(...)`"
    documented = {part.split("=")[0].strip() for part in shown.group(1).split(",")}
    cls = getattr(importlib.import_module(f"seotasks.{module}"), name)
    assert documented == set(inspect.signature(cls).parameters)


def test_plugin_modules_agree_between_the_package_and_the_api_page() -> None:
    """``seotasks.__doc__`` and docs/api.md's "For plugin authors" name the same modules."""
    in_package = set(re.findall(r"^    (seotasks\.\w+)", seotasks.__doc__ or "", re.MULTILINE))
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    section = api[api.index("## For plugin authors") :]
    on_page = set(re.findall(r"^::: (seotasks\.\w+)", section, re.MULTILINE))
    assert in_package and in_package == on_page


#: ``seotasks.<module>.<name>`` in backticks: a name the docs hand a reader to import.
_DOTTED = re.compile(r"`(seotasks\.[a-z_]+)((?:\.[a-z_]+)*)\.([A-Za-z_]\w*)")


def test_every_module_the_docs_send_a_reader_to_is_in_the_reference() -> None:
    """A name the guides tell a reader to use (``seotasks.provider.require_window``,
    ``seotasks.account.Account``) resolves, and its module has a ``::: seotasks.<module>``
    entry: the package calls everything the reference leaves out internal, so a guide
    naming such a module would send plugin authors to a name that may change unannounced.
    The dlt page is left out: its ``seotasks.seotasks.tasks`` is a warehouse table."""
    import importlib.util

    documented = set(re.findall(r"^::: (seotasks\.[a-z_]+)", TEXT, re.MULTILINE))
    problems = []
    for page in sorted(DOCS.rglob("*.md")):
        if page.name == "dlt.md":
            continue
        for top, deeper, name in _DOTTED.findall(page.read_text(encoding="utf-8")):
            where = f"{page.name}: {top}{deeper}.{name}"
            if top not in documented:
                problems.append(f"{where}: no '::: {top}' in the reference")
                continue
            module = importlib.import_module(top + deeper)
            if (
                not hasattr(module, name)
                and importlib.util.find_spec(f"{top}{deeper}.{name}") is None
            ):
                problems.append(f"{where}: does not resolve")  # neither a name nor a module
    assert not problems, problems


def test_hooks_found() -> None:
    assert _hooks(), "no hookspecs found in seotasks.hookspecs"


@pytest.mark.parametrize("hook", _hooks())
def test_hook_documented(hook: str) -> None:
    assert _mentioned(hook), f"hook {hook} is not documented in docs/"


def test_commands_found() -> None:
    assert "tasks" in COMMANDS


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_documented(command: str) -> None:
    assert f"seotasks {command}" in TEXT, f"`seotasks {command}` is not documented in docs/"


_FLAG_CASES = [(None, flag) for flag in _flags(PARSER)] + [
    (name, flag) for name, sub in sorted(COMMANDS.items()) for flag in _flags(sub)
]


@pytest.mark.parametrize(
    ("command", "flag"),
    _FLAG_CASES,
    ids=[f"{command or 'seotasks'}-{'/'.join(flag)}" for command, flag in _FLAG_CASES],
)
def test_flag_documented(command: str | None, flag: tuple[str, ...]) -> None:
    """Each command's flag (under one of its spellings) in that command's own section of
    docs/cli.md, or of the page that section sends its flags to: a word found anywhere
    in docs/ could be another command's flag of the same name."""
    where = f"seotasks {command}" if command else "seotasks"
    text = _cli_section(command)
    if command in FLAGS_PAGE:
        text += (DOCS / FLAGS_PAGE[command]).read_text(encoding="utf-8")
    assert any(_mentioned(name, text) for name in flag), (
        f"`{where} {'/'.join(flag)}` is not documented in its docs/cli.md section"
    )


def test_python_examples_compile() -> None:
    blocks = _FENCE.findall(TEXT)
    assert blocks, "the docs should hold python examples"
    for block in blocks:
        compile(block, "<docs example>", "exec")


def test_the_command_table_lists_every_command() -> None:
    cli_page = (DOCS / "cli.md").read_text(encoding="utf-8")
    table = cli_page.split("\n## ", 1)[0]
    for name in COMMANDS:
        assert f"[`seotasks {name}`](#seotasks-{name})" in table, name


def test_the_pages_count_the_core_dependencies_right() -> None:
    """The overview lists the core's runtime dependencies and the dlt page says how many
    the core keeps; the dlt page still said four after ijson made them five."""
    import tomllib

    pyproject = tomllib.loads((DOCS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    count = len(pyproject["project"]["dependencies"])
    words = {4: "four", 5: "five", 6: "six", 7: "seven"}
    said = re.findall(r"\b(\w+) runtime dependencies", TEXT)
    assert said and set(said) == {words[count]}, said

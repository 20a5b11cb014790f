"""`seotasks providers`: what each installed provider declares, without connecting."""

from __future__ import annotations

import json

from clihere import run_here


def test_providers_lists_both_with_options(env: dict[str, str]) -> None:
    result = run_here(["providers", "--format", "json"], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    names = {row["name"]: row for row in data["providers"]}
    assert {"dataforseo", "serpstat"} <= set(names)
    assert names["serpstat"]["distribution"] == "seotasks-serpstat"
    token = next(o for o in names["serpstat"]["options"] if o["name"] == "token")
    assert token["secret"] and token["env"] == "SEOTASKS_SERPSTAT_TOKEN"
    assert names["serpstat"]["capabilities"]["window_days"] == 7
    # tasks_ready items carry no completion time: completion bounds are refused, so the
    # core does not filter them either (it listed them as client filters).
    ready = names["dataforseo"]["capabilities"]
    assert ready["times"] == ["created_at"]
    assert ready["client_filters"] == ["since", "status", "until"]
    assert data["failed"] == []
    # The routes `seotasks receive -p NAME` serves, and none for a provider without.
    assert names["dataforseo"]["callbacks"] == {"postback": "POST", "pingback": "GET"}
    assert names["serpstat"]["callbacks"] == {}
    # The limits the client paces itself to, as each provider class declares them.
    dfs = names["dataforseo"]["limits"]
    assert dfs["rates"]["tasks_ready"] == {"calls": 20, "period_s": 60.0}
    assert dfs["in_flight"] == 30 and dfs["by_options"] is False
    assert names["serpstat"]["limits"] == {
        "rates": {"jsonrpc": {"calls": 1, "period_s": 1.0}},
        "in_flight": None,
        "by_options": True,
    }


def test_providers_table_says_each_providers_limits(env: dict[str, str]) -> None:
    result = run_here(["providers"], env)
    assert result.returncode == 0, result.stderr
    limits = {}
    for line in result.stdout.splitlines():
        if not line.startswith(" "):
            name = line.split()[0]
        elif line.startswith("  limits: "):
            limits[name] = line.removeprefix("  limits: ")
    assert limits["dataforseo"] == (
        "tasks_ready 20/min, id_list 10/min, task_get 2000/min, task_post 2000/min; "
        "at most 30 calls at once"
    )
    assert limits["serpstat"] == "jsonrpc 1/s (with default options)"

"""Registration through the entry point, options, capabilities and the sandbox."""

from __future__ import annotations

import pytest
from seotasks_dataforseo import DataForSEOProvider

import seotasks
from seotasks import ConfigError, TaskStatus
from seotasks.clock import FakeClock
from seotasks.sandbox import SandboxRequest


def test_registered_through_the_entry_point() -> None:
    assert seotasks.get_provider("dataforseo") is DataForSEOProvider
    names = {o.name for o in DataForSEOProvider.options}
    assert {"base_url", "login", "password", "source", "families"} <= names
    password = next(o for o in DataForSEOProvider.options if o.name == "password")
    assert password.secret and password.required


def test_sandbox_serves_a_working_listing() -> None:
    clock = FakeClock()
    manager = DataForSEOProvider.sandbox(SandboxRequest(seed=7, size=600, clock=clock))
    with manager as box:
        assert set(box.settings) == {"base_url", "login", "password"}
        assert "600 tasks" in box.description
        with seotasks.connect("dataforseo", clock=clock, env={}, **box.settings) as client:
            tasks = list(client.tasks())
            assert tasks and all(t.provider == "dataforseo" for t in tasks)
            caps = client.capabilities
            assert caps.drains and caps.cap == 1000 and caps.collect
        with seotasks.connect(
            "dataforseo", clock=clock, env={}, source="history", **box.settings
        ) as history:
            assert history.capabilities.order is None  # family after family
            listed = list(history.tasks(status="any"))
            assert len(listed) > len(tasks)
            # datetime_posted and datetime_done: both declared, each filled where reached.
            assert history.capabilities.times == {"created_at", "completed_at"}
            done = [t for t in listed if t.status in (TaskStatus.COMPLETED, TaskStatus.FAILED)]
            assert done and all(t.completed_at is not None for t in done)
            assert all(t.created_at is not None for t in listed)
            # Failed as they ran: a refused field (40501) is refused at task_post, no task.
            failed = [t.message for t in listed if t.status is TaskStatus.FAILED]
            assert failed and not any("Invalid Field" in (m or "") for m in failed)


@pytest.mark.parametrize(
    "options",
    [
        {"families": ["nonsense"]},
        {"families": ["dataforseo_labs"]},  # live-only: no tasks_ready
        {"families": ["serp/../../x"]},
        {"base_url": "ftp://api.dataforseo.com"},
        {"base_url": "https://user:pw@api.dataforseo.com"},
        {"page_size": 0},
        {"source": "somewhere"},
    ],
)
def test_bad_options_are_config_errors(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        seotasks.connect("dataforseo", login="l", password="pppp", env={}, **options)


def test_env_vars_configure_the_provider() -> None:
    env = {
        "SEOTASKS_DATAFORSEO_LOGIN": "me",
        "SEOTASKS_DATAFORSEO_PASSWORD": "secret-pw",
        "SEOTASKS_DATAFORSEO_FAMILIES": "serp,keywords_data/bing",
        "SEOTASKS_DATAFORSEO_SOURCE": "history",
    }
    with seotasks.connect("dataforseo", env=env) as client:
        assert client.listing_options["families"] == ["serp", "keywords_data/bing"]
        assert client.listing_options["source"] == "history"
        assert "secret-pw" not in repr(client)


@pytest.mark.parametrize("path", ["/v3", "/v3/", "/proxy/v3"])
def test_a_base_url_ending_in_v3_is_refused_with_the_host_to_give(path: str) -> None:
    """The vendor's documentation writes every endpoint as ``https://api.dataforseo.com/v3/
    ...``; a base URL copied with its ``/v3`` asked ``/v3/v3/...`` and `check` said only
    ``ProviderError: dataforseo: vendor error 40400: Not Found.`` (exit 4)."""
    with pytest.raises(ConfigError, match="without /v3"):
        seotasks.connect(
            "dataforseo",
            base_url=f"https://api.dataforseo.com{path}",
            login="l",
            password="pppp",
            env={},
        )


def test_a_refusal_on_another_http_status_names_the_url_asked() -> None:
    """A base URL with a wrong path (a proxy's prefix mistyped) is answered 404 by the
    vendor's front; the error named neither the status nor the URL, so nothing said
    which part of the setting was wrong."""
    clock = FakeClock()
    with DataForSEOProvider.sandbox(SandboxRequest(seed=7, size=0, clock=clock)) as box:
        settings = {**box.settings, "base_url": f"{box.settings['base_url']}/proxy"}
        client = seotasks.connect("dataforseo", clock=clock, env={}, **settings)
        with client, pytest.raises(seotasks.ProviderError) as info:
            client.provider.account()
    said = str(info.value)
    assert f"HTTP 404 from {settings['base_url']}/v3/appendix/user_data" in said, said
    assert info.value.code == 40400
    assert box.settings["password"] not in said

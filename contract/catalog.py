"""Every listing-related call the official DataForSEO client offers, found by introspection.

Why introspection: the point of the contract suite is that no one here chose which
endpoints to check. Every public method of every ``*Api`` class of ``dataforseo_client``
whose name ends in ``tasks_ready``, ``id_list``, ``task_post``, ``task_get[_flavour]`` (or
On-Page's ``summary``) is one `Call`; its HTTP method and path come from the client's own
``_<method>_serialize``, its request and response models from the method's annotations.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import dataforseo_client.api
import dataforseo_client.models as models
from dataforseo_client.api_client import ApiClient
from dataforseo_client.configuration import Configuration

_NAME = re.compile(
    r"(?:^|_)(?P<function>tasks_ready|id_list|task_post|task_get(?:_(?P<flavour>regular|advanced|html|json))?|summary)$"
)
_MODEL = re.compile(r"\b([A-Z][A-Za-z0-9]+RequestInfo)\b")
_PLACEHOLDER = "ID"


@dataclass(frozen=True)
class Call:
    """One official API method: which class, which HTTP call, which models."""

    api: str
    method: str
    http_method: str
    path: str  # with ``{id}`` where the client puts the task id
    function: str  # tasks_ready | id_list | task_post | task_get | summary
    flavour: str | None  # regular | advanced | html | json, or None for a plain task_get
    request_model: type[Any] | None

    @property
    def kind(self) -> str:
        """``serp/google/organic`` from ``/v3/serp/google/organic/task_get/advanced/{id}``."""
        parts = self.path.strip("/").split("/")[1:]
        for stop in ("tasks_ready", "id_list", "task_post", "task_get", "summary"):
            if stop in parts:
                return "/".join(parts[: parts.index(stop)])
        return "/".join(parts)

    @property
    def label(self) -> str:
        return f"{self.http_method} {self.path}"


def _api_classes() -> list[type[Any]]:
    found = []
    for info in pkgutil.iter_modules(dataforseo_client.api.__path__):
        module = importlib.import_module(f"dataforseo_client.api.{info.name}")
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and name.endswith("Api")
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return sorted(found, key=lambda cls: cls.__name__)


@cache
def calls() -> tuple[Call, ...]:
    """Every matching method of every API class, in a stable order."""
    client = ApiClient(Configuration(host="http://contract.invalid"))
    found: list[Call] = []
    for cls in _api_classes():
        api = cls(client)
        for method in sorted(dir(cls)):
            if method.startswith("_") or method.endswith(
                ("_with_http_info", "_without_preload_content")
            ):
                continue
            match = _NAME.search(method)
            if match is None:
                continue
            serialize = getattr(api, f"_{method}_serialize")
            params = [p for p in inspect.signature(serialize).parameters if not p.startswith("_")]
            args: dict[str, Any] = {p: None for p in params}
            if "id" in args:
                args["id"] = _PLACEHOLDER
            http_method, url, *_ = serialize(
                **args, _request_auth=None, _content_type=None, _headers=None, _host_index=0
            )
            path = url[len("http://contract.invalid") :].replace(f"/{_PLACEHOLDER}", "/{id}")
            request_model = None
            body = [p for p in params if p.startswith("list_optional_")]
            if body:
                annotation = str(inspect.signature(getattr(cls, method)).parameters[body[0]])
                model = _MODEL.search(annotation)
                if model is not None:
                    request_model = getattr(models, model.group(1))
            function = match.group("function")
            if function == "summary" and "/{id}" not in path:
                continue  # /v3/serp/ai_summary: a live call, no task behind it
            flavour = match.group("flavour")
            if function.startswith("task_get"):
                function = "task_get"
            found.append(
                Call(cls.__name__, method, http_method, path, function, flavour, request_model)
            )
    return tuple(found)


def by_function(function: str) -> list[Call]:
    return [c for c in calls() if c.function == function]


def served(call: Call) -> bool:
    """Whether the emulator serves the endpoint ``call`` reaches (every one today: the
    suite asserts it, so a client upgrade that adds an endpoint is seen)."""
    from seotasks_dataforseo.endpoints import BY_NAME, CATALOGUE, ID_LIST_FAMILIES

    kind = call.kind
    if call.function == "id_list":
        return kind in ID_LIST_FAMILIES
    if call.function == "task_post":
        return kind in BY_NAME and not CATALOGUE[BY_NAME[kind]].aggregate
    if call.function == "summary":
        return kind == "on_page"
    return kind in BY_NAME

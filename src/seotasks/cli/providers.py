"""``seotasks providers``: the installed plugins, their options and capabilities."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from .common import EXIT_OK

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "none_loaded", "run"]


HELP = "list installed provider plugins"
DESCRIPTION = (
    "List the installed provider plugins: name, distribution and version, "
    "capabilities, rate limits, and every option with its env var and default; plugins "
    "that failed to load are listed last."
)


def add_arguments(prov: argparse.ArgumentParser) -> None:
    """``providers``'s arguments (standard library only: ``--help`` stays fast)."""
    prov.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (table)"
    )


def none_loaded() -> str:
    """Why no provider is there to list or check: ``SEOTASKS_LOAD_PLUGINS`` left none
    to load (said with its value, the usual cause), or none is installed."""
    from ..plugins import limited_by

    limit = limited_by()
    if limit is not None:
        return (
            f"no provider plugins loaded: SEOTASKS_LOAD_PLUGINS={limit!r} limits which "
            "load (unset it to load every installed plugin)"
        )
    return "no provider plugins installed"


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from ..config import env_name
    from ..export import printable
    from ..plugins import failures, provider_infos

    rows: list[dict[str, Any]] = []
    for info in provider_infos():
        cls = info.cls
        rows.append(
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "description": cls.description,
                "options": [
                    {
                        "name": o.name,
                        "env": env_name(info.name, o.name),
                        "required": o.required,
                        "secret": o.secret,
                        "default": None if o.secret else o.default,
                        "choices": list(o.choices) if o.choices else None,
                        "help": o.help,
                    }
                    for o in cls.options
                ],
                "capabilities": _static_capabilities(cls),
                "limits": _declared_limits(cls),
                "callbacks": dict(cls.callbacks),
                "sandbox": _overrides(cls, "sandbox"),
            }
        )
    broken = [{"name": f.name, "target": f.target, "error": f.error} for f in failures()]
    if args.format == "json":
        out.write(json.dumps({"providers": rows, "failed": broken}, indent=2, default=str) + "\n")
        return EXIT_OK
    if not rows:
        out.write(none_loaded() + "\n")
    for row in rows:
        dist = f"{row['distribution']} {row['version']}" if row["distribution"] else "(registered)"
        out.write(f"{row['name']}  [{dist}]  {row['description']}\n")
        caps = row["capabilities"]
        if caps:
            out.write(
                "  capabilities: "
                + ", ".join(f"{k}={v}" for k, v in caps.items() if v not in (None, [], ()))
                + "\n"
            )
        out.write(f"  limits: {_limits_line(row['limits'])}\n")
        if row["callbacks"]:  # what `seotasks receive -p NAME` serves
            routes = ", ".join(f"{m} /<secret>/{r}" for r, m in row["callbacks"].items())
            out.write(f"  callbacks: {routes}\n")
        for opt in row["options"]:
            flags = [
                f for f, on in (("required", opt["required"]), ("secret", opt["secret"])) if on
            ]
            default = "" if opt["default"] in (None, "") else f" (default {opt['default']})"
            extra = f" [{', '.join(flags)}]" if flags else ""
            out.write(f"  -o {opt['name']}{extra}  env {opt['env']}{default}: {opt['help']}\n")
    for fail in broken:  # an exception's text may quote anything: one clean line each
        said = printable(f"FAILED {fail['name']} ({fail['target']}): {fail['error']}")
        out.write(said + "\n")
    return EXIT_OK


def _overrides(cls: type, method: str) -> bool:
    """Whether ``cls`` overrides `Provider`'s ``method``: `Provider.sandbox` (the base
    has no sandbox), `Provider.rate_limits_for` (the base returns the class's limits).

    Read from the class dictionaries along the MRO, so nothing is instantiated.
    """
    from ..provider import Provider

    owner = next(k for k in cls.__mro__ if method in vars(k))
    return owner is not Provider


def _static_capabilities(cls: Any) -> dict[str, Any]:
    """Capabilities with default settings, without connecting anywhere.

    A provider that cannot describe itself is shown with its error (one line), never
    as an empty set of capabilities.
    """
    from ..plugins import capabilities_of

    try:
        described: dict[str, Any] = capabilities_of(cls).describe()
    except Exception as exc:  # a plugin's bug: shown in the listing, the others still shown
        return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:200]}
    return described


def _declared_limits(cls: Any) -> dict[str, Any]:
    """The call rates and the calls at once the provider class declares, read from the
    class, so nothing is configured or connected. ``by_options``: the provider sets its
    rates from its options (`Provider.rate_limits_for`, as Serpstat's ``rps`` does), so
    these are the rates of its default options."""
    return {
        "rates": {
            group: {"calls": limit.calls, "period_s": limit.period}
            for group, limit in cls.rate_limits.items()
        },
        "in_flight": cls.max_in_flight,
        "by_options": _overrides(cls, "rate_limits_for"),
    }


def _limits_line(limits: dict[str, Any]) -> str:
    """``tasks_ready 20/min, id_list 10/min; 30 calls at once``: a rate per group, then
    the cap on calls out at once."""
    per = {1.0: "s", 60.0: "min", 3600.0: "h"}
    rates = [
        f"{group} {r['calls']}/{per[r['period_s']]}"
        if r["period_s"] in per
        else f"{group} {r['calls']} per {r['period_s']:g} s"
        for group, r in limits["rates"].items()
    ]
    line = ", ".join(rates) or "no call rate declared"
    if limits["by_options"]:
        line += " (with default options)"
    if limits["in_flight"] is not None:
        line += f"; at most {limits['in_flight']} calls at once"
    return line

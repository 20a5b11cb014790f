"""``seotasks submit``: post task specs (JSON Lines) and print one result line each."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from .common import EXIT_AUTH, EXIT_OK, EXIT_PROVIDER, UsageError, one_client, one_line


def _read_specs(path: str, err: TextIO) -> list[Any]:
    import json

    from ..errors import ConfigError
    from ..submit import spec_from_json

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    specs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            specs.append(spec_from_json(json.loads(line)))
        except ValueError as exc:
            raise UsageError(f"{path}:{number}: not JSON: {exc}") from None
        except ConfigError as exc:
            raise UsageError(f"{path}:{number}: {exc}") from None
    return specs


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import contextlib
    import json

    from ..errors import AuthError

    specs = _read_specs(args.file, err)  # every line checked before anything is posted
    specs = _with_callbacks(specs, args)
    with contextlib.ExitStack() as stack:
        client = one_client(args, stack)
        results = client.submit(specs)
    failed = 0
    for index, result in enumerate(results):
        error = None
        if result.error is not None:
            failed += 1
            error = f"{type(result.error).__name__}: {result.error}"
        out.write(json.dumps({"index": index, "task_id": result.task_id, "error": error}) + "\n")
    out.flush()
    refused = next((r.error for r in results if isinstance(r.error, AuthError)), None)
    if refused is not None:  # the credentials, not the specs: exit 3 like any auth error
        err.write(one_line(f"seotasks: AuthError: {refused}"))
        return EXIT_AUTH
    if failed:
        err.write(f"seotasks: {failed} of {len(results)} specs failed (see their error)\n")
        return EXIT_PROVIDER
    return EXIT_OK


def _with_callbacks(specs: list[Any], args: argparse.Namespace) -> list[Any]:
    """Fill ``--pingback`` / ``--postback`` into the specs that have no callback of their own."""
    import attrs

    if args.postback_data is not None and args.postback is None:
        raise UsageError("--postback-data needs --postback URL")
    if args.pingback is None and args.postback is None:
        return specs
    filled = []
    for number, spec in enumerate(specs, 1):
        changes: dict[str, Any] = {}
        fields = {"engine": spec.engine, "serp_type": spec.serp_type}
        try:
            if args.pingback is not None and spec.pingback_url is None:
                changes["pingback_url"] = _fill(args.pingback, fields)
            if args.postback is not None and spec.postback_url is None:
                changes["postback_url"] = _fill(args.postback, fields)
                if spec.postback_data is None and args.postback_data is not None:
                    changes["postback_data"] = args.postback_data
            filled.append(attrs.evolve(spec, **changes) if changes else spec)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"spec {number}: {exc}") from None
    return filled


def _fill(template: str, fields: dict[str, str]) -> str:
    """``{engine}`` / ``{serp_type}`` replaced; every other character (``$id``) kept as is."""
    for key, value in fields.items():
        template = template.replace("{" + key + "}", value)
    return template

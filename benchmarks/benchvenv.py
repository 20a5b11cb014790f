"""The benchmark venv, ``benchmarks/.venv``: the official DataForSEO client beside seotasks.

The official client (and its pydantic) never enter the project's environment, so the
comparison with it runs in a venv of its own, created on first use with
``benchmarks/requirements.txt`` plus seotasks and both first-party providers (editable),
so that seotasks and the client are timed in one process on the same bytes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCH_VENV = HERE / ".venv"

__all__ = ["BENCH_VENV", "bench_python", "official_figures"]


def bench_python() -> Path | None:
    """The benchmark venv's python (created and filled on first use), or None if that fails."""
    python = BENCH_VENV / "bin" / "python"
    root = HERE.parent
    try:
        if not python.exists():
            venv.create(BENCH_VENV, with_pip=True)
        probe = subprocess.run(
            [
                str(python),
                "-c",
                "import dataforseo_client, orjson, seotasks_dataforseo, seotasks_serpstat",
            ],
            capture_output=True,
        )
        if probe.returncode != 0:
            subprocess.run(
                [
                    str(python),
                    *("-m", "pip", "install", "-q", "-r", str(HERE / "requirements.txt")),
                    *("-e", f"{root}[speed]", "-e", str(root / "providers" / "dataforseo")),
                    *("-e", str(root / "providers" / "serpstat")),
                ],
                check=True,
                capture_output=True,
                timeout=600,
            )
        return python
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"# official dataforseo-client unavailable: {exc}", file=sys.stderr)
        return None


def official_figures(pages: dict[str, bytes], quick: bool) -> dict[str, Any] | None:
    """`official.py` on the DataForSEO pages in the benchmark venv, or None without it."""
    python = bench_python()
    if python is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        args = [str(python), str(HERE / "official.py")]
        for name in ("ready", "history"):
            path = Path(tmp) / f"{name}.json"
            path.write_bytes(pages[name])
            args += [f"--{name}", str(path)]
        if quick:
            args.append("--quick")
        done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"# official client run failed: {done.stderr[-400:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result

"""The benchmark venv, ``benchmarks/.venv``: the official DataForSEO client beside seotasks.

The official client (and its pydantic) never enter the project's environment, so the
comparison with it runs in a venv of its own, created on first use with
``benchmarks/requirements.txt`` plus seotasks and both first-party providers (editable),
so that seotasks and the client are timed in one process on the same bytes.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH_VENV = HERE / ".venv"

__all__ = ["BENCH_VENV", "bench_python"]


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

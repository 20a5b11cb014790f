"""The wheels of every distribution install by name in a fresh venv and run.

Run by ``make wheels-check`` (part of ``make test``), not by ``make unit``: it builds the
wheels with ``make dist`` (uv, with build isolation) and installs them in a fresh venv.
Until a release is on PyPI this is the promise the docs and messages make: ``pip install
--no-index --find-links dist/ --no-deps <names>``, then the same names for their
dependencies, gives a working ``seotasks`` with both providers, ``seotasks load``
(seotasks-dlt) and ``seotasks receive`` (waitress). The first step is run with the venv's
own pip, as the docs write it: it never consults the index, so a look-alike name
published there cannot be installed in place of ours. The second adds only third-party
packages (ours are satisfied): it is run by the project's uv, whose cache ``make install``
filled, so it costs seconds rather than pip's minutes of downloads; what it proves, that
our wheels' dependencies resolve and the commands run, is the same.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The project venv's uv (`make install` puts it there).
UV = Path(sys.executable).parent / "uv"
#: Every distribution the repository builds, by the name a user installs.
NAMES = ["seotasks", "seotasks-dataforseo", "seotasks-serpstat", "seotasks-dlt", "seotasks-acme"]


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=900, cwd=cwd
    )
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


def test_wheels_install_by_name_and_run(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run("make", "--no-print-directory", "dist", f"DIST_DIR={dist}", cwd=ROOT)
    built = sorted(p.name.split("-")[0].replace("_", "-") for p in dist.glob("*.whl"))
    assert built == sorted(NAMES)

    venv = tmp_path / "venv"
    # A venv with pip (uv's --seed: from its cache, not ensurepip's few seconds).
    _run(UV, "venv", "--quiet", "--seed", "--python", sys.executable, venv)
    pip = [
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    # Ours from dist/ only, then their dependencies from the index (ours are satisfied).
    _run(*pip, "--no-index", "--find-links", dist, "--no-deps", *NAMES)
    uv = [UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python"]
    _run(*uv, "--find-links", dist, "seotasks[receive]", *NAMES[1:])

    seotasks = venv / "bin" / "seotasks"
    version = _run(seotasks, "--version")
    assert version.startswith("seotasks ") and version.split()[1][0].isdigit()
    assert "seotasks load" in _run(seotasks, "load", "--help")
    assert "seotasks receive" in _run(seotasks, "receive", "--help")
    listed = _run(seotasks, "providers")
    assert "dataforseo" in listed and "serpstat" in listed and "FAILED" not in listed
    # The commands' own dependencies import: dlt for load, waitress for receive.
    _run(venv / "bin" / "python", "-c", "import seotasks_dlt, waitress")
    # Installed, not run from the checkout: the package lives in the venv.
    where = _run(venv / "bin" / "python", "-c", "import seotasks; print(seotasks.__file__)")
    assert str(venv) in where

"""``seotasks collect --to DIR`` whose results folder or journal turns read-only mid-run
(a remount, a ``chmod`` by an operator): a storage failure like a full disk (exit 6, the
reason on one line, nothing fetched lost), not an internal error.

Root writes into a read-only folder anyway, so as root the command runs without the
capabilities that let it (``setpriv`` from util-linux), as any other user would.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from clihere import run_here
from clirun import CLI, cli_env, popen, ready_dataforseo

#: The command as a user whom a folder's mode binds.
AS_USER = (
    ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    if os.geteuid() == 0
    else []
)


@pytest.mark.parametrize("folder", ["dataforseo", ".seotasks/journal/dataforseo/*"])
def test_a_folder_turned_read_only_mid_run_is_a_storage_error_and_loses_nothing(
    folder: str, tmp_path: Path
) -> None:
    """The folder turns read-only once the first result is written (its line is out),
    while the other workers' tasks are journalled and streaming into hidden files: their
    rename, or their journal acknowledgement, fails. Then the mode comes back and the
    same command collects the rest: every ready task has its file, once."""
    with ready_dataforseo(40, seed=43) as emu:
        emu.app.result_padding = 16 * 1024
        env = cli_env(tmp_path, {"dataforseo": {**emu.settings, "families": "serp"}})
        truth = emu.ready_ids()
        out = tmp_path / "out"
        args = ["collect", "-p", "dataforseo", "--to", str(out), "--workers", "8"]
        proc = popen(
            [*AS_USER, *CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["path"], first
        [locked] = out.glob(folder)  # the journal is one folder per account
        locked.chmod(0o555)
        try:
            rest, error = proc.communicate(timeout=120)
        finally:
            locked.chmod(0o755)
        said = error.decode()
        assert proc.returncode == 6, said
        assert "StorageError" in said and "internal error" not in said, said
        assert len(rest.splitlines()) + 1 < len(truth), "the intake stopped"
        again = run_here(args, env)
        assert again.returncode == 0, again.stderr
        files = {p.name.removesuffix(".json") for p in (out / "dataforseo").glob("*.json")}
        assert files == truth and not emu.ready_ids()
        assert not list(out.rglob("*.intent.json"))

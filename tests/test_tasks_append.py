"""``seotasks tasks --resume FILE >> tasks.jsonl``: a run killed while a line went out
leaves half of it at the end of the file; the resumed run appends after it. Its first
line, the very task the cut one held (never checkpointed), must not be glued to it, or a
reader taking the file a line at a time loses that task."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from clirun import CLI, cli_env
from seotasks_serpstat.emulator import SerpstatEmulator


def test_a_resumed_listing_appended_after_a_cut_line_starts_on_a_new_line(
    tmp_path: Path,
) -> None:
    out = tmp_path / "tasks.jsonl"
    out.write_text('{"provider": "serpstat", "id": "1", "stat')  # a kill mid-line
    with SerpstatEmulator(size=12, rps=None) as emu:
        env = cli_env(tmp_path, {"serpstat": emu.settings})
        args = [*CLI, "tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl"]
        with out.open("a") as sink:
            done = subprocess.run(
                [*args, "--resume", str(tmp_path / "run.json")],
                env=env,
                stdout=sink,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
    assert done.returncode == 0, done.stderr
    cut, *rest = out.read_text().splitlines()
    assert cut == '{"provider": "serpstat", "id": "1", "stat'
    assert len(rest) == 12
    assert len({json.loads(line)["id"] for line in rest}) == 12  # each whole, each once

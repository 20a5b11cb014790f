"""A command whose stop is its normal end (``collect --follow``, ``receive``,
``sandbox``) stopped while it still starts up: exit 0, as a stop a moment later gives.

Before its graceful stop is in place, a signal interrupts the command's start-up (its
imports: seconds on a busy machine), and that was "interrupted", exit 5: a service
manager stopping ``collect --follow`` in its first seconds saw a failure.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from clirun import cli_env, popen, ready_dataforseo

#: Only guards against a hang: a passing run takes a second or two.
HANG = 60


def test_follow_stopped_while_it_starts_up_exits_0(tmp_path: Path) -> None:
    with ready_dataforseo(5, seed=4) as emulator:
        # ``-X importtime``: a stderr line as each module is imported. urllib3 comes with
        # the library the command imports, before its graceful stop is in place.
        command = [sys.executable, "-X", "importtime", "-m", "seotasks.cli", "collect"]
        command += ["-p", "dataforseo", "--to", str(tmp_path / "results"), "--follow"]
        with popen(
            command,
            env=cli_env(tmp_path, {"dataforseo": emulator.settings}),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ) as child:
            assert child.stderr is not None
            guard = threading.Timer(HANG, child.kill)  # a run that never imports it
            guard.start()
            for line in child.stderr:
                if line.split(b"|")[-1].strip() == b"urllib3":
                    break
            guard.cancel()
            child.send_signal(signal.SIGTERM)
            _, err = child.communicate(timeout=HANG)
    said = [line for line in err.decode().splitlines() if not line.startswith("import time")]
    assert child.returncode == 0, said
    assert "seotasks: interrupted" not in said

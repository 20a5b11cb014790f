"""``seotasks load`` says its long waits on stderr, as ``tasks`` does: a load is a
scheduled command, and a vendor's ``Retry-After`` of minutes was silence in its log (up
to twenty minutes over five tries)."""

from __future__ import annotations

import io

from dltenv import Env

from seotasks.cli.load import _say_waits
from seotasks.emulation import Fault


def test_a_long_wait_before_a_retry_is_said_on_stderr(env: Env) -> None:
    err = io.StringIO()
    env.serp.server.faults.retry_after = "120"
    env.serp.server.faults.inject(Fault.HTTP_429_RETRY_AFTER, 1)
    summary = env.load(providers=["serpstat"], on_connect=_say_waits(err))  # a fake clock
    assert summary.tables["tasks"].rows > 0
    assert env.clock.slept.count(120.0) == 1
    assert "seotasks: serpstat: retrying jsonrpc in 120s (rate limited)" in err.getvalue()

"""``load --sandbox``'s pipeline: its own for other sandbox data, always a usable name."""

from __future__ import annotations

import argparse

import pytest

from seotasks.cli.load import _sandbox_pipeline


@pytest.mark.parametrize(
    ("seed", "size", "name"),
    [
        (0, None, None),  # the default sandbox: seotasks_sandbox
        (3, 600, "seotasks_sandbox_3_600"),
        (0, 600, "seotasks_sandbox_0_600"),
        (-3, None, "seotasks_sandbox_minus3_default"),  # "-3" made no schema name
    ],
)
def test_other_sandbox_data_gets_its_own_pipeline(seed: int, size: int | None, name: str) -> None:
    args = argparse.Namespace(sandbox=True, seed=seed, sandbox_size=size)
    assert _sandbox_pipeline(args) == name
    assert name is None or name.isidentifier()
    assert (
        _sandbox_pipeline(argparse.Namespace(sandbox=False, seed=seed, sandbox_size=size)) is None
    )

"""``python -m seotasks.cli``: the same as the ``seotasks`` command."""

from . import run

run()

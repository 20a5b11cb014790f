"""A plugin module that calls ``sys.exit`` on import (`test_plugins`): it ended every
command, ``seotasks providers`` included, with its message and exit 1."""

import sys

sys.exit("plugin exits on import")

"""``python -m seotasks.cli``: the same as the ``seotasks`` command."""

import sys

from . import main

sys.exit(main())

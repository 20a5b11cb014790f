"""A program `test_forkrun` runs both forked and cold: what it observes and how it ends
must not tell the two apart."""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import tempfile
import threading
import time

if __name__ == "__main__":
    how = sys.argv[1]
    seen = {
        "argv": sys.argv[1:],
        "name": __name__,
        "cwd": os.getcwd(),
        "probe": os.environ.get("PROBE"),
        "home": os.environ.get("HOME"),
        "tmp": tempfile.gettempdir(),
        "stdin": sys.stdin.read(),
        "handlers": [str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM)],
        "path": sys.path,
        "bytecode": sys.dont_write_bytecode,
        "stdout": [sys.stdout.line_buffering, sys.stdout.write_through, sys.stdout.encoding],
    }
    print(json.dumps(seen, sort_keys=True), flush=True)
    # Started from a shell's background job, SIGINT comes ignored, and Python leaves it
    # so: Python's own handling, installed here, is what a signalled probe compares.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    atexit.register(lambda: print("atexit", flush=True))
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread", flush=True))).start()
    sys.stdout.write("buffered\n")  # flushed at exit, after the thread's line
    print("to stderr", file=sys.stderr)
    if how == "exit":
        sys.exit(3)
    if how == "raise":
        raise RuntimeError("boom")
    if how == "file":
        with open("written", "w") as file:
            file.write("x" * 100)
    if how == "wait":
        print("waiting", file=sys.stderr, flush=True)
        time.sleep(60)

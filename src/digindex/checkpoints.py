"""Named moments of a writing command (build, gate, publication, file switch).

They do nothing unless ``DIGINDEX_CRASH_AT`` names one: the process then kills itself
there with SIGKILL — no cleanup, no ``finally``, as ``kill -9`` would leave it. The
crash-safety suite (``make test-crash``, tests/python/test_crash_safety.py, which lists
the ones it kills at) uses them as deterministic injection points. The build passes one
per dbt seed and model written: ``built <name>``.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "DIGINDEX_CRASH_AT"


def checkpoint(stage: str) -> None:
    """A named point in a writing command: a no-op unless DIGINDEX_CRASH_AT names it."""
    if os.environ.get(CRASH_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)

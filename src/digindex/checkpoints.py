"""Named moments of a writing command (build, gate, publication, file switch).

They do nothing unless ``DIGINDEX_CRASH_AT`` names one: the process then kills itself
there with SIGKILL — no cleanup, no ``finally``, as ``kill -9`` or a power cut of the
process would leave it. The crash-safety suite (``make test-crash``) uses them as
deterministic injection points; :data:`PUBLICATION` lists the ones every publishing run
passes, in order.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "DIGINDEX_CRASH_AT"

# the checkpoints of a publication, in the order a run passes them (the build adds one per
# dbt node: "built <model or seed name>")
PUBLICATION = [
    "index staged",
    "shadow copied",
    "build finished",
    "gate started",
    "gate finished",
    "published models built",
    "export written",
    "report written",
    "manifest written",
    "version sealed",
    "warehouse switched",
    "exports switched",
    "old versions removed",
]


def checkpoint(stage: str) -> None:
    """A named point in a writing command: a no-op unless DIGINDEX_CRASH_AT names it."""
    if os.environ.get(CRASH_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)

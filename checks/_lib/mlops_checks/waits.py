"""How long a check waits for a learner's server to get ready before it fails.

Each wait keeps its own default, sized for a learner's loaded laptop (a minute for a FastAPI
app, three for a container or a KServe model server). ``$MLOPS_ROADMAP_READY_WAIT`` (seconds)
caps every one of them: the course's own tests set it to prove that a server which never gets
ready fails, with its output, without waiting minutes for it. It only ever shortens a wait, so
setting it can make a check stricter, never easier; learners leave it unset.
"""

from __future__ import annotations

import os

ENV = "MLOPS_ROADMAP_READY_WAIT"


def ready_wait(default: float) -> float:
    """``default`` seconds, or less when $MLOPS_ROADMAP_READY_WAIT caps it (a positive number;
    anything else is ignored)."""
    try:
        cap = float(os.environ.get(ENV, ""))
    except ValueError:
        return default
    return min(default, cap) if cap > 0 else default

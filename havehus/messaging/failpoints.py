"""Named places where a test may kill the worker, to prove that a crash loses and repeats nothing.

`HAVEHUS_FAILPOINTS=after-claim,before-commit` makes the process SIGKILL itself when it reaches
one of those points; without the variable (always, in production) `hit()` is a set lookup on an
empty set. The points along one send (docs/messaging-kill-points.md):

- ``after-claim``: the claim is committed, no request has left;
- ``after-request-sent``: the request reached Twilio, the answer has not come back. No code
  runs at that instant, so tests hold the answer in the fake Twilio server and kill the worker
  from outside; the name is listed here so the table and the tests share one vocabulary;
- ``after-answer``: Twilio's answer (or the timeout) arrived, nothing is recorded;
- ``before-commit``: the outcome is written in the session, not yet committed.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after-claim", "after-request-sent", "after-answer", "before-commit")

#: Read once at import: the worker is a fresh process for every kill-point test.
_ACTIVE = frozenset(
    name.strip() for name in os.environ.get("HAVEHUS_FAILPOINTS", "").split(",") if name.strip()
)


def hit(name: str) -> None:
    """SIGKILL this process when `name` is one of the active fail points."""
    if name in _ACTIVE:
        # SIGKILL, not an exception: no finally blocks, no rollback, no goodbye — a real crash.
        os.kill(os.getpid(), signal.SIGKILL)

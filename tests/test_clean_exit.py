"""A clean `./run plan` leaves nothing for Python to complain about on its way out.

The SDK's mock monitor gives every worker thread it answers on an event loop that nothing closed; left
to the garbage collector, such a loop could be finalised after its own socket and print "Exception
ignored ... Invalid file descriptor: -1" with a traceback, on about one run in twenty. Python's
ResourceWarning names every loop collected unclosed, on every run, so the test need not be lucky.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
PYTHON_WARNING_EVERY_LOOP = (sys.executable, "-W", "always::ResourceWarning")


def test_a_plan_closes_every_event_loop_it_made_before_python_exits() -> None:
    done = subprocess.run(
        [*PYTHON_WARNING_EVERY_LOOP, "-m", "cross_account_s3", "plan", "--grants", "tests/fixtures/grants-directory"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "unclosed event loop" not in done.stderr
    assert done.stderr == ""

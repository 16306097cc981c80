"""Run the time-sensitive tests with the machine's clock moved to the hours that break things.

Under libfaketime (Debian's `faketime`) every process of the run — pytest, the live server the
browser tests start, the PostgreSQL server, forked `havehus worker` processes and Chromium — sees
the same moved clock: the offset is relative, so a process started later agrees with the rest.
The instants, in Europe/Copenhagen: Sunday 00:05 (yesterday in UTC, a new ISO week tomorrow),
Monday 07:59 (quiet hours end at 08:00), Saturday 21:30 (quiet hours began at 21:00), and two
minutes before the spring DST change (the run crosses 02:00 → 03:00).

The suite pins the app's clock itself, so each run must be as green as the normal one: a test
that fails here reads the machine's clock somewhere.

libfaketime moves the monotonic clock too, but not every call that waits on it: a timed wait
on a lock or event (`threading.Event().wait(0.01)`, `Lock.acquire(timeout=…)`, glibc's
`sem_clockwait`) gets a deadline a day or a year away and never returns. Tests poll with
`time.sleep` (its `clock_nanosleep` is moved consistently); leaving the monotonic clock real
(FAKETIME_DONT_FAKE_MONOTONIC=1) is no way out: `time.sleep` then fails with EINVAL.

    python .ci/odd_hours.py [--only NAME] [--jobs N] [pytest arguments…]

Two runs go side by side by default (one per core); each run's output goes to a log file,
and the log of a failed run is printed whole.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HOUSE = ZoneInfo("Europe/Copenhagen")
#: The parts of the suite whose outcome could depend on the hour.
TIME_SENSITIVE = [
    "tests/signup",
    "tests/messaging",
    "tests/program",
    "tests/feeds",
    "tests/api",
    "tests/people",
    "tests/attendance",
    "tests/reports",
    "tests/operations",
    "tests/browser/test_flows.py",
    "tests/test_cli.py",
    "tests/test_demo.py",
]


def next_local(after: datetime, weekday: int, hour: int, minute: int) -> datetime:
    """The first local `weekday` hour:minute after `after` (Monday is 0), as an aware UTC time."""
    day = after.astimezone(HOUSE).date()
    for offset in range(1, 9):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() == weekday:
            moment = datetime(candidate.year, candidate.month, candidate.day, hour, minute)
            return moment.replace(tzinfo=HOUSE).astimezone(UTC)
    raise AssertionError("a week has seven days")


def next_spring_change(after: datetime) -> datetime:
    """The UTC instant of the next change from winter to summer time in the house's zone."""
    moment = after.replace(minute=0, second=0, microsecond=0)
    offset = moment.astimezone(HOUSE).utcoffset()
    for _hour in range(24 * 400):
        moment += timedelta(hours=1)
        now_offset = moment.astimezone(HOUSE).utcoffset()
        if offset is not None and now_offset is not None and now_offset > offset:
            return moment
        offset = now_offset
    raise AssertionError("no spring change within 400 days")


def instants(now: datetime) -> dict[str, datetime]:
    return {
        "sunday-00:05": next_local(now, 6, 0, 5),
        "monday-07:59": next_local(now, 0, 7, 59),
        "saturday-21:30": next_local(now, 5, 21, 30),
        "spring-dst-night": next_spring_change(now) - timedelta(minutes=2),
    }


def say(line: str) -> None:
    """One whole line at a time: the runs report from several threads."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_at(name: str, instant: datetime, tests: list[str], logs: Path) -> tuple[str, int, Path]:
    """Run pytest under faketime with the machine's clock at `instant`; its output to a log."""
    offset = round((instant - datetime.now(UTC)).total_seconds())
    local = instant.astimezone(HOUSE).strftime("%A %Y-%m-%d %H:%M %Z")
    log = logs / f"{name}.log"
    say(f"=== {name}: the machine's clock at {local} (offset {offset:+d} s)")
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
    began = time.monotonic()
    with log.open("w") as out:
        # -m: the multi-threaded libfaketime (the live server and Chromium run threads).
        code = subprocess.call(
            ["faketime", "-m", "-f", f"{offset:+d}", *pytest],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
    summary = log.read_text().strip().splitlines()[-1:] or ["(no output)"]
    say(f"=== {name}: exit {code} after {time.monotonic() - began:.0f} s: {summary[0]}")
    return name, code, log


def main(argv: list[str]) -> int:
    only, jobs = None, 2
    while argv[:1] in (["--only"], ["--jobs"]):
        if argv[0] == "--only":
            only = argv[1]
        else:
            jobs = int(argv[1])
        argv = argv[2:]
    if shutil.which("faketime") is None:
        print("faketime is not installed (Debian package faketime)", file=sys.stderr)
        return 2
    every = instants(datetime.now(UTC))
    if only is not None and only not in every:
        print(f"No instant {only!r}; choose one of: {', '.join(every)}", file=sys.stderr)
        return 2
    chosen = {n: at for n, at in every.items() if only in (None, n)}
    logs = Path(tempfile.mkdtemp(prefix="havehus-odd-hours-"))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = [
            pool.submit(run_at, name, at, argv or TIME_SENSITIVE, logs)
            for name, at in chosen.items()
        ]
        results = [run.result() for run in runs]
    failed = [name for name, code, _log in results if code]
    for name, code, log in results:
        if code:
            print(f"\n=== {name}: the whole log\n{log.read_text()}")
    if failed:
        print(f"Failed at: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"Green at all {len(results)} instants.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

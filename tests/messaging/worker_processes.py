"""Real `havehus worker` processes, started quickly: forked from a server that imported havehus.

Importing havehus costs about two seconds of CPU; the kill-point table needs two dozen worker
processes. A small server process imports it once and forks one child per worker. Each child
is a separate process running the real command line (`havehus.cli.main`) with its own
environment (its HAVEHUS_CONFIG, HAVEHUS_FAILPOINTS), its own database connections (none are
opened before the fork) and its own output file; it can be SIGKILLed like any process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

_SERVER = r"""
import importlib, json, os, sys, threading

import havehus.cli
import havehus.worker

lock = threading.Lock()


def say(payload):
    with lock:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()


def reap(pid):
    _, status = os.waitpid(pid, 0)
    say({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.environ.clear()
            os.environ.update(request["env"])
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
            # Fresh stream objects: a lock held by another thread at the fork stays held.
            sys.stdout = open(1, "w", buffering=1, closefd=False)
            sys.stderr = open(2, "w", buffering=1, closefd=False)
            import havehus.messaging.failpoints as failpoints

            importlib.reload(failpoints)  # this worker's HAVEHUS_FAILPOINTS
            sys.argv = ["havehus", *request["args"]]
            havehus.cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    say({"request": request["id"], "pid": pid})
    threading.Thread(target=reap, args=(pid,), daemon=True).start()
"""


class Worker:
    """One forked `havehus …` process."""

    def __init__(self, pid: int, exit_code: Future[int], log: Path) -> None:
        self.pid = pid
        self._exit = exit_code
        self.log = log

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> int:
        """The exit code; -9 when SIGKILLed (as subprocess reports it)."""
        return self._exit.result(timeout)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class WorkerServer:
    """Forks `havehus` command lines on request; use as a context manager."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEHUS_")}
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._lock = threading.Lock()
        self._started: dict[int, Future[int]] = {}
        self._exits: dict[int, Future[int]] = {}
        self._ids = iter(range(1, 1 << 30))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _future(self, table: dict[int, Future[int]], key: int) -> Future[int]:
        with self._lock:
            return table.setdefault(key, Future())

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            message = json.loads(line)
            if "request" in message:
                self._future(self._started, message["request"]).set_result(message["pid"])
            else:
                self._future(self._exits, message["exited"]).set_result(message["code"])

    def start(self, args: list[str], env: dict[str, str], log: Path) -> Worker:
        with self._lock:
            request = next(self._ids)
        line = json.dumps({"id": request, "args": args, "env": env, "log": str(log)})
        assert self._process.stdin is not None
        with self._lock:
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
        pid = self._future(self._started, request).result(120)
        return Worker(pid, self._future(self._exits, pid), log)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(10)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> WorkerServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

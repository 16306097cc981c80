"""Processes a test starts as an operator would (gunicorn, `havehus worker`, the CLI), with
their logs, bounded waits and plain HTTP to them; every one is stopped at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: The longest any one step may take on a busy machine.
STEP_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Machine:
    """The processes of one deployment, their environment and their logs."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def havehus(self, *args: str, exit_code: int = 0) -> str:
        """Run `havehus ARGS` as an operator would; its output, or the test fails."""
        done = subprocess.run(
            [str(BIN / "havehus"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=STEP_SECONDS * 2,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert done.returncode == exit_code, f"havehus {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def start(self, name: str, *command: str) -> None:
        with (self.logs / f"{name}.log").open("wb") as out:
            self.running[name] = subprocess.Popen(
                list(command),
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def start_web(self, name: str, port: int, workers: int = 1) -> None:
        gunicorn = (str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py")
        self.start(name, *gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                   "havehus:create_app()")  # fmt: skip

    def start_worker(self, name: str) -> None:
        self.start(name, str(BIN / "havehus"), "worker")

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.running.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def wait_until(what: str, check: Callable[[], bool], machine: Machine) -> None:
    deadline = time.monotonic() + STEP_SECONDS
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    logs = "\n".join(f"--- {n}\n{machine.log(n)[-3000:]}" for n in sorted(machine.running))
    pytest.fail(f"not within {STEP_SECONDS:.0f} s: {what}\n{logs}")

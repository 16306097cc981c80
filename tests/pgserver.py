"""Throw-away PostgreSQL server for the test session, started with plain subprocess calls."""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import psycopg

SUPERUSER = "postgres"
HOST = "127.0.0.1"
CONNECT_TIMEOUT_S = 20.0
PG_CTL_TIMEOUT_S = 60
START_ATTEMPTS = 3
LOG_TAIL_LINES = 30
_SERVER_OPTIONS = (
    "-c listen_addresses={host} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
)
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL binaries are missing or the server could not be started."""


def _version_key(bindir: Path) -> tuple[int, ...]:
    """Sort key turning /usr/lib/postgresql/<version>/bin into a numeric tuple."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name)) or (0,)


def _has_server_binaries(bindir: Path) -> bool:
    """Whether bindir holds the initdb and pg_ctl executables."""
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def find_bindir() -> Path | None:
    """Locate the PostgreSQL server binaries directory, or return None."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out and _has_server_binaries(Path(out)):
                return Path(out)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if _has_server_binaries(bindir):
            return bindir
    initdb = shutil.which("initdb")
    if initdb and _has_server_binaries(Path(initdb).parent):
        return Path(initdb).parent
    return None


def _free_port() -> int:
    """Ask the kernel for a currently unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last lines of a text file, or a note when it cannot be read."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<no server log at {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


class PostgresServer:
    """A private PostgreSQL cluster in a temporary directory, reachable on 127.0.0.1."""

    def __init__(self, base_dir: Path | None = None) -> None:
        """Prepare (but do not start) a server whose files live under base_dir or /tmp."""
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.bindir: Path | None = None
        self.tmp_dir: Path | None = None
        self.port: int | None = None
        self.startup_seconds: float | None = None
        self._as_root = os.geteuid() == 0
        self._running = False

    @property
    def data_dir(self) -> Path:
        """Cluster data directory."""
        return self._require_tmp() / "data"

    @property
    def socket_dir(self) -> Path:
        """Directory for the server's Unix-domain socket."""
        return self._require_tmp() / "sock"

    @property
    def log_path(self) -> Path:
        """Server log file written by pg_ctl."""
        return self._require_tmp() / "postgres.log"

    def _require_tmp(self) -> Path:
        """Return the temp dir, failing if the server was never started."""
        if self.tmp_dir is None:
            raise RuntimeError("PostgresServer has not been started")
        return self.tmp_dir

    def _require_port(self) -> int:
        """Return the TCP port, failing if the server is not running."""
        if self.port is None or not self._running:
            raise RuntimeError("PostgresServer is not running")
        return self.port

    def _env(self) -> dict[str, str]:
        """Environment for server commands, without PG* variables that could redirect them."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        env["LANG"] = "C"
        return env

    def _cmd(self, binary: str, *args: str) -> list[str]:
        """Build a command line, wrapped in runuser when running as root."""
        assert self.bindir is not None
        cmd = [str(self.bindir / binary), *args]
        if self._as_root:
            return ["runuser", "-u", SUPERUSER, "--", *cmd]
        return cmd

    def _run(self, binary: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL binary (as the postgres user when root) and capture its output."""
        return subprocess.run(
            self._cmd(binary, *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._env(),
            cwd=str(self._require_tmp()),
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def _make_dirs(self) -> None:
        """Create the temp, data and socket dirs with owners/modes the server accepts."""
        parent = self.base_dir if self.base_dir is not None else Path(tempfile.gettempdir())
        if self.base_dir is not None and not self.base_dir.exists():
            self.base_dir.mkdir(parents=True)
            self.base_dir.chmod(0o755)
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="havehus-pg-", dir=parent))
        self.tmp_dir.chmod(0o755)
        self.data_dir.mkdir(mode=0o700)
        self.socket_dir.mkdir(mode=0o755)
        if self._as_root:
            try:
                pw = pwd.getpwnam(SUPERUSER)
            except KeyError as exc:
                raise PostgresUnavailable(
                    f"running as root but there is no {SUPERUSER!r} system user to run the server"
                ) from exc
            for path in (self.tmp_dir, self.data_dir, self.socket_dir):
                os.chown(path, pw.pw_uid, pw.pw_gid)

    def start(self) -> None:
        """Run initdb and pg_ctl start on a free port, then wait until connections succeed."""
        if self._running:
            return
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise PostgresUnavailable(f"psycopg is not importable: {exc}") from exc
        self.bindir = find_bindir()
        if self.bindir is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries not found"
                " (tried pg_config --bindir, /usr/lib/postgresql/*/bin, PATH)"
            )
        if self._as_root and shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root but 'runuser' is not available")
        began = time.monotonic()
        atexit.register(self.stop)
        try:
            self._make_dirs()
            self._initdb()
            self._start_server()
            self._wait_for_connections()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began

    def _initdb(self) -> None:
        """Create the cluster with trust authentication and the C locale."""
        try:
            res = self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
                timeout=120,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresUnavailable(f"initdb timed out after {exc.timeout} s") from exc
        if res.returncode != 0:
            output = "\n".join((res.stdout + res.stderr).splitlines()[-LOG_TAIL_LINES:])
            raise PostgresUnavailable(f"initdb failed (exit {res.returncode}):\n{output}")

    def _start_server(self) -> None:
        """Start the postmaster via pg_ctl -w, retrying on a fresh port if the bind races."""
        last_error = ""
        for _ in range(START_ATTEMPTS):
            port = _free_port()
            options = f"-p {port} -k {self.socket_dir} " + _SERVER_OPTIONS.format(host=HOST)
            try:
                res = self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data_dir),
                    "-o",
                    options,
                    "-l",
                    str(self.log_path),
                    "-t",
                    str(PG_CTL_TIMEOUT_S),
                    "-w",
                    "start",
                    timeout=PG_CTL_TIMEOUT_S + 15,
                )
            except subprocess.TimeoutExpired:
                res = None
            if res is not None and res.returncode == 0:
                self.port = port
                self._running = True
                return
            log_tail = _tail(self.log_path)
            if res is None:
                detail = "pg_ctl start timed out"
            else:
                output = (res.stdout + res.stderr).strip()
                detail = f"pg_ctl start failed (exit {res.returncode}): {output}"
            last_error = f"{detail}\n--- server log tail ({self.log_path}) ---\n{log_tail}"
            # Make sure a half-started postmaster is not left behind before retrying.
            self._running = True
            self._shutdown_server()
            if "could not bind" not in log_tail:
                break
        raise PostgresUnavailable(last_error)

    def _wait_for_connections(self) -> None:
        """Retry a psycopg connection for up to CONNECT_TIMEOUT_S seconds."""
        import psycopg

        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        last_exc: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with self._admin_connection() as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.Error as exc:
                last_exc = exc
                time.sleep(0.1)
        raise PostgresUnavailable(
            f"server did not accept connections within {CONNECT_TIMEOUT_S:.0f} s: {last_exc}\n"
            f"--- server log tail ({self.log_path}) ---\n{_tail(self.log_path)}"
        )

    def _admin_connection(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        """Open an autocommit psycopg connection as the superuser."""
        import psycopg

        return psycopg.connect(
            host=HOST,
            port=self.port,
            user=SUPERUSER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=2,
        )

    def _postmaster_pid(self) -> int | None:
        """Read the postmaster PID from postmaster.pid, if present."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
            return int(first.strip())
        except (OSError, IndexError, ValueError):
            return None

    def _shutdown_server(self) -> None:
        """Stop the postmaster with pg_ctl -m fast, falling back to signals."""
        if not self._running or self.tmp_dir is None or self.bindir is None:
            return
        self._running = False
        if not self.data_dir.is_dir():
            return
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            res = self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                "30",
                "stop",
                timeout=45,
            )
            if res.returncode == 0 or (
                "Is server running?" in res.stderr and self._postmaster_pid() is None
            ):
                return
        pid = self._postmaster_pid()
        if pid is None:
            return
        for sig, wait in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            except PermissionError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (idempotent) and delete its temporary directory."""
        atexit.unregister(self.stop)
        self._shutdown_server()
        if self.tmp_dir is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir = None
        self.port = None

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL for dbname on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self._require_port()}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create a database and return its SQLAlchemy URL."""
        from psycopg import sql

        self._check_name(name)
        with self._admin_connection() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Terminate connections to a database, then drop it if it exists."""
        from psycopg import sql

        self._check_name(name)
        with self._admin_connection() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(name), force)
            )

    @staticmethod
    def _check_name(name: str) -> None:
        """Reject database names that are not plain identifiers."""
        if not _NAME_RE.match(name):
            raise ValueError(f"invalid database name: {name!r}")

    def __enter__(self) -> Self:
        """Start the server for a with-block."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server at the end of a with-block."""
        self.stop()

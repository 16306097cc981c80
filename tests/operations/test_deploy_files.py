"""The files docs/deploy.md asks the operator to copy: the systemd units pass
`systemd-analyze verify`, the nginx site passes `nginx -t` and sends what ProxyFix reads, and
every `havehus` command the guide names exists."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from flask import Flask, request

from tests.conftest import build_app, unavailable

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "config" / "systemd"
NGINX_SITE = ROOT / "config" / "nginx" / "havehus.conf"
GUIDE = ROOT / "docs" / "deploy.md"


def _needs(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            unavailable("The deployment files' checks", f"no {tool} (`.ci/run` installs it)")


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    _needs("systemd-analyze")
    venv_bin = str(Path(sys.executable).parent)
    for unit in UNITS.iterdir():
        # The same units, pointing at this checkout's programs (verify checks they exist).
        text = unit.read_text().replace("/opt/havehus/.venv/bin", venv_bin)
        (tmp_path / unit.name).write_text(text)
    for template, instance in (("havehus-web@", "8001"), ("havehus-worker@", "1")):
        source = tmp_path / f"{template}.service"
        (tmp_path / f"{template}{instance}.service").write_text(source.read_text())
    names = ["havehus-web@8001.service", "havehus-worker@1.service", "havehus.target"]
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # It warns (exit 0) about unknown keys and bad values: any line at all is a fault.
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), (
        done.stdout + done.stderr
    )


def test_the_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    _needs("nginx", "openssl")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=havehus.test", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    (tmp_path / "logs").mkdir()
    site = (
        NGINX_SITE.read_text()
        .replace(
            "/etc/letsencrypt/live/havehus.example.dk/fullchain.pem", str(tmp_path / "cert.pem")
        )
        .replace("/etc/letsencrypt/live/havehus.example.dk/privkey.pem", str(tmp_path / "key.pem"))
        .replace("/var/log/nginx/", f"{tmp_path}/logs/")
    )
    (tmp_path / "havehus.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/havehus.conf;\n}}\n"
    )
    done = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_nginx_sends_what_proxyfix_reads_with_one_trusted_proxy() -> None:
    site = NGINX_SITE.read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert f"proxy_set_header {header} " in site
    assert "HAVEHUS_TRUSTED_PROXIES=1" in site and "HAVEHUS_TRUSTED_PROXIES=1" in GUIDE.read_text()


def test_behind_one_proxy_the_client_address_scheme_and_host_are_the_proxys_word(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app: Flask = build_app(sqlite_url, trusted_proxies=1)
    seen: list[tuple[str, str, str | None]] = []

    @app.before_request
    def _look() -> None:
        seen.append((request.scheme, request.host, request.remote_addr))

    nginx = {
        # A client that forges its own X-Forwarded-For: nginx appends the address it saw.
        "X-Forwarded-For": "203.0.113.66, 198.51.100.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "havehus.example.dk",
    }
    client = app.test_client()
    assert client.get("/staff/login", headers=nginx).status_code == 200
    assert seen == [("https", "havehus.example.dk", "198.51.100.7")]
    with caplog.at_level(logging.WARNING, logger="havehus.messaging"):
        client.post("/sms/inbound", data={"Body": "STOP"}, headers=nginx)
    assert "from 198.51.100.7" in caplog.text and "203.0.113.66" not in caplog.text


def test_every_havehus_command_in_the_guide_exists(app: Flask) -> None:
    guide = GUIDE.read_text()
    # Indented code blocks and inline code that start with the command.
    commands = set(re.findall(r"^ {4}havehus ([a-z][a-z-]+)", guide, re.M))
    commands |= set(re.findall(r"`havehus ([a-z][a-z-]+)", guide))
    assert {"backup", "restore", "maintenance", "worker", "check", "db"} <= commands
    known = set(app.cli.list_commands(click.Context(app.cli))) | {"db", "shell", "routes"}
    assert commands <= known, commands - known

"""A built wheel carries templates, static files, catalogues, config and migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from havehus.paths import RESOURCE_ROOT

CHECK_INSTALLED = r"""
import sys
from pathlib import Path
import havehus
from havehus import create_app
from havehus.paths import RESOURCE_ROOT, MIGRATIONS_DIR
assert Path(havehus.__file__).parent == RESOURCE_ROOT, (havehus.__file__, RESOURCE_ROOT)
assert str(RESOURCE_ROOT).startswith(sys.argv[1]), RESOURCE_ROOT
app = create_app({"database_url": "sqlite:///" + sys.argv[2]})
with app.app_context():
    from flask_migrate import upgrade
    upgrade(directory=str(MIGRATIONS_DIR))
client = app.test_client()
page = client.get("/?lang=en").get_data(as_text=True)
assert "Today and the next 6 days" in page and "Skip to content" in page, page[:300]
assert "I dag og de næste 6 dage" in client.get("/?lang=da").get_data(as_text=True)
assert client.get("/static/css/site.css").status_code == 200
assert client.get("/static/pictograms/garden.svg").status_code == 200
print("installed wheel OK")
"""


@pytest.mark.slow
def test_wheel_works_from_a_non_editable_install(tmp_path: Path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(dist), str(RESOURCE_ROOT)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (wheel,) = dist.glob("havehus-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "havehus/templates/base.html",
        "havehus/static/css/site.css",
        "havehus/static/pictograms/garden.svg",
        "havehus/locales/da/LC_MESSAGES/messages.mo",
        "havehus/config/default.toml",
        "havehus/migrations/env.py",
        "havehus/migrations/versions/0001_first_cut_model.py",
    ):
        assert expected in names, expected

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEHUS_")}
    env["PYTHONPATH"] = str(target)
    env["HAVEHUS_INSTANCE_PATH"] = str(tmp_path / "instance")
    result = subprocess.run(
        [sys.executable, "-c", CHECK_INSTALLED, str(target), str(tmp_path / "wheel.db")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "installed wheel OK" in result.stdout

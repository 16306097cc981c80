"""The two baselines every web figure is a ratio to, served by gunicorn exactly as the app is.

- `hello`: a bare Flask view returning a short text.
- `rows`: a Flask-SQLAlchemy page listing 40 rows of a table through a Jinja template (the
  kind of page a small Flask app serves), on the same database as the app
  (BENCH_ROWS_DATABASE_URL).

gunicorn 'bench.baselines:hello' / 'bench.baselines:make_rows()'.
"""

from __future__ import annotations

import os

from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROWS = 40

hello = Flask("bench_hello")


@hello.get("/")
def say_hello() -> str:
    return "Hello, World!"


class _Base(DeclarativeBase):
    pass


class BenchRow(_Base):
    __tablename__ = "bench_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(100))
    seats: Mapped[int]


_PAGE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
<table>
<thead><tr><th>#</th><th>Title</th><th>Place</th><th>Seats</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.title }}</td><td>{{ row.place }}</td>
<td>{% if row.seats %}{{ row.seats }} left{% else %}full{% endif %}</td></tr>
{% endfor %}</tbody></table></body></html>"""


def make_rows(database_url: str | None = None) -> Flask:
    """The 40-row page; its table is made and filled on first start (idempotent)."""
    url = database_url or os.environ["BENCH_ROWS_DATABASE_URL"]
    app = Flask("bench_rows")
    # A template file as a small app has one: compiled once, not per request.
    app.jinja_loader = DictLoader({"rows.html": _PAGE})
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db = SQLAlchemy(app, model_class=_Base)

    @app.get("/")
    def rows() -> str:
        found = db.session.scalars(select(BenchRow).order_by(BenchRow.id).limit(ROWS)).all()
        return render_template("rows.html", title="40 rows", rows=found)

    return app


def seed_rows(database_url: str) -> None:
    """Create and fill the baseline's table (before the servers start)."""
    app = make_rows(database_url)
    with app.app_context():
        db: SQLAlchemy = app.extensions["sqlalchemy"]
        _Base.metadata.create_all(db.engine)
        if db.session.scalar(select(BenchRow.id).limit(1)) is None:
            db.session.add_all(
                BenchRow(id=n, title=f"Aktivitet {n}", place=f"Lokale {n % 4}", seats=n % 7)
                for n in range(1, ROWS * 2 + 1)
            )
            db.session.commit()
        db.engine.dispose()

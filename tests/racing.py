"""Many tries released at the same instant, each on its own connection, as parallel requests are."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from havehus.errors import HavehusError
from havehus.extensions import db


def race(app: Flask, racers: int, attempt: Callable[[int], str]) -> tuple[list[str], list[str]]:
    """Run `attempt(n)` in `racers` threads released by one barrier; their outcomes and leaks.

    An attempt returns its outcome; a HavehusError's code is the outcome too, and the attempt's
    transaction is committed then, as the views do (a failed try is kept). Anything else that
    escapes is a leak: a bug that would reach the user.
    """
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    leaks: list[str] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                outcome = attempt(number)
                db.session.commit()
            except HavehusError as error:
                db.session.commit()
                outcome = error.code
            except BaseException as exc:
                db.session.rollback()
                with lock:
                    leaks.append(repr(exc))
                return
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes, leaks

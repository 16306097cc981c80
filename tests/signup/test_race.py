"""Races, on both databases: fifty people for the last three seats get exactly three; thirty
parallel tries at one texted code get only its five tries, and a number only its codes an hour."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from havehus.config import current_settings, settings_of
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import Booking, OutboundMessage, Participant, Session, SignupChallenge
from havehus.people.audit import Actor
from havehus.signup import challenges, remind_me, services
from havehus.signup.sign_up import Person, SignUp
from tests.racing import race
from tests.signup.conftest import NOW

RACERS = 50
#: The issue asks for 20 rounds; the waiting-list variant adds a second ordering, 10 suffice.
ROUNDS = {False: 20, True: 10}


def _race(app, session_id: int, people: list[int]) -> tuple[list[str], list[BaseException]]:
    """Let every person try to book at the same moment; their outcomes, and any leaked error."""
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []
    leaks: list[BaseException] = []
    lock = threading.Lock()

    def race(person_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                target = db.session.get(Session, session_id)
                person = db.session.get(Participant, person_id)
                result = services.book(
                    db.session,
                    target,
                    person,
                    NOW,
                    Actor("public"),
                    source="web",
                    notify=False,
                    settings=current_settings(),
                )
                db.session.commit()
                outcome = result.booking.status
            except HavehusError as error:
                db.session.rollback()
                outcome = error.code
            except BaseException as exc:  # anything else is a bug that reached the user
                db.session.rollback()
                with lock:
                    leaks.append(exc)
                return
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=race, args=(pid,)) for pid in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes, leaks


@pytest.mark.slow
@pytest.mark.parametrize("waitlist", [False, True], ids=["no-waitlist", "waitlist"])
def test_fifty_racers_for_three_seats(any_app, bookable, make_person, waitlist):
    for round_number in range(ROUNDS[waitlist]):
        session = bookable(capacity=3, waitlist=waitlist)
        people = [make_person(consent=False).id for _ in range(RACERS)]
        session_id = session.id
        db.session.commit()

        outcomes, leaks = _race(any_app, session_id, people)

        assert leaks == [], f"round {round_number}: {leaks[:3]}"
        assert outcomes.count("confirmed") == 3, f"round {round_number}: {outcomes}"
        losers = "waitlisted" if waitlist else "full"
        assert outcomes.count(losers) == RACERS - 3, f"round {round_number}: {outcomes}"
        db.session.expire_all()
        seats = db.session.scalar(select(Session.seats_taken).where(Session.id == session_id))
        confirmed = db.session.scalar(
            select(func.count()).where(
                Booking.session_id == session_id, Booking.status == "confirmed"
            )
        )
        assert seats == confirmed == 3


# ---------------------------------------------------------------- texted codes

#: Parallel tries at one texted code: more than the limit, so a race would show.
CODE_RACERS = 30


def _challenge(bookable, phone: str = "+4520123456") -> tuple[int, str]:
    """A texted code waiting for a sign-up; its id and a code that is not the right one."""
    session = bookable(capacity=20)
    person = Person(name="Fatima", phone=phone, language="da")
    challenge, code = challenges.start(
        db.session,
        session,
        SignUp(person=person, source="web"),
        "192.0.2.1",
        NOW,
        current_settings(),
    )
    challenge_id = challenge.id
    db.session.commit()  # and no read after it: the racers' writes must be seen afterwards
    return challenge_id, f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.parametrize("door", ["web-and-kiosk", "remind-me"])
def test_thirty_parallel_wrong_codes_get_five_evaluated(any_app, bookable, door):
    challenge_id, wrong = _challenge(bookable)
    confirm = {
        "web-and-kiosk": lambda: challenges.confirm(
            db.session, challenge_id, wrong, NOW, Actor("public"), current_settings()
        ),
        "remind-me": lambda: remind_me.confirm(db.session, challenge_id, wrong, NOW),
    }[door]

    outcomes, leaks = race(any_app, CODE_RACERS, lambda _n: str(confirm()))

    assert leaks == []
    assert outcomes.count("wrong_code") == challenges.MAX_CODE_ATTEMPTS, outcomes
    assert outcomes.count("expired") == CODE_RACERS - challenges.MAX_CODE_ATTEMPTS
    db.session.expire_all()
    attempts = db.session.scalar(
        select(SignupChallenge.attempts).where(SignupChallenge.id == challenge_id)
    )
    assert attempts == challenges.MAX_CODE_ATTEMPTS


def test_thirty_parallel_code_requests_for_one_number_text_three(any_app, bookable):
    session_id = bookable(capacity=20).id
    db.session.commit()

    def ask(number: int) -> str:
        person = Person(name="Fatima", phone="+4520123456", language="da")
        # Each from its own address: only the limit per number applies.
        challenges.start(
            db.session,
            db.session.get(Session, session_id),
            SignUp(person=person, source="web"),
            f"192.0.2.{number + 1}",
            NOW,
            current_settings(),
        )
        return "texted"

    outcomes, leaks = race(any_app, CODE_RACERS, ask)

    assert leaks == []
    per_phone = settings_of(any_app).signup_codes_per_phone_hour
    assert outcomes.count("texted") == per_phone, outcomes
    texted = select(func.count()).where(OutboundMessage.kind == "code")
    assert db.session.scalar(texted) == per_phone

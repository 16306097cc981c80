"""Each figure's name and definition as the report page shows them, in the words of
docs/indicators.md (keep the two saying the same)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

#: figure → (name, definition).
FIGURES: dict[str, tuple[LazyString, LazyString]] = {
    "sessions_held": (
        _l("Sessions held"),
        _l(
            "Sessions of the period that were not cancelled and had started when the report "
            "was made."
        ),
    ),
    "sessions_cancelled": (
        _l("Sessions cancelled"),
        _l("Sessions of the period that were cancelled."),
    ),
    "visits": (
        _l("Visits"),
        _l(
            "Named visits (a booking marked as come, or a known person checked in) plus anonymous "
            "visits. A booking is not a visit, and a no-show is not one."
        ),
    ),
    "anonymous_visits": (
        _l("Anonymous visits"),
        _l(
            "Adults and children in the head counts (first-timers are among them, not beside "
            "them), plus guests who came along on someone's booking."
        ),
    ),
    "unique_participants": (
        _l("Unique participants"),
        _l(
            "Different people with a named visit in the period: a person who came ten times is one."
        ),
    ),
    "new_participants": (
        _l("New participants"),
        _l(
            "Of the unique participants, those whose first named visit ever (any activity, any "
            "time) falls in the period."
        ),
    ),
    "returning_participants": (
        _l("Returning participants"),
        _l("Of the unique participants, those with two or more named visits in the period."),
    ),
    "no_show_rate": (
        _l("No-show rate"),
        _l(
            "Bookings that ended as no-show ÷ bookings that ended as attended or no-show. "
            "Waiting-list places, cancelled bookings and courses are not in it."
        ),
    ),
    "participation_rate": (
        _l("Participation rate"),
        _l(
            "By housing department: unique participants ÷ residents aged 18 or more of the "
            "department in the year the period starts in."
        ),
    ),
    "visits_per_session": (
        _l("Average visits per session"),
        _l("Visits ÷ sessions held."),
    ),
    "fill_rate": (
        _l("Fill rate of sign-up activities"),
        _l(
            "Seats booked ÷ seats offered, in the held sessions of activities people sign up "
            "for. Seats booked are the seats counted on the session: attended, no-shows and seats "
            "still held, guests included. Drop-ins and courses are not in it."
        ),
    ),
    "reminder_effect": (
        _l("Reminder effect"),
        _l(
            "The show-up rate (attended ÷ attended or no-show) of bookings whose reminder text "
            "was delivered, beside that of bookings without a delivered reminder."
        ),
    ),
    "refills": (
        _l("Seats freed and refilled"),
        _l(
            "Seats (guests included) of bookings cancelled before the start of a held sign-up "
            "session, and how many of them the waiting list filled again before the start — per "
            "session at most as many as were freed."
        ),
    ),
    "funnel": (
        _l("Outreach funnel"),
        _l(
            "People a host or health communicator recorded as contacted in the period (each named "
            "person once, plus the counts of people not named); of the named ones, how many signed "
            "up after the contact (a booking made since, or they just came) and how many came to a "
            "session that had not ended when they were contacted. With an activity chosen, only "
            "contacts about that activity."
        ),
    ),
    "pulse": (
        _l("Wellbeing pulse"),
        _l(
            'How participants answered "How are you today?" with one of five faces after '
            "checking in, at the period's sessions of activities that ask it: how many chose "
            "each face and its share of all answers. An answer is never linked to a person, so "
            "it cannot be narrowed to a housing department, and one person may answer at "
            "several sessions."
        ),
    ),
    "profile": (
        _l("Who took part"),
        _l(
            "The unique participants, each counted once per table: by the housing department "
            "recorded on them, their language, their age band (from the birth year, the age "
            "reached in the year the period ends) and how they found the house."
        ),
    ),
}

"""Steps a person takes in the browser, and the checks run on each page (axe, reflow, targets)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from havehus.config import current_settings
from tests.browser.conftest import AXE_JS, LiveHouse

#: axe-core impacts that fail a page; "minor" and "moderate" are reported by axe but not here.
BLOCKING = ("serious", "critical")


def axe_violations(page: Any) -> list[str]:
    """Run axe-core (all its rules) on the page; one line per serious or critical violation."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            found.append(
                f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} "
                f"at {targets}"
            )
    return found


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


def small_targets(page: Any, minimum: int, scope: str = "main") -> list[str]:
    """Buttons, button-like links and form controls in `scope` smaller than minimum × minimum."""
    return page.evaluate(
        """([scope, minimum]) => {
          const selector = 'button, a.button, a.kiosk-button, a.kiosk-slot, a.slot, ' +
            'input:not([type=hidden]), select, textarea, .language-switch a, .kiosk-languages a';
          const root = document.querySelector(scope) || document.body;
          const small = [];
          for (const el of root.querySelectorAll(selector)) {
            const box = el.getBoundingClientRect();
            if (box.width === 0 && box.height === 0) continue;  // hidden
            const checkbox = el.matches('input[type=checkbox], input[type=radio]');
            // A checkbox or radio counts with its label, which is part of the target.
            const label = checkbox && el.labels && el.labels[0];
            const area = label ? label.getBoundingClientRect() : box;
            const height = Math.max(box.height, checkbox ? area.height : 0);
            const width = checkbox ? box.width + area.width : box.width;
            if (height < minimum - 0.5 || width < minimum - 0.5) {
              small.push(`${el.outerHTML.slice(0, 80)} ${Math.round(width)}x${Math.round(height)}`);
            }
          }
          return small;
        }""",
        [scope, minimum],
    )


def next_bookable(house: LiveHouse, slug: str = "sammen-om-maden") -> int:
    """The id of the next session of the activity with room for every test to book a seat."""
    from havehus.models import Activity, Session

    def find(orm: Any) -> int:
        soon = house.now + timedelta(hours=3)
        sessions = orm.scalars(
            select(Session)
            .join(Activity)
            .where(Activity.slug == slug, Session.status == "scheduled", Session.starts_at > soon)
            .order_by(Session.starts_at)
        ).all()
        free = [s.id for s in sessions if (s.seats_left or 0) >= 8]
        assert free, f"no bookable session of {slug}"
        return free[0]

    return house.read(find)


def session_on_now(house: LiveHouse) -> int:
    """The Nørklecafé that the live house put on right now (kiosk "I am here")."""
    from havehus.models import Session

    return house.read(
        lambda orm: orm.scalars(select(Session.id).where(Session.uid.like("browser-now-%"))).one()
    )


def dinner_on_now(house: LiveHouse) -> int:
    """The shared meal that the live house put on right now, four people booked (host mode)."""
    from havehus.models import Session

    return house.read(
        lambda orm: orm.scalars(
            select(Session.id).where(Session.uid.like("browser-dinner-%"))
        ).one()
    )


def fill_signup_form(page: Any, name: str, phone: str) -> None:
    page.locator("#name").fill(name)
    page.locator("#phone").fill(phone)
    page.locator("#sms_consent").check()


def enter_texted_code(page: Any, house: LiveHouse, phone_digits: str) -> None:
    page.wait_for_url(re.compile(r"/signup/code"))
    page.locator("#code").fill(house.latest_code(phone_digits))


def submit(page: Any, form: str = "main form") -> None:
    page.locator(form).locator("button[type=submit]").last.click()


def staff_sign_in(page: Any, house: LiveHouse, role: str) -> None:
    """Sign in through the real form, as a person would."""
    email, password = house.staff[role]
    page.goto("/staff/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    submit(page)
    page.wait_for_url(re.compile(r"/staff/(?!login)"))


def enrol_as_kiosk(context: Any, house: LiveHouse) -> None:
    """Give the context the enrolled tablet's device cookie."""
    from havehus.people.access import KIOSK_COOKIE

    context.add_cookies([{"name": KIOSK_COOKIE, "value": house.kiosk_token, "url": house.url}])


def check_in_address(house: LiveHouse, session_id: int) -> str:
    """The path a session's printed QR code opens (with the session's check-in code)."""
    from havehus.program.check_in_link import check_in_code

    with house.app.app_context():
        code = check_in_code(session_id, current_settings().secret_key)
        return f"/sessions/{session_id}/here/{code}"


def known_person(house: LiveHouse, name: str, phone: str) -> None:
    """Someone the house knows (a number of their own), written beside the server's requests."""
    from havehus.extensions import db
    from havehus.models import Participant

    with house.app.app_context():
        db.session.add(
            Participant(
                public_id=f"browser-{phone}",
                display_name=name,
                phone=phone,
                language="da",
                created_at=house.now,
            )
        )
        db.session.commit()
        db.session.remove()

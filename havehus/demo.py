"""The demo house: five named activities and more, people, and 12 weeks of history.

Idempotent: the first run creates everything (fixed random seed, so the history is the same
every time); later runs only extend the horizon. All people are fictitious.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from havehus.models import (
    Activity,
    Booking,
    BookingStatus,
    Closure,
    Consent,
    Department,
    DepartmentPopulation,
    Location,
    Mode,
    Participant,
    Room,
    Session,
    SessionStatus,
    Tally,
)
from havehus.people.services import create_staff_user
from havehus.program.services import bump_program_version, expand_horizon
from havehus.signup.services import HEALTH_WORDING, SMS_WORDING
from havehus.timeutil import week_monday

DEMO_MARKER_SLUG = "havehuset"
HISTORY_WEEKS = 12

#: (first name, preferred language): Danish, Arabic, Turkish, Somali and Urdu names.
NAMES: list[tuple[str, str]] = [
    ("Birthe", "da"),
    ("Jens", "da"),
    ("Lone", "da"),
    ("Henning", "da"),
    ("Kirsten", "da"),
    ("Poul", "da"),
    ("Inge", "da"),
    ("Bent", "da"),
    ("Hanne", "da"),
    ("Erik", "da"),
    ("Grethe", "da"),
    ("Ole", "da"),
    ("Susanne", "da"),
    ("Torben", "da"),
    ("Mette", "da"),
    ("Preben", "da"),
    ("Karin", "da"),
    ("Flemming", "da"),
    ("Jytte", "da"),
    ("Arne", "da"),
    ("Fatima", "ar"),
    ("Ahmad", "ar"),
    ("Mariam", "ar"),
    ("Khaled", "ar"),
    ("Leila", "ar"),
    ("Yousef", "ar"),
    ("Samira", "ar"),
    ("Omar", "ar"),
    ("Rania", "ar"),
    ("Hassan", "ar"),
    ("Ayşe", "tr"),
    ("Mehmet", "tr"),
    ("Fatma", "tr"),
    ("Mustafa", "tr"),
    ("Emine", "tr"),
    ("Hüseyin", "tr"),
    ("Zeynep", "tr"),
    ("İbrahim", "tr"),
    ("Hodan", "so"),
    ("Abdi", "so"),
    ("Faadumo", "so"),
    ("Mohamed", "so"),
    ("Ubah", "so"),
    ("Ayaan", "so"),
    ("Ismail", "so"),
    ("Sahra", "so"),
    ("Nasreen", "ur"),
    ("Imran", "ur"),
    ("Shazia", "ur"),
    ("Tariq", "ur"),
    ("Rubina", "ur"),
    ("Asif", "ur"),
    ("Bushra", "ur"),
    ("Anne", "en"),
    ("Kofi", "en"),
    ("Grace", "en"),
    ("Tomasz", "en"),
    ("Olena", "en"),
    ("Jørgen", "da"),
    ("Dorte", "da"),
]
CHANNEL_WEIGHTS = {
    "friend": 30,
    "drop-in": 25,
    "sundhedsformidler": 20,
    "housing-staff": 10,
    "social-henvisning": 8,
    "other": 7,
}


@dataclass
class DemoResult:
    created: bool
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
    sessions_created: int = 0


def _t(da: str, en: str) -> dict[str, str]:
    return {"da": da, "en": en}


#: The five named activities in the residents' other languages (first drafts, like the
#: catalogues: see docs/translations.md), so the demo reads right in every language.
_MORE_LANGUAGES: dict[str, dict[str, dict[str, str]]] = {
    "havefaellesskabet": {
        "title": {
            "ar": "مجتمع الحديقة",
            "tr": "Bahçe topluluğu",
            "so": "Bulshada beerta",
            "ur": "باغ کی برادری",
            "uk": "Спільнота саду",
        },
        "summary": {
            "ar": "نزرع وننظف ونحصد معًا في الحديقة المشتركة. تعال كما أنت.",
            "tr": "Ortak bahçede birlikte eker, ot temizler ve hasat ederiz. Olduğun gibi gel.",
            "so": (
                "Waxaan wada beernaa, nadiifinaa oo goosanaa "
                "beerta wadajirka ah. Kaalay sidaad tahay."
            ),
            "ur": (
                "ہم مل کر مشترکہ باغ میں بوتے، صفائی کرتے اور فصل اٹھاتے ہیں۔ جیسے ہیں ویسے آئیں۔"
            ),
            "uk": "Разом сіємо, полемо і збираємо врожай у спільному саду. Приходьте такими, як є.",
        },
    },
    "sammen-om-maden": {
        "title": {
            "ar": "نطبخ معًا",
            "tr": "Birlikte yemek",
            "so": "Cunto wadajir ah",
            "ur": "مل کر کھانا",
            "uk": "Готуємо разом",
        },
        "summary": {
            "ar": "نطبخ ونأكل معًا. حلال ونباتي. الأطفال مرحب بهم.",
            "tr": "Birlikte yemek yapar ve yeriz. Helal ve vejetaryen. Çocuklar da gelebilir.",
            "so": (
                "Waan wada karsannaa oo wada cunnaa. Xalaal iyo khudaar. Carruurtu waa soo dhaweyn."
            ),
            "ur": "ہم مل کر کھانا پکاتے اور کھاتے ہیں۔ حلال اور سبزی۔ بچے خوش آمدید ہیں۔",
            "uk": "Разом готуємо і їмо. Халяль і вегетаріанське. Діти — ласкаво просимо.",
        },
    },
    "norklecafe": {
        "title": {
            "ar": "مقهى الحياكة",
            "tr": "Örgü kafe",
            "so": "Maqaaxida tolmada",
            "ur": "بُنائی کیفے",
            "uk": "В'язальне кафе",
        },
        "summary": {
            "ar": "حياكة وكروشيه وفنجان قهوة. الخيوط والإبر موجودة.",
            "tr": "Örgü, tığ işi ve bir fincan kahve. İp ve şiş burada.",
            "so": "Tolid, gacan-tolid iyo koob kafee ah. Dun iyo irbado waa joogaan.",
            "ur": "بُنائی، کروشیا اور ایک کپ کافی۔ اون اور سلائیاں یہاں ہیں۔",
            "uk": "В'язання спицями, гачком і чашка кави. Пряжа і спиці є.",
        },
    },
    "gaa-faellesskab": {
        "title": {
            "ar": "مجموعة المشي",
            "tr": "Yürüyüş grubu",
            "so": "Kooxda socodka",
            "ur": "چہل قدمی کا گروپ",
            "uk": "Група прогулянок",
        },
        "summary": {
            "ar": "مشي لمدة ساعة بخطى هادئة. نلتقي أمام Havehuset، في كل الأجواء.",
            "tr": "Sakin tempoda bir saatlik yürüyüş. Havehuset'in önünde buluşuruz, her havada.",
            "so": (
                "Socod saacad ah oo tartiib ah. Waxaan ku "
                "kulannaa Havehuset hortiisa, cimilo kasta."
            ),
            "ur": "آرام سے ایک گھنٹے کی سیر۔ ہم Havehuset کے سامنے ملتے ہیں، ہر موسم میں۔",
            "uk": (
                "Година прогулянки спокійним кроком. Зустрічаємося "
                "перед Havehuset, у будь-яку погоду."
            ),
        },
    },
    "popup-vaccination": {
        "title": {
            "ar": "تطعيم متنقل",
            "tr": "Gezici aşı",
            "so": "Tallaal socda",
            "ur": "عارضی ویکسینیشن",
            "uk": "Виїзна вакцинація",
        },
        "summary": {
            "ar": "المنطقة تطعّم في Havehuset. احجز موعدًا لمدة 15 دقيقة. يمكن أن يأتي مترجم.",
            "tr": "Bölge Havehuset'te aşı yapıyor. 15 dakikalık bir saat alın. Tercüman gelebilir.",
            "so": (
                "Gobolku wuxuu ku tallaalayaa Havehuset. Ballan "
                "15 daqiiqo ah qabso. Turjubaan ayaa iman kara."
            ),
            "ur": "ریجن Havehuset میں ویکسین لگاتا ہے۔ 15 منٹ کا وقت لیں۔ مترجم ساتھ آ سکتا ہے۔",
            "uk": (
                "Регіон робить щеплення в Havehuset. Запишіться на 15 хвилин. Може бути перекладач."
            ),
        },
        "neutral_title": {
            "ar": "موعد في Havehuset",
            "tr": "Havehuset'te randevu",
            "so": "Ballan Havehuset",
            "ur": "Havehuset میں ملاقات",
            "uk": "Зустріч у Havehuset",
        },
    },
}


def _in_more_languages(spec: dict[str, Any]) -> dict[str, Any]:
    for field_name, texts in _MORE_LANGUAGES.get(spec["slug"], {}).items():
        spec[field_name] = {**spec[field_name], **texts}
    return spec


def _activities(
    locations: Mapping[str, Location], rooms: Mapping[str, Room]
) -> list[dict[str, Any]]:
    return [_in_more_languages(spec) for spec in _named_activities(locations, rooms)]


def _named_activities(
    locations: Mapping[str, Location], rooms: Mapping[str, Room]
) -> list[dict[str, Any]]:
    house, garden, park = locations["havehuset"], locations["faelleshaven"], locations["parken"]
    return [
        dict(
            slug="havefaellesskabet",
            title=_t("Havefællesskabet", "The garden community"),
            summary=_t(
                "Vi sår, luger og høster sammen i fælleshaven. Kom som du er.",
                "We sow, weed and harvest together in the shared garden. Come as you are.",
            ),
            category="garden",
            location=garden,
            mode=Mode.DROP_IN,
            rrule="FREQ=WEEKLY;BYDAY=TU",
            start=time(10, 0),
            minutes=120,
            step_free=True,
            spoken_languages=["da", "ar"],
        ),
        dict(
            slug="sammen-om-maden",
            title=_t("Sammen om maden", "Cooking together"),
            summary=_t(
                "Vi laver mad og spiser sammen. Halal og vegetarisk. Børn er velkomne.",
                "We cook and eat together. Halal and vegetarian. Children are welcome.",
            ),
            category="food",
            location=house,
            room=rooms["Køkkenet"],
            mode=Mode.SIGNUP,
            capacity=20,
            waitlist_enabled=True,
            rrule="FREQ=WEEKLY;BYDAY=TH",
            start=time(17, 0),
            minutes=150,
            food_served=True,
            childcare=True,
            price_text=_t("20 kr., betales på dagen", "20 kr, paid on the day"),
            spoken_languages=["da", "ar", "tr"],
        ),
        dict(
            slug="norklecafe",
            title=_t("Nørklecafé", "Knitting café"),
            summary=_t(
                "Strik, hækling og en kop kaffe. Garn og pinde er der.",
                "Knitting, crochet and a cup of coffee. Yarn and needles are here.",
            ),
            category="crafts",
            location=house,
            room=rooms["Stuen"],
            mode=Mode.DROP_IN,
            rrule="FREQ=WEEKLY;BYDAY=WE",
            start=time(13, 0),
            minutes=120,
            food_served=True,
            spoken_languages=["da", "tr", "so"],
        ),
        dict(
            slug="gaa-faellesskab",
            title=_t("Gå-fællesskab", "Walking group"),
            summary=_t(
                "En times tur i roligt tempo. Vi mødes foran Havehuset. Vi går i al slags vejr.",
                "An hour's walk at an easy pace. We meet in front of Havehuset, in any weather.",
            ),
            category="walking",
            location=park,
            mode=Mode.DROP_IN,
            rrule="FREQ=WEEKLY;BYDAY=MO,FR",
            start=time(10, 0),
            minutes=60,
            step_free=False,
            spoken_languages=["da", "ar", "so"],
        ),
        dict(
            slug="popup-vaccination",
            title=_t("Pop-up vaccination", "Pop-up vaccination"),
            summary=_t(
                "Regionen vaccinerer i Havehuset. Book en tid på 15 minutter. Tolk kan være med.",
                "The region vaccinates in Havehuset. Book 15 minutes. An interpreter can come.",
            ),
            neutral_title=_t("Aftale i Havehuset", "Appointment at Havehuset"),
            category="health",
            activity_type="popup",
            location=house,
            room=rooms["Mødelokalet"],
            mode=Mode.SIGNUP,
            capacity=2,
            waitlist_enabled=False,
            # Eight time slots of 15 minutes, each a session of the same activity.
            rrule="FREQ=WEEKLY;BYDAY=WE;BYHOUR=14,15;BYMINUTE=0,15,30,45",
            start=time(14, 0),
            minutes=15,
            sensitive=True,
            interpreter_languages=["ar", "so", "ur"],
        ),
        dict(
            slug="laeseklubben",
            title=_t("Læseklubben på flere sprog", "Multilingual reading group"),
            summary=_t(
                "Vi læser højt og snakker om bøger – på dansk og på vores egne sprog.",
                "We read aloud and talk about books – in Danish and in our own languages.",
            ),
            category="reading",
            location=house,
            room=rooms["Stuen"],
            mode=Mode.DROP_IN,
            rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
            start=time(16, 0),
            minutes=90,
            spoken_languages=["da", "ar", "ur", "uk"],
        ),
        dict(
            slug="sangaften",
            title=_t("Sangaften", "Song evening"),
            summary=_t(
                "Vi synger sange fra hele verden. Ingen kan for lidt.",
                "We sing songs from all over the world. Nobody is too shy.",
            ),
            category="music",
            location=house,
            room=rooms["Stuen"],
            mode=Mode.DROP_IN,
            rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
            start=time(18, 0),
            minutes=120,
            food_served=True,
        ),
        dict(
            slug="havehusmoede",
            title=_t("Havehusmøde", "Havehus meeting"),
            summary=_t(
                "Frivillige og personale planlægger de næste uger.",
                "Volunteers and staff plan the coming weeks.",
            ),
            category="meeting",
            activity_type="staff_meeting",
            location=house,
            room=rooms["Mødelokalet"],
            mode=Mode.DROP_IN,
            visibility="staff",
            rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            start=time(14, 0),
            minutes=90,
        ),
    ]


def _create_places(orm: OrmSession) -> tuple[dict[str, Location], dict[str, Room]]:
    locations = {
        "havehuset": Location(
            slug="havehuset",
            name="Havehuset",
            address="Æblehaven 12, 4000 Roskilde",
            latitude=55.6367,
            longitude=12.0631,
        ),
        "faelleshaven": Location(
            slug="faelleshaven",
            name="Fælleshaven",
            address="Rønnebærparken 3, 4000 Roskilde",
            latitude=55.6372,
            longitude=12.0652,
        ),
        "parken": Location(
            slug="parken",
            name="Foran Havehuset",
            address="Æblehaven 12, 4000 Roskilde",
            latitude=55.6366,
            longitude=12.0629,
        ),
    }
    orm.add_all(locations.values())
    rooms = {
        name: Room(location=locations["havehuset"], name=name)
        for name in ("Køkkenet", "Stuen", "Mødelokalet", "Værkstedet")
    }
    orm.add_all(rooms.values())
    return locations, rooms


def _create_departments(orm: OrmSession, year: int) -> list[Department]:
    # (slug, name, residents, adults); Kildegården gets fewer than 5 participants on purpose,
    # so reports show small-count suppression.
    data = [
        ("aeblehaven", "Æblehaven", 820, 610),
        ("roennebaerparken", "Rønnebærparken", 640, 470),
        ("skovbrynet", "Skovbrynet", 310, 230),
        ("kildegaarden", "Kildegården", 120, 90),
    ]
    departments = []
    for slug, name, residents, adults in data:
        department = Department(slug=slug, name=name)
        for offset, factor in ((1, 0.98), (0, 1.0)):
            department.populations.append(
                DepartmentPopulation(
                    year=year - offset,
                    residents=round(residents * factor),
                    adults=round(adults * factor),
                )
            )
        departments.append(department)
    orm.add_all(departments)
    return departments


def _create_participants(
    orm: OrmSession, rng: random.Random, departments: list[Department], now: datetime
) -> list[Participant]:
    channels = list(CHANNEL_WEIGHTS)
    weights = list(CHANNEL_WEIGHTS.values())
    people = []
    for index, (name, language) in enumerate(NAMES):
        if index in (5, 33, 47):  # three from the small department
            department: Department | None = departments[3]
        elif index % 17 == 16:
            department = None  # lives outside the area
        else:
            department = departments[index % 3]
        has_phone = index % 9 != 8
        participant = Participant(
            public_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            display_name=name,
            phone=f"+452099{index + 1:04d}" if has_phone else None,
            language=language,
            department=department,
            outside_area=department is None,
            birth_year=rng.randint(1940, 1993) if index % 7 else None,
            channel=rng.choices(channels, weights)[0],
            created_at=now - timedelta(weeks=HISTORY_WEEKS + 1),
        )
        if has_phone:
            participant.consents.append(
                Consent(kind="sms", wording_version=SMS_WORDING, given_at=participant.created_at)
            )
        people.append(participant)
    orm.add_all(people)
    return people


def _book(
    session: Session,
    participant: Participant,
    status: str,
    source: str,
    at: datetime,
    created_by_id: int | None,
) -> Booking:
    booking = Booking(
        participant=participant,
        session=session,
        status=status,
        source=source,
        created_by_id=created_by_id if source == "staff" else None,
        created_at=at,
        updated_at=at,
        waitlisted_at=at if status == BookingStatus.WAITLISTED else None,
        attended_at=session.starts_at if status == BookingStatus.ATTENDED else None,
        cancelled_at=at if status == BookingStatus.CANCELLED else None,
    )
    if status in (
        BookingStatus.CONFIRMED,
        BookingStatus.OFFERED,
        BookingStatus.ATTENDED,
        BookingStatus.NO_SHOW,
    ):
        session.seats_taken += 1
    return booking


def _history(
    orm: OrmSession,
    rng: random.Random,
    people: list[Participant],
    host_id: int,
    manager_id: int,
    now: datetime,
    tz: ZoneInfo,
) -> None:
    """Bookings, attendance, no-shows and head counts for the past weeks, and a few ahead."""
    regulars = people[:40]  # most visits come from a core of regulars, as in real houses
    sessions = orm.scalars(select(Session).join(Session.activity).order_by(Session.starts_at)).all()
    next_week_end = now + timedelta(days=14)
    for session in sessions:
        activity = session.activity
        if activity.visibility == "staff" or session.status == SessionStatus.CANCELLED:
            continue
        past = session.ends_at < now
        if not past and session.starts_at > next_week_end:
            continue
        booked_at = session.starts_at - timedelta(days=rng.randint(1, 6))
        if activity.mode == Mode.SIGNUP and not activity.sensitive:
            capacity = activity.capacity or 0
            full = not past and session.starts_at > now + timedelta(days=6)
            wanted = capacity + 3 if full else rng.randint(capacity - 6, capacity)
            chosen = rng.sample(regulars if rng.random() < 0.8 else people, k=min(wanted, 40))
            for position, person in enumerate(chosen):
                if position >= capacity:
                    status = BookingStatus.WAITLISTED
                elif past:
                    status = (
                        BookingStatus.ATTENDED if rng.random() < 0.86 else BookingStatus.NO_SHOW
                    )
                else:
                    status = BookingStatus.CONFIRMED
                source = rng.choice(["staff", "staff", "web", "kiosk"])
                at = booked_at + timedelta(minutes=position * 7)
                orm.add(_book(session, person, status, source, at, manager_id))
        elif activity.sensitive:
            for person in rng.sample(people, k=rng.randint(0, 2)):
                status = (
                    BookingStatus.ATTENDED
                    if past and rng.random() < 0.9
                    else BookingStatus.CONFIRMED
                )
                if past and status != BookingStatus.ATTENDED:
                    status = BookingStatus.NO_SHOW
                person.consents.append(
                    Consent(
                        kind="health",
                        wording_version=HEALTH_WORDING,
                        given_at=booked_at,
                        recorded_by_id=manager_id,
                    )
                )
                orm.add(_book(session, person, status, "staff", booked_at, manager_id))
        elif past:
            # Drop-in: a few named check-ins plus anonymous head counts by the host.
            for person in rng.sample(regulars, k=rng.randint(2, 6)):
                orm.add(
                    _book(session, person, BookingStatus.ATTENDED, "kiosk", session.starts_at, None)
                )
            counts = {
                "adults": rng.randint(3, 14),
                "children": rng.randint(0, 4) if activity.category != "walking" else 0,
                "first_timers": rng.randint(0, 2),
            }
            for kind, count in counts.items():
                orm.add(
                    Tally(
                        session=session,
                        kind=kind,
                        count=count,
                        recorded_by_id=host_id,
                        updated_at=session.ends_at,
                    )
                )
    orm.flush()
    for person in people:
        last = orm.scalar(
            select(Session.starts_at)
            .join(Booking, Booking.session_id == Session.id)
            .where(Booking.participant_id == person.id, Booking.status == BookingStatus.ATTENDED)
            .order_by(Session.starts_at.desc())
            .limit(1)
        )
        person.last_seen_at = last


def seed_demo(
    orm: OrmSession, now: datetime, tz: ZoneInfo, config: Mapping[str, Any]
) -> DemoResult:
    """Create the demo house once; afterwards only extend the horizon."""
    weeks = int(config["HAVEHUS_HORIZON_WEEKS"])
    if orm.scalar(select(Location.id).where(Location.slug == DEMO_MARKER_SLUG)):
        return DemoResult(created=False, sessions_created=expand_horizon(orm, weeks, now, tz))

    rng = random.Random(2026)
    today = now.astimezone(tz).date()
    first_monday: date = week_monday(today) - timedelta(weeks=HISTORY_WEEKS)

    locations, rooms = _create_places(orm)
    departments = _create_departments(orm, today.year)
    # The house closes between Christmas and New Year, as Danish community houses do.
    horizon_end = today + timedelta(weeks=weeks)
    for year in sorted({first_monday.year, horizon_end.year}):
        orm.add(
            Closure(
                starts_on=date(year, 12, 24),
                ends_on=date(year + 1, 1, 1),
                reason={"da": "Juleferie", "en": "Christmas holidays"},
                created_at=now,
            )
        )
    result = DemoResult(created=True)
    staff = []
    for email, role, name in (
        ("manager@havehus.example", "manager", "Mette"),
        ("host@havehus.example", "host", "Yusuf"),
    ):
        password = secrets.token_urlsafe(12)
        staff.append(create_staff_user(orm, email, role, password, now, name=name))
        result.credentials.append((email, role, password))
    manager, host = staff

    for spec in _activities(locations, rooms):
        activity = Activity(
            slug=spec["slug"],
            title=spec["title"],
            summary=spec["summary"],
            neutral_title=spec.get("neutral_title", {}),
            category=spec["category"],
            activity_type=spec.get("activity_type", "network"),
            location=spec["location"],
            room=spec.get("room"),
            price_text=spec.get("price_text", {}),
            mode=spec["mode"],
            capacity=spec.get("capacity"),
            waitlist_enabled=spec.get("waitlist_enabled", True),
            visibility=spec.get("visibility", "public"),
            sensitive=spec.get("sensitive", False),
            food_served=spec.get("food_served", False),
            childcare=spec.get("childcare", False),
            step_free=spec.get("step_free", True),
            spoken_languages=spec.get("spoken_languages", []),
            interpreter_languages=spec.get("interpreter_languages", []),
            rrule=spec["rrule"],
            starts_on=first_monday,
            start_time=spec["start"],
            duration_minutes=spec["minutes"],
            created_at=now,
            updated_at=now,
        )
        if spec["category"] in ("garden", "walking"):
            activity.hosts.append(host)
        orm.add(activity)
    orm.flush()

    result.sessions_created = expand_horizon(orm, weeks, now, tz)
    people = _create_participants(orm, rng, departments, now)
    orm.flush()
    _history(orm, rng, people, host.id, manager.id, now, tz)
    bump_program_version(orm, now)
    return result

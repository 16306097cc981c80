"""The demo's activities: the five named ones the house runs, and the rest of a real week.

Each is a plain spec (a dict of an activity's fields) so the list reads like the program;
the five named ones have titles and short texts in every resident language (first drafts).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from havehus.models import Location, Mode, Room


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


def activity_specs(
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
            wellbeing_pulse=True,
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
            wellbeing_pulse=True,
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

// Reads an iCalendar file with ical.js (Mozilla's parser, as used by Thunderbird) and prints,
// as JSON, each event's UID with its start and end as UTC instants.
//
// Times are converted through the file's own VTIMEZONE components (ical.js has no time zone
// database of its own); a time whose zone is not one of the file's stops the script, so a
// result can never come from anywhere else. Used by tests/feeds (see readers.py there).
//
//   node read-ics.mjs FEED.ics   →   [{"uid": "…", "start": "2026-10-25T09:00:00Z", "end": …}]

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [file] = process.argv.slice(2);
if (!file) {
  console.error("usage: node read-ics.mjs FILE.ics");
  process.exit(2);
}

const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));

// Nothing but the file's zones: forget any registered zone, then register each VTIMEZONE.
ICAL.TimezoneService.reset();
const zones = new Map();
for (const component of calendar.getAllSubcomponents("vtimezone")) {
  const zone = new ICAL.Timezone(component);
  ICAL.TimezoneService.register(zone);
  zones.set(zone.tzid, component);
}

function instant(event, name) {
  const property = event.getFirstProperty(name);
  const time = property.getFirstValue();
  const tzid = property.getParameter("tzid");
  if (tzid) {
    const component = zones.get(tzid);
    if (!component || !time.zone || time.zone.component?.toString() !== component.toString()) {
      throw new Error(`${name} ${time}: TZID ${tzid} was not resolved to the file's VTIMEZONE`);
    }
  } else if (time.zone !== ICAL.Timezone.utcTimezone) {
    throw new Error(`${name} ${time}: neither UTC nor in a VTIMEZONE of the file`);
  }
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

const events = calendar.getAllSubcomponents("vevent").map((event) => ({
  uid: event.getFirstPropertyValue("uid"),
  start: instant(event, "dtstart"),
  end: instant(event, "dtend"),
}));
process.stdout.write(JSON.stringify(events));

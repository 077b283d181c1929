#!/usr/bin/env node
// Dump the VEVENTs of an iCalendar stream as Mozilla's ical.js reads them.
//
// Usage:
//   node tests/interop/icaljs_dump.mjs < feed.ics
//       one entry per VEVENT component (masters and RECURRENCE-ID overrides)
//   node tests/interop/icaljs_dump.mjs --expand 2017-10-01 2017-12-01 < feed.ics
//       every occurrence overlapping [FROM, TO) (dates taken as 00:00 UTC),
//       recurring events expanded with ICAL.Event#iterator, which honours
//       RRULE, RDATE and EXDATE; RECURRENCE-ID overrides replace the occurrence
//       they name (ICAL.Event#getOccurrenceDetails).
//
// Output (stdout): {"parser": "ical.js", "version": ..., "entries": [...]}
// where each entry is
//   {"uid", "recurrence_id", "summary", "status", "start", "end"}
// and every instant is one of
//   {"date": "YYYY-MM-DD"}             all-day value
//   {"utc": "YYYY-MM-DDTHH:MM:SSZ"}    timed value converted to UTC through
//                                      the zone ical.js resolved for its TZID
//   {"floating": "YYYY-MM-DDTHH:MM:SS"} timed value with no zone: no TZID, or
//                                      a TZID ical.js could not resolve
//   {"none": true}                     (end only) ical.js gave no end
// recurrence_id is the same kind of object, or null.
//
// Errors go to stderr with exit status 2 (usage) or 1 (parse failure).
//
// Which zone ical.js uses for a TZID: since 2.x, a DATE-TIME's zone is looked
// up first in the VTIMEZONEs of the enclosing VCALENDAR
// (Component#getTimeZoneByID), then in ICAL.TimezoneService. We register every
// VTIMEZONE of the input with the TimezoneService as well, before any value is
// decoded, so both paths resolve to the definition in the file. ical.js ships
// no zone database of its own: a TZID without a VTIMEZONE stays floating.

import { readFileSync } from "node:fs";

import ICAL from "ical.js";

const ICALJS_VERSION = (() => {
  try {
    // dist/ical.js -> ../package.json ("exports" hides package.json from require).
    const packageJson = new URL("../package.json", import.meta.resolve("ical.js"));
    return JSON.parse(readFileSync(packageJson, "utf8")).version;
  } catch {
    return "unknown";
  }
})();

// Safety valve for open-ended series with a huge window.
const MAX_OCCURRENCES_PER_SERIES = 100000;

function usage(message) {
  process.stderr.write(
    `icaljs_dump: ${message}\n` +
      "usage: node icaljs_dump.mjs [--expand FROM TO] < feed.ics   (FROM/TO: YYYY-MM-DD)\n",
  );
  process.exit(2);
}

function parseArgs(argv) {
  if (argv.length === 0) {
    return { expand: null };
  }
  if (argv[0] === "--expand" && argv.length === 3) {
    const dateRe = /^\d{4}-\d{2}-\d{2}$/;
    const [from, to] = [argv[1], argv[2]];
    if (!dateRe.test(from) || !dateRe.test(to)) {
      usage("FROM and TO must be dates written YYYY-MM-DD");
    }
    if (from > to) {
      usage("FROM must not be after TO");
    }
    return { expand: { from, to } };
  }
  usage(`unexpected arguments: ${argv.join(" ")}`);
  return null; // not reached
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

function isFloating(time) {
  return !time.zone || time.zone === ICAL.Timezone.localTimezone || time.zone.tzid === "floating";
}

/** Convert an ICAL.Time to the JSON instant form described above. */
function instant(time) {
  if (time === null || time === undefined) {
    return { none: true };
  }
  if (time.isDate) {
    return { date: `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}` };
  }
  if (isFloating(time)) {
    return {
      floating:
        `${pad(time.year, 4)}-${pad(time.month)}-${pad(time.day)}` +
        `T${pad(time.hour)}:${pad(time.minute)}:${pad(time.second)}`,
    };
  }
  // toUnixTime() applies the zone's UTC offset for that wall-clock time.
  const d = new Date(time.toUnixTime() * 1000);
  return {
    utc:
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
      `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`,
  };
}

/** Seconds since the epoch used to place a value against the window. */
function windowKey(time) {
  if (time.isDate) {
    return Date.UTC(time.year, time.month - 1, time.day) / 1000;
  }
  // Floating times count as UTC, like recurring-ical-events does with a UTC window.
  return time.toUnixTime();
}

function dateKey(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / 1000;
}

/**
 * Whether [start, end) overlaps [from, to): the rule recurring-ical-events
 * applies (zero-length items count when from <= start < to).
 */
function overlaps(start, end, fromKey, toKey) {
  const s = windowKey(start);
  const e = end ? windowKey(end) : s;
  if (s === e) {
    return fromKey <= s && s < toKey;
  }
  return s < toKey && fromKey < e;
}

function text(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null || value === undefined ? null : String(value);
}

function collectCalendars(jcal) {
  // ICAL.parse returns one jCal array for one VCALENDAR, or an array of them.
  const roots = typeof jcal[0] === "string" ? [jcal] : jcal;
  return roots.map((root) => new ICAL.Component(root));
}

function registerTimezones(calendars) {
  for (const calendar of calendars) {
    for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
      ICAL.TimezoneService.register(vtimezone);
    }
  }
}

/** The end as ical.js gives it: DTEND, else DTSTART + DURATION, else its default. */
function endOf(event) {
  // ICAL.Event#endDate falls back to DTSTART (+1 day for a DATE) when there is
  // neither DTEND nor DURATION (RFC 5545 3.6.1); we report that as ical.js does.
  return event.endDate;
}

function entryFor(event, recurrenceId, start, end) {
  return {
    uid: event.uid,
    recurrence_id: recurrenceId ? instant(recurrenceId) : null,
    summary: event.summary ?? "",
    status: text(event.component, "status"),
    start: instant(start),
    end: instant(end),
  };
}

function dumpComponents(calendars) {
  const entries = [];
  for (const calendar of calendars) {
    for (const vevent of calendar.getAllSubcomponents("vevent")) {
      const event = new ICAL.Event(vevent, { exceptions: [] });
      entries.push(entryFor(event, event.recurrenceId, event.startDate, endOf(event)));
    }
  }
  return entries;
}

function expand(calendars, from, to) {
  const fromKey = dateKey(from);
  const toKey = dateKey(to);
  const entries = [];
  for (const calendar of calendars) {
    const vevents = calendar.getAllSubcomponents("vevent");
    const overridesByUid = new Map();
    for (const vevent of vevents) {
      if (vevent.hasProperty("recurrence-id")) {
        const uid = vevent.getFirstPropertyValue("uid");
        if (!overridesByUid.has(uid)) overridesByUid.set(uid, []);
        overridesByUid.get(uid).push(vevent);
      }
    }
    const mastersByUid = new Map();
    for (const vevent of vevents) {
      if (!vevent.hasProperty("recurrence-id")) {
        mastersByUid.set(vevent.getFirstPropertyValue("uid"), vevent);
      }
    }

    for (const vevent of vevents) {
      const uid = vevent.getFirstPropertyValue("uid");
      if (vevent.hasProperty("recurrence-id")) {
        // An override without its series in this file stands on its own.
        if (!mastersByUid.has(uid) || !new ICAL.Event(mastersByUid.get(uid)).isRecurring()) {
          const lone = new ICAL.Event(vevent, { exceptions: [] });
          if (overlaps(lone.startDate, lone.endDate, fromKey, toKey)) {
            entries.push(entryFor(lone, lone.recurrenceId, lone.startDate, lone.endDate));
          }
        }
        continue;
      }

      const overrides = overridesByUid.get(uid) ?? [];
      const event = new ICAL.Event(vevent, { strictExceptions: true, exceptions: overrides });
      if (!event.isRecurring()) {
        if (overlaps(event.startDate, event.endDate, fromKey, toKey)) {
          entries.push(entryFor(event, null, event.startDate, endOf(event)));
        }
        continue;
      }

      // Iterate recurrence ids in order; keep going past TO until every
      // override's RECURRENCE-ID has been passed, since an override may move
      // an occurrence from after the window into it.
      let lastKey = toKey;
      for (const override of overrides) {
        const rid = override.getFirstPropertyValue("recurrence-id");
        lastKey = Math.max(lastKey, windowKey(rid));
      }
      const iterator = event.iterator();
      let count = 0;
      for (let next = iterator.next(); next; next = iterator.next()) {
        if (windowKey(next) >= lastKey) break;
        if (++count > MAX_OCCURRENCES_PER_SERIES) {
          throw new Error(`series ${uid}: more than ${MAX_OCCURRENCES_PER_SERIES} occurrences`);
        }
        const details = event.getOccurrenceDetails(next);
        if (!overlaps(details.startDate, details.endDate, fromKey, toKey)) continue;
        const source = details.item ?? event;
        entries.push(entryFor(source, details.recurrenceId, details.startDate, details.endDate));
      }
    }
  }
  return entries;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const input = readFileSync(0, "utf8");
  let calendars;
  try {
    calendars = collectCalendars(ICAL.parse(input));
  } catch (error) {
    process.stderr.write(`icaljs_dump: ical.js could not parse the input: ${error.message}\n`);
    process.exit(1);
  }
  ICAL.TimezoneService.reset();
  registerTimezones(calendars);
  const entries = args.expand
    ? expand(calendars, args.expand.from, args.expand.to)
    : dumpComponents(calendars);
  process.stdout.write(
    JSON.stringify({ parser: "ical.js", version: ICALJS_VERSION, entries }, null, 1) + "\n",
  );
}

try {
  main();
} catch (error) {
  process.stderr.write(`icaljs_dump: ${error.stack ?? error}\n`);
  process.exit(1);
}

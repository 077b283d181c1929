"""The multi-parser harness of compact_calendar.testing.interop, proved on small feeds.

Every feed in tests/data/interop/ is hand-written (the broken one is what
icalendar's ``add_missing_timezones()`` writes) with known UTC instants. The
"agree" tests pin the instants all five parsers must report; the "disagree"
tests record where the parsers part ways, so the feed generator avoids those
constructs, and prove that assert_parsers_agree() reports it readably.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from compact_calendar.testing import (
    ICALJS_ENV_VAR,
    NO_END,
    Instant,
    InteropToolMissingError,
    ParsedEntry,
    assert_expansions_agree,
    assert_parsers_agree,
    expand_with_all,
    interop,
    parse_with_all,
    parse_with_icaljs,
    parse_with_ics_py,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "interop"
REPO_ROOT = Path(__file__).resolve().parents[2]

ALL_FIVE = {"icalendar", "vobject", "ics-py", "ical.js", "recurring-ical-events"}


def feed(name: str) -> bytes:
    return (DATA / name).read_bytes()


def utc(value: str) -> Instant:
    return Instant("utc", value)


def day(value: str) -> Instant:
    return Instant("date", value)


def spans(entries: list[ParsedEntry]) -> dict[tuple[str, str | None], tuple[Instant, Instant]]:
    return {(e.uid, e.recurrence_id): (e.start, e.end) for e in entries}


def by_uid(entries: list[ParsedEntry]) -> dict[str, ParsedEntry]:
    return {e.uid: e for e in entries}


# ---------------------------------------------------------------------------
# Feeds on which all five parsers agree


def test_all_day_event_over_two_days_with_exclusive_dtend() -> None:
    results = parse_with_all(feed("allday.ics"))
    assert set(results) == ALL_FIVE
    entries = assert_parsers_agree(feed("allday.ics"))
    assert len(entries) == 1
    (entry,) = entries
    assert entry.uid == "gcm-tc5-vienna@mfa-global-compact"
    assert entry.recurrence_id is None
    assert entry.summary == "Fifth thematic consultation (two days)"
    assert entry.status == "CONFIRMED"
    # DTEND;VALUE=DATE is exclusive: Sept 4 and 5, ending at the start of the 6th.
    assert (entry.start, entry.end) == (day("2017-09-04"), day("2017-09-06"))
    # ics-py, which stores a DATE as midnight UTC, is still reported as all-day.
    assert [e.start.kind for e in results["ics-py"]] == ["date"]


def test_new_york_event_across_the_november_dst_change() -> None:
    entries = assert_parsers_agree(feed("new_york_dst.ics"))
    assert spans(entries) == {
        ("ny-before@mfa-global-compact", None): (
            utc("2017-11-03T14:00:00Z"),  # 10:00 EDT (-04:00)
            utc("2017-11-03T15:30:00Z"),
        ),
        ("ny-overnight@mfa-global-compact", None): (
            utc("2017-11-05T03:00:00Z"),  # Sat 23:00 EDT
            utc("2017-11-05T08:00:00Z"),  # Sun 03:00 EST: 5 hours, not 4
        ),
        ("ny-after@mfa-global-compact", None): (
            utc("2017-11-06T15:00:00Z"),  # 10:00 EST (-05:00)
            utc("2017-11-06T16:30:00Z"),
        ),
    }
    assert by_uid(entries)["ny-overnight@mfa-global-compact"].status == "TENTATIVE"


def test_kathmandu_quarter_hour_offset() -> None:
    entries = assert_parsers_agree(feed("kathmandu.ics"))
    assert spans(entries) == {
        ("ktm-consultation@mfa-global-compact", None): (
            utc("2017-06-29T03:15:00Z"),  # 09:00 +05:45
            utc("2017-06-29T12:15:00Z"),
        )
    }
    assert entries[0].summary == "Regional consultation, Kathmandu"


def test_lord_howe_half_hour_dst() -> None:
    entries = assert_parsers_agree(feed("lord_howe.ics"))
    assert spans(entries) == {
        ("lhi-summer@mfa-global-compact", None): (
            utc("2018-01-14T23:00:00Z"),  # 10:00 +11:00
            utc("2018-01-15T00:00:00Z"),
        ),
        ("lhi-winter@mfa-global-compact", None): (
            utc("2018-07-14T23:30:00Z"),  # 10:00 +10:30
            utc("2018-07-15T00:30:00Z"),
        ),
        ("lhi-spring-forward@mfa-global-compact", None): (
            utc("2018-10-06T14:30:00Z"),  # 01:00 +10:30
            utc("2018-10-06T16:00:00Z"),  # 03:00 +11:00: 1.5 hours, not 2
        ),
    }


def test_fixed_offset_utc_minus_12() -> None:
    entries = assert_parsers_agree(feed("fixed_offset_utc_minus_12.ics"))
    assert spans(entries) == {
        ("registration-deadline@mfa-global-compact", None): (
            utc("2017-08-19T11:59:00Z"),  # 23:59 -12:00, a point in time
            utc("2017-08-19T11:59:00Z"),
        ),
        ("last-hour@mfa-global-compact", None): (
            utc("2017-08-19T11:00:00Z"),
            utc("2017-08-19T12:00:00Z"),
        ),
    }


def test_utc_event() -> None:
    entries = assert_parsers_agree(feed("utc.ics"))
    assert spans(entries) == {
        ("utc-call@mfa-global-compact", None): (
            utc("2017-09-04T08:00:00Z"),
            utc("2017-09-04T09:30:00Z"),
        )
    }
    assert entries[0].status == "CANCELLED"


def test_weekly_series_components() -> None:
    """The four component parsers see the master and its override."""
    results = parse_with_all(feed("weekly_series.ics"))
    # A feed with recurrences leaves recurring-ical-events to the expansion check.
    assert set(results) == ALL_FIVE - {"recurring-ical-events"}
    entries = assert_parsers_agree(feed("weekly_series.ics"))
    uid = "coordination-call@mfa-global-compact"
    assert spans(entries) == {
        (uid, None): (utc("2017-10-05T12:00:00Z"), utc("2017-10-05T13:00:00Z")),
        (uid, "2017-10-12T12:00:00Z"): (utc("2017-10-13T14:00:00Z"), utc("2017-10-13T15:00:00Z")),
    }


def test_weekly_series_expansion_with_exdate_rdate_and_override() -> None:
    ics = feed("weekly_series.ics")
    results = expand_with_all(ics, date(2017, 10, 1), date(2017, 12, 1))
    assert set(results) == {"recurring-ical-events", "ical.js"}
    occurrences = assert_expansions_agree(ics, date(2017, 10, 1), date(2017, 12, 1))
    uid = "coordination-call@mfa-global-compact"
    assert spans(occurrences) == {
        # Thursdays 14:00 Vienna: CEST (+02:00) until Oct 29, then CET (+01:00).
        (uid, "2017-10-05T12:00:00Z"): (utc("2017-10-05T12:00:00Z"), utc("2017-10-05T13:00:00Z")),
        # RECURRENCE-ID Oct 12 moved to Friday Oct 13, 16:00.
        (uid, "2017-10-12T12:00:00Z"): (utc("2017-10-13T14:00:00Z"), utc("2017-10-13T15:00:00Z")),
        # Oct 19 is an EXDATE; RDATE adds Saturday Oct 21, 10:00.
        (uid, "2017-10-21T08:00:00Z"): (utc("2017-10-21T08:00:00Z"), utc("2017-10-21T09:00:00Z")),
        (uid, "2017-10-26T12:00:00Z"): (utc("2017-10-26T12:00:00Z"), utc("2017-10-26T13:00:00Z")),
        (uid, "2017-11-02T13:00:00Z"): (utc("2017-11-02T13:00:00Z"), utc("2017-11-02T14:00:00Z")),
    }
    assert len(occurrences) == 5
    moved = [o for o in occurrences if o.recurrence_id == "2017-10-12T12:00:00Z"]
    assert [o.summary for o in moved] == ["Weekly coordination call (moved to Friday)"]


@pytest.mark.parametrize(
    ("start", "end", "expected_starts"),
    [
        # Only the override: its original Thursday slot is empty.
        (date(2017, 10, 12), date(2017, 10, 13), []),
        (date(2017, 10, 13), date(2017, 10, 14), ["2017-10-13T14:00:00Z"]),
        # The EXDATE leaves Oct 19 empty.
        (date(2017, 10, 19), date(2017, 10, 20), []),
        (date(2017, 10, 21), date(2017, 10, 22), ["2017-10-21T08:00:00Z"]),
        # COUNT=5 ends the series on Nov 2.
        (date(2017, 11, 3), date(2018, 1, 1), []),
    ],
)
def test_weekly_series_expansion_windows(
    start: date, end: date, expected_starts: list[str]
) -> None:
    occurrences = assert_expansions_agree(feed("weekly_series.ics"), start, end)
    assert [o.start.value for o in occurrences] == expected_starts


@pytest.mark.parametrize(
    "name",
    [
        "allday.ics",
        "new_york_dst.ics",
        "kathmandu.ics",
        "lord_howe.ics",
        "fixed_offset_utc_minus_12.ics",
        "utc.ics",
    ],
)
def test_expansion_of_plain_events_lists_them_once(name: str) -> None:
    ics = feed(name)
    components = assert_parsers_agree(ics)
    occurrences = assert_expansions_agree(ics, date(2000, 1, 1), date(2030, 1, 1))
    assert [o.key for o in occurrences] == [c.key for c in components]


# ---------------------------------------------------------------------------
# Feeds on which the parsers part ways


VIENNA_SUMMER = (utc("2017-07-03T08:00:00Z"), utc("2017-07-03T10:00:00Z"))  # 10:00 CEST
VIENNA_SUMMER_AS_CET = (utc("2017-07-03T09:00:00Z"), utc("2017-07-03T11:00:00Z"))


def test_vtimezone_with_multi_value_rdate_splits_the_parsers() -> None:
    """icalendar's add_missing_timezones() writes every onset in one RDATE line.

    That is valid RFC 5545 (rdate = "RDATE" rdtparam ":" rdtval *("," rdtval)),
    but vobject 0.9.9 (its TextBehavior keeps the first comma-separated value)
    and ical.js 2.2 (Timezone reads rdate.getFirstValue()) use only the first
    onset of each line: after 1981 they never see another DST start, so every
    summer time is read as CET, one hour late. icalendar, recurring-ical-events
    and ics-py get it right only because they ignore the file's VTIMEZONE for
    the IANA name Europe/Vienna and use the tz database.
    """
    ics = feed("broken_multi_rdate_vtimezone.ics")
    results = parse_with_all(ics)
    summer = "summer-session@mfa-global-compact"
    for name in ("icalendar", "recurring-ical-events", "ics-py"):
        assert spans(results[name])[(summer, None)] == VIENNA_SUMMER, name
    for name in ("vobject", "ical.js"):
        assert spans(results[name])[(summer, None)] == VIENNA_SUMMER_AS_CET, name
    # Winter needs no DST onset, so everyone agrees on it.
    winter_key = ("winter-session@mfa-global-compact", None)
    winter = {spans(entries)[winter_key] for entries in results.values()}
    assert winter == {(utc("2017-12-01T09:00:00Z"), utc("2017-12-01T11:00:00Z"))}

    with pytest.raises(AssertionError) as raised:
        assert_parsers_agree(ics)
    message = str(raised.value)
    assert "UID summer-session@mfa-global-compact" in message
    assert "UID dst-start-day@mfa-global-compact" in message
    assert "UID winter-session@mfa-global-compact" not in message
    assert re.search(r"2017-07-03T09:00:00Z\s+<- vobject, ical\.js", message), message
    assert re.search(
        r"2017-07-03T08:00:00Z\s+<- icalendar, ics-py, recurring-ical-events", message
    ), message


def split_rdate_lists(ics: bytes) -> bytes:
    """Rewrite every ``RDATE:a,b,c`` as one RDATE line per value."""
    lines = ics.decode("utf-8").replace("\r\n ", "").split("\r\n")
    out: list[str] = []
    for line in lines:
        name, _, value = line.partition(":")
        if name.split(";")[0].upper() == "RDATE" and "," in value:
            out.extend(f"{name}:{v}" for v in value.split(","))
        else:
            out.append(line)
    return "\r\n".join(out).encode("utf-8")


def test_one_value_per_rdate_line_makes_the_parsers_agree() -> None:
    """Control for the test above: the same zone, one onset per RDATE line."""
    entries = assert_parsers_agree(split_rdate_lists(feed("broken_multi_rdate_vtimezone.ics")))
    assert spans(entries)[("summer-session@mfa-global-compact", None)] == VIENNA_SUMMER
    assert spans(entries)[("dst-start-day@mfa-global-compact", None)] == (
        utc("2017-03-26T08:00:00Z"),
        utc("2017-03-26T10:00:00Z"),
    )


def test_custom_tzid_is_read_as_utc_by_ics_py() -> None:
    """TZID=AoE with its VTIMEZONE: ics-py never applies a file's VTIMEZONE to events."""
    ics = feed("custom_tzid_aoe.ics")
    results = parse_with_all(ics)
    deadline = ("registration-deadline@mfa-global-compact", None)
    aoe = (utc("2017-08-19T11:59:00Z"), utc("2017-08-19T11:59:00Z"))
    for name in ("icalendar", "vobject", "ical.js", "recurring-ical-events"):
        assert spans(results[name])[deadline] == aoe, name
    assert spans(results["ics-py"])[deadline] == (
        utc("2017-08-18T23:59:00Z"),
        utc("2017-08-18T23:59:00Z"),
    )
    with pytest.raises(AssertionError, match=r"<- ics-py"):
        assert_parsers_agree(ics)


def test_ambiguous_and_nonexistent_local_times() -> None:
    """RFC 5545 3.3.5: a repeated local time is its first occurrence; a skipped
    one uses the offset from before the gap. Not every parser follows it."""
    results = parse_with_all(feed("ambiguous_and_nonexistent_times.ics"))
    starts = {
        name: {e.uid.split("@")[0]: e.start.value for e in entries}
        for name, entries in results.items()
    }
    # 01:30 on Nov 5 happens in EDT and again in EST; RFC: the first (05:30Z).
    assert {n for n, s in starts.items() if s["ambiguous"] == "2017-11-05T05:30:00Z"} == (
        ALL_FIVE - {"ical.js"}
    )
    assert starts["ical.js"]["ambiguous"] == "2017-11-05T06:30:00Z"
    # 02:30 on Mar 12 does not exist; RFC: read with EST, before the gap (07:30Z).
    assert {n for n, s in starts.items() if s["nonexistent"] == "2017-03-12T07:30:00Z"} == {
        "icalendar",
        "recurring-ical-events",
    }
    assert {n for n, s in starts.items() if s["nonexistent"] == "2017-03-12T06:30:00Z"} == {
        "vobject",
        "ics-py",
        "ical.js",
    }
    with pytest.raises(AssertionError):
        assert_parsers_agree(feed("ambiguous_and_nonexistent_times.ics"))


def test_floating_time_and_missing_dtend() -> None:
    """No end is invented by the harness: vobject gives none, the others apply
    RFC 5545's default. ics-py reads a floating time as UTC."""
    results = parse_with_all(feed("floating_and_missing_end.ics"))
    ends = {
        name: {e.uid.split("@")[0]: e.end for e in entries} for name, entries in results.items()
    }
    starts = {
        name: {e.uid.split("@")[0]: e.start for e in entries} for name, entries in results.items()
    }
    for name in ALL_FIVE - {"vobject"}:
        assert ends[name]["no-end-date"] == day("2017-09-06"), name
        assert ends[name]["no-end-time"] == utc("2017-09-06T12:00:00Z"), name
    assert ends["vobject"]["no-end-date"] == NO_END
    assert ends["vobject"]["no-end-time"] == NO_END
    # DURATION is an end every parser understands.
    assert {e["duration"] for e in ends.values()} == {day("2017-09-09")}
    for name in ALL_FIVE - {"ics-py"}:
        assert starts[name]["floating"] == Instant("floating", "2017-09-04T09:00:00"), name
    assert starts["ics-py"]["floating"] == utc("2017-09-04T09:00:00Z")

    with pytest.raises(AssertionError) as raised:
        assert_parsers_agree(feed("floating_and_missing_end.ics"))
    message = str(raised.value)
    assert "(none)" in message
    assert "UID duration@mfa-global-compact" not in message


def test_a_missing_entry_is_reported_with_the_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    def drops_the_briefings(ics: bytes) -> list[ParsedEntry]:
        return [e for e in interop.parse_with_icalendar(ics) if "overnight" in e.uid]

    monkeypatch.setitem(interop.PARSERS, "lossy", drops_the_briefings)
    with pytest.raises(AssertionError) as raised:
        assert_parsers_agree(feed("new_york_dst.ics"))
    message = str(raised.value)
    assert "entry counts: icalendar=3, vobject=3, ics-py=3, ical.js=3, lossy=1" in message
    assert "- UID ny-before@mfa-global-compact:\n    missing in: lossy" in message
    assert "ny-overnight" not in message


# ---------------------------------------------------------------------------
# The harness itself


def test_each_parse_uses_the_files_own_vtimezone() -> None:
    """icalendar and vobject cache VTIMEZONEs process-wide (first definition
    wins); the harness resets those caches so one test's zone cannot leak into
    another's."""
    aoe = feed("custom_tzid_aoe.ics")
    plus_five = aoe.replace(b"-1200", b"+0500")
    for ics, expected in (
        (aoe, "2017-08-19T11:59:00Z"),
        (plus_five, "2017-08-18T18:59:00Z"),
        (aoe, "2017-08-19T11:59:00Z"),
    ):
        results = parse_with_all(ics)
        for name in ALL_FIVE - {"ics-py"}:
            assert results[name][0].start == utc(expected), name


def test_ics_py_reads_value_date_as_all_day() -> None:
    (entry,) = parse_with_ics_py(feed("allday.ics"))
    assert (entry.start, entry.end) == (day("2017-09-04"), day("2017-09-06"))


def test_missing_dump_script_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ICALJS_ENV_VAR, str(tmp_path / "nowhere.mjs"))
    with pytest.raises(InteropToolMissingError, match=ICALJS_ENV_VAR):
        parse_with_icaljs(feed("utc.ics"))


def test_missing_ical_js_package_tells_to_run_npm_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "icaljs_dump.mjs"
    script.write_bytes((REPO_ROOT / "tests" / "interop" / "icaljs_dump.mjs").read_bytes())
    monkeypatch.setenv(ICALJS_ENV_VAR, str(script))
    with pytest.raises(InteropToolMissingError, match="npm ci"):
        parse_with_icaljs(feed("utc.ics"))


def test_missing_node_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InteropToolMissingError, match="node is not installed"):
        parse_with_icaljs(feed("utc.ics"))


def test_dump_script_reports_bad_input() -> None:
    with pytest.raises(RuntimeError, match=r"ical\.js dump failed"):
        parse_with_icaljs(b"this is not a calendar")


def test_interop_module_does_not_import_pytest() -> None:
    code = (
        "import sys, compact_calendar.testing.interop\n"
        "assert 'pytest' not in sys.modules, 'pytest imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)

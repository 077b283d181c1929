"""Value parsers: dates and date-times, months, offsets, times of day, zones, slugs, URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from compact_calendar.registry.values import (
    MonthDate,
    Offset,
    check_email,
    check_slug,
    check_url,
    check_zone,
    parse_offset,
    parse_time_of_day,
    parse_when,
    zone,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-09-04", date(2017, 9, 4)),
        ("2017-09-04T10:00", datetime(2017, 9, 4, 10, 0)),
        ("2017-09-04 10:00:30", datetime(2017, 9, 4, 10, 0, 30)),
        ("2017-09-04T10:00Z", datetime(2017, 9, 4, 10, 0, tzinfo=UTC)),
        (
            "2017-09-04T10:00+02:00",
            datetime(2017, 9, 4, 10, 0, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2017-09-04T10:00-0930",
            datetime(2017, 9, 4, 10, 0, tzinfo=timezone(-timedelta(hours=9, minutes=30))),
        ),
        ("2018-02", MonthDate(2018, 2)),
    ],
)
def test_when_accepts_dates_datetimes_and_months(text: str, expected: object) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize("text", ["2017-13-01", "2017-02-30", "2018-13", "tomorrow", "17-9-4"])
def test_when_rejects_what_is_not_a_real_date(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a (real )?date"):
        parse_when(text)


def test_month_date_spans_its_month() -> None:
    month = MonthDate(2020, 2)
    assert (month.first_day, month.last_day) == (date(2020, 2, 1), date(2020, 2, 29))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14d", Offset(14, 0)),
        ("2w", Offset(14, 0)),
        ("P14D", Offset(14, 0)),
        ("P2W", Offset(14, 0)),
        ("36h", Offset(0, 36 * 3600)),
        ("PT36H", Offset(0, 36 * 3600)),
        ("90m", Offset(0, 90 * 60)),
        ("P1DT2H", Offset(1, 7200)),
    ],
)
def test_offsets_in_short_and_iso_8601_forms(text: str, expected: Offset) -> None:
    assert parse_offset(text) == expected


def test_offset_keys_are_canonical_so_reminder_keys_stay_stable() -> None:
    assert parse_offset("P14D").key == parse_offset("2w").key == "14d"
    assert parse_offset("PT36H").key == "36h"
    assert parse_offset("90m").key == "90m"
    assert parse_offset("P1DT2H").key == "26h"


@pytest.mark.parametrize("text", ["14", "3x", "P", "PT", "P1M", "0d", "-1d"])
def test_offsets_that_are_not_offsets_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="offset"):
        parse_offset(text)


def test_time_of_day_is_read_from_text() -> None:
    assert parse_time_of_day("09:00") == time(9, 0)
    with pytest.raises(ValueError, match='"09:00"'):
        parse_time_of_day("25:00")


def test_aoe_is_utc_minus_twelve() -> None:
    assert check_zone("AoE") == "AoE"
    instant = datetime(2017, 8, 18, 23, 59, tzinfo=zone("AoE"))
    assert instant.astimezone(UTC) == datetime(2017, 8, 19, 11, 59, tzinfo=UTC)


def test_zone_names_are_checked_against_the_tz_database() -> None:
    assert check_zone("Asia/Kathmandu") == "Asia/Kathmandu"
    assert zone("Asia/Kathmandu") == ZoneInfo("Asia/Kathmandu")
    with pytest.raises(ValueError, match="did you mean `Europe/Vienna`"):
        check_zone("Europe/Viena")
    with pytest.raises(ValueError, match="IANA"):
        check_zone("../../etc/passwd")
    with pytest.raises(ValueError, match="write `AoE`"):
        check_zone("aoe")


def test_slugs_urls_and_emails() -> None:
    assert check_slug("gcm-tc5-vienna") == "gcm-tc5-vienna"
    for bad in ("GCM", "-a", "a-", "a b", "a.b", "a" * 65, ""):
        with pytest.raises(ValueError, match="lowercase"):
            check_slug(bad)
    for good in (
        "https://fs22.formsite.com/unngls/form45/index.html",
        "https://a.org:8443/x?y=1#z",
        "http://[::1]:8000/",
        "https://bücher.example/",
    ):
        assert check_url(good) == good
    for bad in (
        "ftp://x.org",
        "https://",
        "javascript:alert(1)",
        "http://a b.org",
        "https://-a.org",
        "http:///x",
        "https://a.org/ b",
    ):
        with pytest.raises(ValueError, match="web address"):
            check_url(bad)
    assert check_email("mfa@mfasia.org") == "mfa@mfasia.org"
    with pytest.raises(ValueError, match="email"):
        check_email("mfa@")

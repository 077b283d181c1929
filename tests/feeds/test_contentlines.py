"""RFC 5545 3.1 (folding) and 3.3.11 (TEXT escaping) on whatever text the registry holds."""

from __future__ import annotations

from datetime import timedelta

import icalendar
from hypothesis import given
from hypothesis import strategies as st

from compact_calendar.feeds.contentlines import escape_text, fold, format_duration, line


def test_short_line_is_terminated_by_crlf_only() -> None:
    assert fold("SUMMARY:Short") == "SUMMARY:Short\r\n"


def test_folded_lines_are_at_most_75_octets_and_never_split_a_utf8_sequence() -> None:
    content = "SUMMARY:" + "移民🙂é" * 40
    folded = fold(content).encode()
    physical = folded.split(b"\r\n")[:-1]
    assert all(len(p) <= 75 for p in physical)
    for piece in physical:
        piece.decode()  # each physical line is valid UTF-8 on its own
    assert b"".join(p[1:] if i else p for i, p in enumerate(physical)).decode() == content


def test_fold_does_not_separate_a_backslash_from_what_it_escapes() -> None:
    for shift in range(4):
        content = "DESCRIPTION:" + "x" * (60 + shift) + "\\n" * 10
        for piece in fold(content).split("\r\n")[:-1]:
            body = piece.removeprefix(" ")
            trailing = len(body) - len(body.rstrip("\\"))
            assert trailing % 2 == 0, piece


def test_newlines_and_separators_are_escaped_so_text_cannot_add_properties() -> None:
    escaped = escape_text("a;b,c\\d\nBEGIN:VEVENT\r\nX:1\rY")
    assert escaped == "a\\;b\\,c\\\\d\\nBEGIN:VEVENT\\nX:1\\nY"
    assert "\n" not in escaped
    assert "\r" not in escaped


def test_control_characters_are_dropped() -> None:
    assert escape_text("bell\x07 nul\x00 tab\t") == "bell nul tab\t"


def test_durations_are_valid_rfc5545_durations() -> None:
    assert format_duration(timedelta(hours=4)) == "PT4H"
    assert format_duration(timedelta(days=1, minutes=30)) == "P1DT30M"


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300))
def test_any_text_reads_back_as_itself_from_one_property(text: str) -> None:
    document = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u\r\n"
        "DTSTAMP:20170101T000000Z\r\n" + line("SUMMARY", escape_text(text)) + "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    calendar = icalendar.Calendar.from_ical(document)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    expected = (
        text.replace("\r\n", "\n")
        .replace("\r", "\n")
        .translate(dict.fromkeys((*range(0, 9), 11, 12, *range(14, 32), 127)))
    )
    assert str(events[0]["SUMMARY"]) == expected
    assert set(events[0]) == {"UID", "DTSTAMP", "SUMMARY"}


@given(st.text(alphabet="ab \\n;,é", max_size=400))
def test_ascii_and_multibyte_lines_fold_alike_at_75_octets(text: str) -> None:
    # ASCII lines are cut as text, others as UTF-8 bytes: both follow RFC 5545 3.1.
    content = "DESCRIPTION:" + text
    folded = fold(content)
    physical = folded.encode().split(b"\r\n")
    assert physical[-1] == b""
    assert all(len(p) <= 75 for p in physical[:-1])
    assert all(p.startswith(b" ") for p in physical[1:-1])
    for piece in physical[:-2]:  # every line a fold follows
        body = piece.removeprefix(b" ")
        assert (len(body) - len(body.rstrip(b"\\"))) % 2 == 0, piece
    assert b"".join(p[1:] if i else p for i, p in enumerate(physical)).decode() == content
    # Never folded earlier than it must be: every line but the last is full or one short.
    assert all(len(p) >= 73 for p in physical[:-2])

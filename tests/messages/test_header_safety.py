"""No registry text can add or alter a mail header, whatever it contains (CVE-2024-6923)."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compact_calendar.channels.base import Delivery
from compact_calendar.channels.email import build_email
from compact_calendar.messages.content import message_for
from compact_calendar.messages.render import Templates
from compact_calendar.messages.sanitize import header_text, neutralise_mentions, single_line
from tests.messages.fixtures import delivery

NOW = datetime(2017, 8, 15, 1, 0, tzinfo=UTC)
BASE = delivery("gcm-tc5-vienna/deadlines/registration", now=NOW)
TEMPLATES = Templates()
HEADERS = [
    "from", "to", "subject", "date", "message-id", "auto-submitted",
    "x-auto-response-suppress", "mime-version", "content-type",
]  # fmt: skip

PIECES = [
    "=?UTF-8?Q?=0A?=",
    "=?utf-8?b?Cg==?=",
    "=?UTF-8?Q?=0D=0A?=",
    "\r\n",
    "\n",
    "\r",
    "\x00",
    "\x85",
    "\u2028",
    "\u2029",
    "Bcc: evil@example.org",
    "Subject: x",
    " ",
    "é",
    "المشاورة",
    "=?",
    "?=",
    "\t",
]
hostile = st.one_of(
    st.text(),
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
)


def titled(title: str) -> Delivery:
    event = BASE.item.event.model_copy(update={"title": title, "location": title})
    return replace(BASE, item=replace(BASE.item, event=event, location=title))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_any_title_leaves_the_header_set_unchanged(title: str) -> None:
    sent = titled(title)
    message = message_for(sent)
    built = build_email(
        sent,
        message=message,
        text=TEMPLATES.text(message),
        html=TEMPLATES.html(message),
        calendar=None,
        mail_from="r@example.org",
        to=["a@example.org"],
    )
    parsed = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    assert [name.lower() for name in parsed] == HEADERS
    assert parsed["To"] == "a@example.org"
    assert "\n" not in str(parsed["Subject"])


def test_encoded_words_stay_literal_text() -> None:
    assert header_text("x =?UTF-8?Q?=0A?=Bcc: y") == "x =\u2060?UTF-8?Q?=0A?=Bcc: y"
    assert header_text("plain =? not a word ?=") == "plain =? not a word ?="


def test_control_characters_and_line_separators_become_spaces() -> None:
    assert single_line("a\r\nb\x00c\u2028d\x85e\tf") == "a b c d e f"


def test_mass_mentions_are_neutralised_but_addresses_are_kept() -> None:
    text = "@channel @Here @everyone @all mail@channel.org @alice"
    assert neutralise_mentions(text) == (
        "@\u2060channel @\u2060Here @\u2060everyone @\u2060all mail@channel.org @alice"
    )
